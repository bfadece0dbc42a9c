"""P9 end to end through the real engine, job runner and the NPAIS and SOPA simulators over
HTTP: a placement started as the institution would (and as NPAIS or P10 would), the reminder, the
overdue notice to the orphan court, the social service and the ministry with the report still
open, a report delivered to both with their receipts kept, and the placement's end."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from app.access.scope import viewer_of
from app.cases.service import register_person
from app.db import transaction
from app.db.models import (
    ChildPlacement,
    HumanTask,
    Notification,
    OutboxMessage,
    PeriodicReportDelivery,
    ProcessInstance,
    Timer,
)
from app.domain.calendar import add_months, today_in_latvia
from app.domain.out_of_family_care import next_report_due
from app.engine.runtime import Actor
from app.out_of_family_care import service
from app.services import Services
from tests.engine.helpers import deploy_processes, report_form
from workers.jobs import run_due_jobs

INSTITUTION = Actor("inese", frozenset({"institution"}))
NPAIS = Actor("npais")


def run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def register_child(services: Services, *, born: date, seed: int = 1) -> int:
    with transaction(services.sessions) as session:
        staff = viewer_of(session, "inese", ["caseworker"], ["institution"], "VSAC-RIGA")
        person = register_person(session, staff, given_name="Anna", family_name=f"Bērziņa{seed}",
                                 birth_date=born, municipality_code="RIGA",
                                 institution_code="VSAC-RIGA")
        return int(person.id)


def open_tasks(services: Services, iid: int) -> list[HumanTask]:
    with services.sessions() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "open").order_by(HumanTask.id)))


def outbox(services: Services, iid: int, topic: str) -> set[tuple[str, str]]:
    with services.sessions() as session:
        return {(m.recipient_role, m.recipient_code) for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.instance_id == iid,
                                        OutboxMessage.topic == topic))}


def received(simulator: Any, path: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{simulator.url}/_control/{path}", timeout=5)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()
    return found


@pytest.fixture
def p9(services: Services) -> Services:
    deploy_processes(services)
    return services


def test_an_institution_start_registers_the_placement_and_asks_for_the_first_report(
        p9: Services) -> None:
    today = today_in_latvia()
    born = today - timedelta(days=400)
    child = register_child(p9, born=born)
    iid = service.start_placement(p9, person_id=child, placement_date=today,
                                  institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                                  actor=INSTITUTION, decision_reference="BT-2026-17")

    [report] = open_tasks(p9, iid)
    assert report.element_id == "submit_periodic_report"
    with p9.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        assert (instance.record_kind, instance.institution_code, instance.orphan_court_code,
                instance.municipality_code) == ("child_protection", "VSAC-RIGA", "RIGA-BT", "RIGA")
        assert instance.business_key == service.case_number(child, today)
        [placement] = session.scalars(select(ChildPlacement)).all()
        assert (placement.placement_date, placement.source, placement.decision_reference) == (
            today, "institution", "BT-2026-17")
        # A child under one: the first report 3 months after the placement, its timers waiting.
        assert report.due_at is not None
        assert {t.element_id for t in session.scalars(select(Timer).where(
            Timer.instance_id == iid, Timer.status == "waiting"))} == {"report_reminder",
                                                                        "report_overdue"}
    assert next_report_due(today, None, born) == add_months(today, 3)
    # Asking again (a second click, a repeated message) starts nothing new.
    assert service.start_placement(p9, person_id=child, placement_date=today,
                                   institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                                   actor=INSTITUTION) == iid


def test_an_npais_start_leaves_the_registration_to_the_institution(p9: Services) -> None:
    child = register_child(p9, born=date(2022, 5, 31))
    iid = service.start_placement(p9, person_id=child, placement_date=date(2025, 5, 24),
                                  institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                                  actor=NPAIS, source="npais")
    [task] = open_tasks(p9, iid)
    assert (task.element_id, task.candidate_groups, task.institution_code) == (
        "register_placement", "institution", "VSAC-RIGA")


def test_bad_starts_say_why_in_latvian(p9: Services) -> None:
    child = register_child(p9, born=date(2024, 1, 1))
    with pytest.raises(service.PlacementError, match="Nezināma bāriņtiesa"):
        service.start_placement(p9, person_id=child, placement_date=date(2025, 1, 1),
                                institution_code="VSAC-RIGA", orphan_court_code="ATLANTIDA-BT",
                                actor=INSTITUTION)
    with pytest.raises(service.PlacementError, match="pirms bērna dzimšanas"):
        service.start_placement(p9, person_id=child, placement_date=date(2023, 1, 1),
                                institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                                actor=INSTITUTION)
    with p9.sessions() as session:
        assert session.scalars(select(ProcessInstance)).all() == []


def test_overdue_report_notifies_three_recipients_at_once_and_stays_open_then_is_delivered(
        p9: Services, simulators: dict[str, Any]) -> None:
    today = today_in_latvia()
    # Placed 4 months ago: the report was due a month ago.
    placed = add_months(today, -4)
    child = register_child(p9, born=today - timedelta(days=500))
    iid = service.start_placement(p9, person_id=child, placement_date=placed,
                                  institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                                  actor=INSTITUTION)
    run_jobs(p9)

    assert outbox(p9, iid, "REPORT_OVERDUE") >= {("orphan_court", "RIGA-BT"),
                                                  ("social_service", "RIGA"), ("ministry", "LM")}
    with p9.sessions() as session:
        kinds = {n.kind for n in session.scalars(select(Notification).where(
            Notification.instance_id == iid))}
        assert "escalation" in kinds
    [report] = open_tasks(p9, iid)  # the report stays open
    assert report.element_id == "submit_periodic_report"

    p9.engine.complete_task(report.id, INSTITUTION, report_form(today.isoformat(), False))
    run_jobs(p9)

    [to_court] = [r for r in received(simulators["npais"], "received")
                  if r.get("operation") == "DeliverPeriodicReport"]
    [to_social] = received(simulators["sopa"], "received/reports")
    assert to_social["municipality_code"] == "RIGA"
    assert to_social["case_reference"] == service.case_number(child, placed)
    assert to_social["report_period_end"] == today.isoformat()
    with p9.sessions() as session:
        [row] = session.scalars(select(PeriodicReportDelivery)).all()
        assert row.report_date == today and row.submitted_by == "inese"
        assert row.due_date == add_months(placed, 3)
        assert row.npais_report_id == to_court["id"]
        assert to_court["fields"]["OrphanCourtCode"] == "RIGA"  # NPAIS's code of RIGA-BT
        assert row.sopa_reference == to_social["sopa_reference"]
        assert row.npais_received_at.tzinfo is not None and row.sopa_received_at is not None
        assert (row.institution_code, row.orphan_court_code) == ("VSAC-RIGA", "RIGA-BT")
    [following] = open_tasks(p9, iid)
    assert following.id != report.id and following.element_id == "submit_periodic_report"


def test_the_reminder_comes_14_days_before_the_due_date(p9: Services) -> None:
    today = today_in_latvia()
    # Due in 10 days: the reminder's time has come, the deadline's not yet.
    placed = add_months(today + timedelta(days=10), -3)
    child = register_child(p9, born=today - timedelta(days=300))
    iid = service.start_placement(p9, person_id=child, placement_date=placed,
                                  institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                                  actor=INSTITUTION)
    run_jobs(p9)
    with p9.sessions() as session:
        assert [n.kind for n in session.scalars(select(Notification).where(
            Notification.instance_id == iid))] == ["reminder"]
        assert [t.element_id for t in session.scalars(select(Timer).where(
            Timer.instance_id == iid, Timer.status == "waiting"))] == ["report_overdue"]
    assert outbox(p9, iid, "REPORT_OVERDUE") == set()


def test_placement_end_cancels_the_timers_records_it_and_tells_court_and_social_service(
        p9: Services) -> None:
    today = today_in_latvia()
    child = register_child(p9, born=today - timedelta(days=900))
    placed = today - timedelta(days=20)
    iid = service.start_placement(p9, person_id=child, placement_date=placed,
                                  institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                                  actor=INSTITUTION)
    with pytest.raises(service.PlacementError, match="pirms ievietošanas"):
        service.end_placement(p9, instance_id=iid, end_date=placed - timedelta(days=1),
                              reason="Kļūda", actor=INSTITUTION)
    with pytest.raises(service.PlacementError, match="kāpēc"):
        service.end_placement(p9, instance_id=iid, end_date=today, reason=" ", actor=INSTITUTION)

    service.end_placement(p9, instance_id=iid, end_date=today, reason="Atgriezts ģimenē",
                          actor=INSTITUTION)
    run_jobs(p9)

    with p9.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.status == "completed"
        assert {t.status for t in session.scalars(select(Timer).where(
            Timer.instance_id == iid))} == {"cancelled"}
        [placement] = session.scalars(select(ChildPlacement)).all()
        assert (placement.end_date, placement.end_reason) == (today, "Atgriezts ģimenē")
    assert open_tasks(p9, iid) == []
    assert outbox(p9, iid, "PLACEMENT_ENDED") >= {("orphan_court", "RIGA-BT"),
                                                   ("social_service", "RIGA")}
    with pytest.raises(service.PlacementError, match="jau ir beigusies"):
        service.end_placement(p9, instance_id=iid, end_date=today, reason="Vēlreiz",
                              actor=INSTITUTION)


def test_a_placement_ended_by_npais_before_registration_asks_for_no_report(
        p9: Services) -> None:
    child = register_child(p9, born=date(2024, 2, 29))
    iid = service.start_placement(p9, person_id=child, placement_date=date(2025, 3, 1),
                                  institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                                  actor=NPAIS, source="npais")
    service.end_placement(p9, instance_id=iid, end_date=date(2025, 3, 3),
                          reason="Ievietots citā iestādē", actor=NPAIS)
    run_jobs(p9)
    with p9.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.status == "completed"
    assert open_tasks(p9, iid) == []
