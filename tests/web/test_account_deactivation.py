"""Deactivating the account of a person who leaves (``dicase users deactivate``): no more
sign-ins, open sessions end, claimed tasks go back to their groups with the change on the
instance's history, delegated tasks stay with the colleague doing them; and reactivating."""
from __future__ import annotations

from collections.abc import Callable

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.cli import main
from app.db.models import Event, User
from app.engine.runtime import Actor
from app.services import Services
from tests.web.conftest import login, task_row

INSTITUTION = Actor("anna", frozenset({"institution"}))


def run(database_url: str, *args: str) -> tuple[int, str]:
    done = CliRunner().invoke(main, ["users", *args], env={"DICASE_DATABASE_URL": database_url})
    return done.exit_code, done.output


def assignment_events(services: Services, instance_id: int) -> list[tuple[str, str, dict]]:
    with services.sessions() as session:
        found = session.execute(select(Event.kind, Event.actor, Event.detail)
                                .where(Event.instance_id == instance_id,
                                       Event.kind == "task_assigned")
                                .order_by(Event.seq)).all()
    return [tuple(row) for row in found]  # type: ignore[misc]


def test_a_deactivated_person_is_signed_out_and_their_tasks_go_back_to_the_team(
        app: Flask, sign_in: Callable[..., FlaskClient], make_user: Callable[..., str],
        start_p9: Callable[..., int], web_services: Services, database_url: str) -> None:
    browser = sign_in("anna")
    make_user("ilze")
    claimed, delegated, colleagues = start_p9("P9-2026-0001"), start_p9("P9-2026-0002"), \
        start_p9("P9-2026-0003")
    engine = web_services.engine
    engine.claim(claimed, INSTITUTION)
    engine.claim(delegated, INSTITUTION)
    engine.delegate(delegated, INSTITUTION, "ilze")
    engine.claim(colleagues, Actor("ilze", frozenset({"institution"})))

    code, output = run(database_url, "deactivate", "anna", "--by", "supervisor-juris")

    assert code == 0, output
    assert "deactivated: 1 session(s) ended, 1 claimed task(s) back with their groups, " \
           "1 delegated task(s) now the delegate's own." in output
    # Her browser is refused at its next request, and she cannot sign in again.
    assert browser.get("/inbox").status_code == 302
    assert login(app.test_client(), "anna").status_code != 302
    # The claimed task is open for the group again; the delegated one is Ilze's own now; Ilze's
    # own claim is untouched.
    back, kept, untouched = (task_row(web_services, t) for t in (claimed, delegated, colleagues))
    assert (back.assignee, back.status) == (None, "open")
    assert (kept.assignee, kept.delegated_by) == ("ilze", None)
    assert untouched.assignee == "ilze"
    # Each change is on the instance's history, naming who made it.
    assert assignment_events(web_services, back.instance_id) == [
        ("task_assigned", "supervisor-juris", {"task_id": claimed, "from": "anna", "to": None})]
    assert assignment_events(web_services, kept.instance_id) == [
        ("task_assigned", "supervisor-juris", {"task_id": delegated, "from": "ilze", "to": "ilze"})]

    # Running it again changes nothing more and says the account was already inactive.
    code, output = run(database_url, "deactivate", "anna")
    assert code == 0 and "was already inactive: 0 session(s) ended, 0 claimed task(s)" in output


def test_a_reactivated_person_signs_in_again_and_the_team_keeps_the_tasks(
        app: Flask, make_user: Callable[..., str], start_p9: Callable[..., int],
        web_services: Services, database_url: str) -> None:
    make_user("anna")
    task = start_p9()
    web_services.engine.claim(task, INSTITUTION)
    assert run(database_url, "deactivate", "anna")[0] == 0

    code, output = run(database_url, "reactivate", "anna")

    assert (code, output) == (0, "Account reactivated.\n")
    assert login(app.test_client(), "anna").status_code == 302
    assert task_row(web_services, task).assignee is None
    assert run(database_url, "reactivate", "anna") == (0, "Account was already active.\n")
    with web_services.sessions() as session:
        assert session.scalar(select(User.active).where(User.username == "anna")) is True


def test_an_unknown_username_is_named_and_nothing_changes(database_url: str) -> None:
    for command in ("deactivate", "reactivate"):
        code, output = run(database_url, command, "nobody")
        assert code == 1 and "No account is called 'nobody'." in output
