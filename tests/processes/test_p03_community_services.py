"""P3, the monthly submission of community-service records, end to end: the real engine and job
runner, the SOPA simulator over HTTP, validation against IAPs stored by the P1 code, corrections,
and who sees which records."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from sqlalchemy import select

from adapters.simulators import start_simulator
from app.access.scope import Viewer, viewer_of
from app.assessment.plans import store_plan_version
from app.cases.service import NotAllowed, register_person, start_process_for
from app.community_services.records import (
    accepted_records,
    correct_record,
    error_report_csv,
    parse_csv,
    read_row,
    submit_batch,
    visible_records,
    withdraw_record,
)
from app.community_services.service import P3_KEY, month_period, start_submission_cycle
from app.config import Settings
from app.db import transaction
from app.db.models import HumanTask, Job, Notification, ProcessInstance, ServiceRecord
from app.demo import valid_personal_code
from app.domain.calendar import add_months, today_in_latvia
from app.domain.community_services import submission_due
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.services import Services, build_services
from tests.conftest import PROCESSES, make_settings
from tests.engine.helpers import one_task_process
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers

# An assessment-kind instance that only carries the IAP versions the tests validate against
# (P1 itself would call the population register first).
PLAN_HOLDER = "p01_test_plan_holder"
SOCIAL_SERVICE = Actor("soc", frozenset({"social_service"}))
PERIOD_FROM, PERIOD_TO = month_period(today_in_latvia())


@pytest.fixture(scope="module")
def sopa_server() -> Iterator[Any]:
    from adapters.sopa.simulator import create_app

    running = start_simulator(create_app())
    yield running
    running.stop()


@pytest.fixture
def p3_settings(database_url: str, sopa_server: Any) -> Settings:
    assert requests.post(f"{sopa_server.url}/_control/reset", json={}, timeout=5).status_code == 200
    return make_settings(database_url, sopa_url=sopa_server.url)


@pytest.fixture
def p3(p3_settings: Settings) -> Iterator[Services]:
    services = build_services(p3_settings)
    with transaction(services.sessions) as session:
        path = PROCESSES / f"{P3_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
        deploy_source(session, "plan_holder.bpmn",
                      one_task_process(PLAN_HOLDER, groups="planning_region_expert"), "test")
    yield services
    services.db.dispose()


def social_worker(session: Any, municipality: str = "RIGA") -> Viewer:
    return viewer_of(session, "soc", ["caseworker"], ["social_service"], municipality)


def adult_with_plan(services: Services, seed: int, services_planned: list[dict[str, Any]],
                    municipality: str = "RIGA") -> tuple[int, str]:
    """A person with an IAP valid around the period, stored with P1's own function."""
    code = valid_personal_code(seed)
    with transaction(services.sessions) as session:
        viewer = social_worker(session, municipality)
        person = register_person(session, viewer, given_name="Pēteris", family_name=f"Kalniņš{seed}",
                                 personal_code=code, birth_date=date(1980, 1, 1),
                                 municipality_code=municipality)
        person_id = person.id
    with services.sessions() as session:
        instance_id = start_process_for(services.engine, session, social_worker(session, municipality),
                                        person_id, PLAN_HOLDER, {})
    with transaction(services.sessions) as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        store_plan_version(session, instance, source="assessment", plan={
            "goals": ["Dzīvot patstāvīgi"], "services": services_planned,
            "valid_from": (PERIOD_FROM - timedelta(days=40)).isoformat(),
            "valid_to": (PERIOD_TO + timedelta(days=180)).isoformat()})
    return person_id, code


def row(code: str, **changes: Any) -> dict[str, Any]:
    values = {"personal_code": code, "service_type": "HOME_CARE", "provider_code": "SP-RIGA-APRUPE",
              "period_from": PERIOD_FROM.isoformat(), "period_to": PERIOD_TO.isoformat(),
              "volume": "20", "unit": "HOURS", "cost_cents": "16000"}
    values.update(changes)
    return read_row(values)


def start_cycle(services: Services, municipality: str = "RIGA") -> int:
    with services.sessions() as session:
        return start_submission_cycle(services.engine, session, social_worker(session, municipality),
                                      municipality, PERIOD_FROM)


def open_task(services: Services, instance_id: int) -> HumanTask:
    with services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.status == "open"))
        return task


def records(services: Services) -> list[ServiceRecord]:
    with services.sessions() as session:
        return list(session.scalars(select(ServiceRecord).order_by(ServiceRecord.id)))


def status(services: Services, instance_id: int) -> str:
    with services.sessions() as session:
        found = session.get(ProcessInstance, instance_id)
        assert found is not None
        return found.status


HOME_CARE_10 = [{"service_type": "HOME_CARE", "hours_per_week": 10, "frequency": "weekly"}]


def test_portal_records_rejected_corrected_and_accepted(p3: Services) -> None:
    _good_id, good = adult_with_plan(p3, 45, HOME_CARE_10)
    _second_id, second = adult_with_plan(p3, 46, HOME_CARE_10 + [
        {"service_type": "DAY_CENTRE", "hours_per_week": None, "frequency": "daily"}])
    iid = start_cycle(p3)
    submit = open_task(p3, iid)
    assert (submit.element_id, submit.candidate_groups) == ("submit_records", "social_service")
    # Due by the 15th of the next month, shown as the task's due date.
    assert submit.due_at is not None
    with transaction(p3.sessions) as session:
        submit_batch(session, municipality_code="RIGA", period_from=PERIOD_FROM, period_to=PERIOD_TO,
                     source="PORTAL_FORM", submitted_by="soc", instance_id=iid, rows=[
                         row(good),
                         row(valid_personal_code(79)),  # nobody registered with this code
                         row(second, service_type="WORKSHOP", provider_code="SP-RIGA-DARBNICA"),
                         row(second, provider_code="SP-NOBODY"),
                         row(second, volume="500"),
                     ])
    p3.engine.complete_task(submit.id, SOCIAL_SERVICE, {"source": "PORTAL", "records_complete": True})
    assert run_due_jobs(p3, "w1") == 1
    found = records(p3)
    assert [r.status for r in found] == ["accepted", "rejected", "rejected", "rejected", "rejected"]
    assert [e["rule"] for e in found[1].errors] == ["known_person"]
    assert [e["rule"] for e in found[2].errors] == ["plan_includes_service"]
    assert [e["rule"] for e in found[3].errors] == ["provider_registered"]
    # The fifth is the same person, type and provider as nothing accepted yet, but 500 hours.
    assert [e["rule"] for e in found[4].errors] == ["volume_plausible"]
    report = error_report_csv(found[1:])
    assert "Persona ar šo personas kodu sistēmā nav zināma." in report

    correction = open_task(p3, iid)
    assert correction.element_id == "correct_records" and correction.due_at is not None
    with transaction(p3.sessions) as session:
        fifth = session.get(ServiceRecord, found[4].id)
        third = session.get(ServiceRecord, found[2].id)
        assert fifth is not None and third is not None
        correct_record(session, fifth, row(second, volume="40"), "soc")
        correct_record(session, third, row(second, service_type="DAY_CENTRE",
                                           provider_code="SP-RIGA-DARBNICA", unit="DAYS",
                                           volume="10"), "soc")
    p3.engine.complete_task(correction.id, SOCIAL_SERVICE, {"corrections_done": True})
    assert run_due_jobs(p3, "w1") == 1
    # Two rejected records remain (unknown person, unregistered provider): back to correction.
    again = open_task(p3, iid)
    assert again.element_id == "correct_records" and again.id != correction.id
    assert [r.status for r in records(p3)] == ["accepted", "rejected", "corrected", "rejected",
                                               "corrected", "accepted", "accepted"]
    with transaction(p3.sessions) as session:
        unknown, unregistered = session.scalars(select(ServiceRecord).where(
            ServiceRecord.status == "rejected").order_by(ServiceRecord.id))
        withdraw_record(unknown)  # sent by mistake
        correct_record(session, unregistered, row(second, service_type="DAY_CENTRE",
                                                  provider_code="SP-ATBALSTS", unit="SESSIONS",
                                                  volume="8"), "soc")
    p3.engine.complete_task(again.id, SOCIAL_SERVICE, {"corrections_done": True})
    run_due_jobs(p3, "w1")
    assert status(p3, iid) == "completed"
    with p3.sessions() as session:
        accepted = accepted_records(session, municipality_codes=["RIGA"])
        assert len(accepted) == 4
        assert sum(r.cost_cents for r in accepted) == 4 * 16000
        assert {r.volume for r in accepted} == {Decimal("20.00"), Decimal("40.00"), Decimal("10.00"),
                                                Decimal("8.00")}


def test_a_duplicate_of_an_accepted_record_is_rejected(p3: Services) -> None:
    _pid, code = adult_with_plan(p3, 47, HOME_CARE_10)
    iid = start_cycle(p3)
    with transaction(p3.sessions) as session:
        submit_batch(session, municipality_code="RIGA", period_from=PERIOD_FROM, period_to=PERIOD_TO,
                     source="PORTAL_CSV", submitted_by="soc", instance_id=iid,
                     rows=[row(code), row(code, period_from=PERIOD_TO.isoformat(), volume="1")])
    p3.engine.complete_task(open_task(p3, iid).id, SOCIAL_SERVICE,
                            {"source": "PORTAL", "records_complete": True})
    run_due_jobs(p3, "w1")
    first, second = records(p3)
    assert (first.status, second.status) == ("accepted", "rejected")
    assert [e["rule"] for e in second.errors] == ["overlapping_duplicate"]


def test_sopa_batch_is_fetched_stored_once_and_accepted(p3: Services, sopa_server: Any) -> None:
    _pid, code = adult_with_plan(p3, 48, HOME_CARE_10)
    batch = {"records": [{"external_id": "SOPA-T-1", "personal_code": code, "service_type": "HOME_CARE",
                          "provider_code": "SP-RIGA-APRUPE", "period_from": PERIOD_FROM.isoformat(),
                          "period_to": PERIOD_TO.isoformat(), "volume": 30, "unit": "HOURS",
                          "cost_cents": 24050}]}
    put = requests.put(f"{sopa_server.url}/_control/service-records/RIGA", json=batch, timeout=5)
    assert put.status_code == 200, put.text
    iid = start_cycle(p3)
    p3.engine.complete_task(open_task(p3, iid).id, SOCIAL_SERVICE,
                            {"source": "SOPA", "records_complete": True})
    assert run_due_jobs(p3, "w1") == 1  # fetch
    assert run_due_jobs(p3, "w1") == 1  # store
    assert run_due_jobs(p3, "w1") == 1  # validate
    assert status(p3, iid) == "completed"
    [stored] = records(p3)
    assert (stored.external_id, stored.status, stored.cost_cents) == ("SOPA-T-1", "accepted", 24050)
    # The same batch delivered again is not stored twice.
    with transaction(p3.sessions) as session:
        again = submit_batch(session, municipality_code="RIGA", period_from=PERIOD_FROM,
                             period_to=PERIOD_TO, source="SOPA", submitted_by="sopa",
                             rows=[read_row(batch["records"][0])])
        assert again.id is not None
    assert len(records(p3)) == 1


def test_records_are_scoped_municipality_region_ministry(p3: Services) -> None:
    _a, riga_code = adult_with_plan(p3, 49, HOME_CARE_10)
    _b, jelgava_code = adult_with_plan(p3, 50, HOME_CARE_10, municipality="JELGAVA")
    with transaction(p3.sessions) as session:
        submit_batch(session, municipality_code="RIGA", period_from=PERIOD_FROM, period_to=PERIOD_TO,
                     source="PORTAL_FORM", submitted_by="soc", rows=[row(riga_code)])
        submit_batch(session, municipality_code="JELGAVA", period_from=PERIOD_FROM,
                     period_to=PERIOD_TO, source="PORTAL_FORM", submitted_by="jelgava",
                     rows=[row(jelgava_code, provider_code="SP-JELGAVA-APRUPE")])
    with p3.sessions() as session:
        def seen(viewer: Viewer) -> set[str]:
            return {r.municipality_code or "" for r in session.scalars(visible_records(viewer))}

        assert seen(social_worker(session, "RIGA")) == {"RIGA"}
        assert seen(social_worker(session, "JELGAVA")) == {"JELGAVA"}
        region = viewer_of(session, "regions", ["caseworker"], ["planning_region_expert"], "PR-RIGA")
        assert "RIGA" in seen(region)
        ministry = viewer_of(session, "ministrija", ["supervisor"], ["ministry"], "LM")
        assert seen(ministry) == {"RIGA", "JELGAVA"}
        # A municipality cannot start another municipality's cycle.
        with pytest.raises(NotAllowed):
            start_submission_cycle(p3.engine, session, social_worker(session, "JELGAVA"), "RIGA",
                                   PERIOD_FROM)


def test_csv_upload_reads_rows_and_reports_unreadable_lines() -> None:
    text = ("personal_code;service_type;provider_code;period_from;period_to;volume;unit;cost_cents\n"
            f"{valid_personal_code(51)};HOME_CARE;SP-RIGA-APRUPE;2035-01-01;2035-01-31;12,5;HOURS;10000\n"
            f"{valid_personal_code(51)};HOME_CARE;SP-RIGA-APRUPE;2035-13-01;2035-01-31;1;HOURS;1\n")
    rows, problems = parse_csv(text)
    assert len(rows) == 1 and rows[0]["volume"] == Decimal("12.5")
    assert [number for number, _ in problems] == [3]
    assert parse_csv("a,b\n1,2\n")[1][0][0] == 1


def test_a_month_not_submitted_by_the_fifteenth_reminds_and_escalates(p3: Services) -> None:
    # Two months ago: the 15th of last month has passed, so both boundary timers are due at once.
    old_from, _old_to = month_period(add_months(PERIOD_FROM, -2))
    with p3.sessions() as session:
        iid = start_submission_cycle(p3.engine, session, social_worker(session), "RIGA", old_from)
    submit = open_task(p3, iid)
    assert submit.due_at is not None
    assert submit.due_at.date() == submission_due(old_from)
    fire_due_timers(p3, "w1")
    with p3.sessions() as session:
        operations = sorted(session.scalars(select(Job.operation).where(Job.instance_id == iid)))
    assert operations == ["tasks.escalate", "tasks.remind"]
    while run_due_jobs(p3, "w1"):
        pass
    with p3.sessions() as session:
        sent = {(n.kind, n.recipient_groups) for n in session.scalars(
            select(Notification).where(Notification.instance_id == iid))}
    assert ("escalation", "social_service_supervisor") in sent
    assert any(kind == "reminder" for kind, _groups in sent)
    # The task stays open: the month can still be submitted late.
    assert open_task(p3, iid).id == submit.id


def test_the_monthly_calendar_opens_each_municipalitys_submission_once(p3: Services) -> None:
    from app.community_services.schedule import start_month

    period = f"{PERIOD_FROM:%Y-%m}"
    started = start_month(p3, period)
    with p3.sessions() as session:
        keys = sorted(session.scalars(select(ProcessInstance.business_key).where(
            ProcessInstance.process_key == P3_KEY)))
        scopes = {i.business_key: i.municipality_code for i in session.scalars(
            select(ProcessInstance).where(ProcessInstance.process_key == P3_KEY))}
    assert keys == [f"P3-JELGAVA-{period}", f"P3-RIGA-{period}"] and len(started) == 2
    assert scopes == {f"P3-JELGAVA-{period}": "JELGAVA", f"P3-RIGA-{period}": "RIGA"}
    assert start_month(p3, period) == []
