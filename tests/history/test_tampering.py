"""A history edited or cut in the database is detected: by ``dicase audit verify`` (the first
broken link: chain, seq and event id, exit code 1) and on the instance page, as a warning."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import select, text

from app.cli import main
from app.db import transaction
from app.db.models import Event
from app.history.verify import verify_all
from app.services import Services
from tests.web.conftest import P9, P9_START, start_for_child

from .conftest import Case


def _verify(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify", *args],
                                env={"DICASE_DATABASE_URL": database_url})
    return result.exit_code, result.output


def _event(services: Services, instance_id: int, kind: str) -> Event:
    with services.sessions() as session:
        return session.scalars(select(Event).where(Event.instance_id == instance_id,
                                                   Event.kind == kind)
                               .order_by(Event.seq).limit(1)).one()


@pytest.fixture
def second(web_services: Services) -> int:
    return start_for_child(web_services, P9, dict(P9_START, case_number="P9-2026-0002"),
                           "P9-2026-0002")


def test_an_untouched_log_verifies(database_url: str, p9_case: Case, second: int,
                                   auditor: FlaskClient) -> None:
    code, output = _verify(database_url)
    assert code == 0, output
    assert "All 3 chain(s) intact" in output  # the system chain and two instances
    code, output = _verify(database_url, "--instance", str(p9_case.instance_id))
    assert code == 0 and "All 1 chain(s) intact" in output
    assert _verify(database_url, "--instance", "999999")[0] == 2
    page = auditor.get(f"/instances/{p9_case.instance_id}").text
    assert "Vēsture ir neskarta" in page and "neatļautas izmaiņas" not in page


def test_an_edited_and_a_deleted_event_are_both_detected(
        database_url: str, web_services: Services, p9_case: Case, second: int,
        auditor: FlaskClient) -> None:
    edited = _event(web_services, p9_case.instance_id, "task_completed")
    deleted = _event(web_services, second, "instance_started")
    after_gap = _event(web_services, second, "engine_ran")
    with transaction(web_services.sessions) as session:
        # What someone with database access might do: change who completed a task …
        session.execute(text("UPDATE event SET actor = 'someone-else' WHERE id = :id"),
                        {"id": edited.id})
        # … and remove an event from another history.
        session.execute(text("DELETE FROM event WHERE id = :id"), {"id": deleted.id})

    code, output = _verify(database_url)
    assert code == 1
    assert (f"instance:{p9_case.instance_id}: BROKEN at seq {edited.seq} "
            f"(event id {edited.id}): the event was changed after it was written") in output
    # The event after the gap names the place (the deleted one has no row any more).
    assert (f"instance:{second}: BROKEN at seq {deleted.seq} (event id {after_gap.id}): "
            "an event is missing") in output
    assert "2 of 3 chain(s) broken" in output
    code, output = _verify(database_url, "--instance", str(second))
    assert code == 1 and f"instance:{second}: BROKEN" in output

    for instance_id, seq in ((p9_case.instance_id, edited.seq), (second, deleted.seq)):
        page = auditor.get(f"/instances/{instance_id}").text
        assert "Šajā vēsturē ir veiktas neatļautas izmaiņas." in page
        assert f"Jaucējvērtību ķēde pārtrūkst pie {seq}. notikuma" in page
    page = auditor.get(f"/instances/{p9_case.instance_id}").text
    assert "notikums mainīts pēc ierakstīšanas" in page
    assert "history-event-broken" in page  # the changed event itself is marked


def test_a_cut_tail_is_detected(web_services: Services, p9_case: Case) -> None:
    with transaction(web_services.sessions) as session:
        last = session.scalars(select(Event).where(Event.instance_id == p9_case.instance_id)
                               .order_by(Event.seq.desc()).limit(1)).one()
        session.execute(text("DELETE FROM event WHERE id = :id"), {"id": last.id})
    with web_services.sessions() as session:
        verdicts = {v.chain: v for v in verify_all(session)}
    verdict = verdicts[f"instance:{p9_case.instance_id}"]
    assert not verdict.intact and verdict.seq == last.seq and verdict.event_id is None
    assert verdict.problem == "events at the end of the history are missing"
    assert verdicts["system"].intact
