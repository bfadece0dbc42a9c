"""The open data regeneration process through the engine and the workers: the month's timer
fires, the extracts are loaded, every data set's draft prepared, the statistician sees the
comparison with last month and publishes or returns the drafts; then the process waits for the
5th of the next month. A step that fails is an incident. Only one instance ever runs."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.config import Settings
from app.db import transaction
from app.db.models import Event, Incident, Job, ProcessInstance
from app.domain.calendar import RIGA
from app.domain.open_data_schedule import next_regeneration_at, regeneration_day
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.opendata import releases, schedule, service
from app.opendata.definitions import DATASETS, latest_complete_period
from app.services import Services, build_services
from tests.conftest import PROCESSES, make_settings

from .regeneration_world import (
    KEY,
    REASON,
    RUN_AT,
    drafts,
    publish_last_month,
    review_task,
    settle,
    start_and_run,
    statuses,
    waiting_timer,
    write_registers,
)

STATISTICIAN = Actor("statistika", frozenset({service.STATISTICS_GROUP}))


@pytest.fixture
def od_settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, pseudonym_key=KEY, pseudonym_key_file="",
                         opendata_extracts_dir=tmp_path / "registers")


@pytest.fixture
def od(od_settings: Settings) -> Iterator[Services]:
    services = build_services(od_settings)
    with transaction(services.sessions) as session:
        path = PROCESSES / f"{service.PROCESS_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
    yield services
    services.db.dispose()


# --- when it runs ---------------------------------------------------------------------------------


def riga(*args: int) -> datetime:
    return datetime(*args, tzinfo=RIGA)  # type: ignore[misc]


def test_the_run_is_on_the_fifth_at_six_in_the_morning_latvian_time() -> None:
    assert next_regeneration_at(riga(2026, 1, 5, 5, 59)) == riga(2026, 1, 5, 6, 0)
    assert next_regeneration_at(riga(2026, 1, 5, 6, 0)) == riga(2026, 2, 5, 6, 0)
    assert next_regeneration_at(riga(2026, 1, 31, 23, 0)) == riga(2026, 2, 5, 6, 0)
    assert next_regeneration_at(riga(2026, 12, 20, 8, 0)) == riga(2027, 1, 5, 6, 0)
    # Winter 06:00 is 04:00 UTC, summer 03:00 UTC.
    assert next_regeneration_at(riga(2026, 1, 1)).astimezone(UTC).hour == 4
    assert next_regeneration_at(riga(2026, 6, 30)).astimezone(UTC).hour == 3
    # UTC late on the 4th is already the 5th in Rīga, after six it is next month's.
    assert next_regeneration_at(datetime(2026, 3, 4, 23, 0, tzinfo=UTC)) == riga(2026, 3, 5, 6, 0)
    assert next_regeneration_at(datetime(2026, 3, 5, 4, 30, tzinfo=UTC)) == riga(2026, 4, 5, 6, 0)
    assert regeneration_day(riga(2026, 2, 5, 6, 0).astimezone(UTC)).isoformat() == "2026-02-05"


# --- one run, end to end --------------------------------------------------------------------------


def test_the_timer_fires_and_the_statistician_sees_the_drafts_with_the_comparison(
        od: Services) -> None:
    write_registers(od.settings.opendata_extracts_dir)
    last_month = publish_last_month(od)
    iid = start_and_run(od)

    task = review_task(od, iid)
    assert task is not None and task.candidate_groups == service.STATISTICS_GROUP
    prepared = drafts(od, iid)
    day = regeneration_day(RUN_AT)
    # Every data set's latest complete period on the run's day, as a draft of this instance.
    assert sorted((r.dataset, r.period) for r in prepared) == sorted(
        (code, latest_complete_period(d, day)) for code, d in DATASETS.items())
    d5 = next(r for r in prepared if r.dataset == "D5")
    assert d5.period == "2026-01" and d5.status == "draft"
    with od.sessions() as session:
        compared = releases.comparison(session, d5)
        previous = session.get(type(d5), last_month)
    assert previous is not None and previous.period == "2025-12"
    count = DATASETS["D5"].count.name
    totals = {(c["territory_code"], c["measure"]): c for c in compared
              if all(c[d.name] == "TOTAL" for d in DATASETS["D5"].dimensions)}
    assert (totals["RIGA", count]["value"], totals["RIGA", count]["previous"]) == (18, 12)
    assert totals["RIGA", count]["flagged"] and totals["RIGA", count]["change_percent"] == "50.0"
    assert (totals["JELGAVA", count]["value"], totals["JELGAVA", count]["flagged"]) == (8, False)
    # Valka's single person is a confidential cell, not a 0.
    assert totals["VALKA", count]["value"] is None

    # Nothing is public until the statistician decides.
    with od.sessions() as session:
        assert releases.latest_published(session, "D5", "2026-01") is None
    od.engine.complete_task(task.id, STATISTICIAN, {"review_decision": "PUBLISH"})
    settle(od)
    assert set(statuses(od, iid).values()) == {"published"}
    with od.sessions() as session:
        published = releases.latest_published(session, "D5", "2026-01")
        assert published is not None and published.published_by == "statistika"
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.status == "active"
        assert session.scalar(select(Incident.id).where(Incident.instance_id == iid)) is None
    # Back to waiting: the 5th of the month after now, 06:00 in Rīga (the run under test was late).
    due = waiting_timer(od, iid)
    assert due is not None and due > datetime.now(UTC)
    local = due.astimezone(RIGA)
    assert (local.day, local.hour, local.minute) == (5, 6, 0)
    assert due - datetime.now(UTC) <= timedelta(days=32)
    assert review_task(od, iid) is None


def test_a_returned_review_discards_the_drafts_with_the_reason(od: Services) -> None:
    write_registers(od.settings.opendata_extracts_dir)
    publish_last_month(od)
    iid = start_and_run(od)
    task = review_task(od, iid)
    assert task is not None
    ids = [r.id for r in drafts(od, iid)]
    od.engine.complete_task(task.id, STATISTICIAN,
                            {"review_decision": "RETURN", "return_reason": REASON})
    settle(od)
    assert set(statuses(od, iid).values()) == {"discarded"}
    with od.sessions() as session:
        assert releases.latest_published(session, "D5", "2026-01") is None
        # Last month's stays published.
        assert releases.latest_published(session, "D5", "2025-12") is not None
        [event] = session.scalars(select(Event).where(Event.kind == "opendata_discarded"))
        assert event.detail["reason"] == REASON and event.actor == "statistika"
        assert sorted(r["id"] for r in event.detail["releases"]) == sorted(ids)
    assert waiting_timer(od, iid) is not None and review_task(od, iid) is None


def test_a_month_without_anything_new_asks_nobody(od: Services) -> None:
    """The same figures as the published ones: no drafts and no review task."""
    write_registers(od.settings.opendata_extracts_dir)
    publish_last_month(od)
    iid = start_and_run(od)
    task = review_task(od, iid)
    assert task is not None
    od.engine.complete_task(task.id, STATISTICIAN, {"review_decision": "PUBLISH"})
    settle(od)
    # A second instance run for the same day (the first is stopped): everything is published.
    od.engine.terminate(iid, Actor.system())
    again = start_and_run(od)
    assert again != iid and drafts(od, again) == [] and review_task(od, again) is None
    assert waiting_timer(od, again) is not None


def test_a_missing_extract_directory_is_an_incident_and_prepares_nothing(od: Services) -> None:
    iid = start_and_run(od)  # the directory was never written
    with od.sessions() as session:
        [incident] = session.scalars(select(Incident).where(Incident.instance_id == iid))
        job = session.get(Job, incident.job_id)
    assert incident.element_id == "extract" and "no manifest.json" in incident.message
    assert job is not None and job.status == "incident"
    assert drafts(od, iid) == [] and review_task(od, iid) is None


def test_only_one_instance_runs_and_the_calendar_restarts_a_stopped_one(od: Services) -> None:
    before = datetime.now(UTC)
    first = schedule.start_month(od, "2026-10")
    assert len(first) == 1 and schedule.start_month(od, "2026-11") == []
    with od.sessions() as session:
        instance = session.get(ProcessInstance, first[0])
        assert instance is not None and instance.business_key == service.BUSINESS_KEY
    # It waits for the next 5th, 06:00 in Rīga.
    assert waiting_timer(od, first[0]) == next_regeneration_at(before)
    od.engine.terminate(first[0], Actor.system())
    assert len(schedule.start_month(od, "2026-11")) == 1
