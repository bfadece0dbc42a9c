"""P6, preparation for life in the community, end to end: the real engine, job runner and timer
scheduler; assessments stored and compared; the hand-over starting P1 (or an incident when P1 is
not deployed)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.access.scope import Viewer, viewer_of
from app.cases.service import register_person, start_process_for
from app.community_preparation import service
from app.db import transaction
from app.db.models import HumanTask, Incident, Job, ProcessInstance, SelfCareAssessment
from app.demo import valid_personal_code
from app.domain.calendar import add_months, today_in_latvia
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.services import Services
from tests.conftest import PROCESSES
from tests.engine.helpers import deploy_processes
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers

STAFF = Actor("iestade", frozenset({"institution"}))
LEVELS = {"personal_hygiene": 3, "dressing": 4, "eating_and_cooking": 1, "housekeeping": 2,
          "money_management": 1, "medication": 2, "transport": 1, "communication": 3,
          "social_contacts": 2, "daily_routine": 2}


def institution(session: Any) -> Viewer:
    return viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")


def start(services: Services, seed: int) -> int:
    with transaction(services.sessions) as session:
        person = register_person(session, institution(session), given_name="Inese",
                                 family_name=f"Kalniņa{seed}",
                                 personal_code=valid_personal_code(seed), municipality_code="RIGA",
                                 institution_code="VSAC-RIGA")
        person_id = person.id
    with services.sessions() as session:
        return start_process_for(services.engine, session, institution(session), person_id,
                                 service.PROCESS_KEY, {}, business_key=f"P6-T-{seed}")


def settle(services: Services) -> None:
    while run_due_jobs(services, "w1") or fire_due_timers(services, "w1"):
        pass


def open_tasks(services: Services, iid: int) -> list[HumanTask]:
    with services.sessions() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "open").order_by(HumanTask.id)))


def the_task(services: Services, iid: int, element: str) -> HumanTask:
    [task] = [t for t in open_tasks(services, iid) if t.element_id == element]
    return task


def assessments(services: Services, iid: int) -> list[SelfCareAssessment]:
    with services.sessions() as session:
        return service.assessments_of(session, [iid])


def test_assessments_repeat_on_the_timer_are_compared_and_the_hand_over_starts_p1(
        services: Services, simulators: dict[str, Any]) -> None:
    deploy_processes(services)
    iid = start(services, 72)
    first = the_task(services, iid, "assess_self_care")
    assert first.candidate_groups == "institution" and first.institution_code == "VSAC-RIGA"
    assert first.due_at is not None
    assert first.due_at.date() >= today_in_latvia() + timedelta(days=29)

    # An assessment made 7 months ago: the next one (6 months on) is already due, so the
    # reassessment timer fires and the assessment task opens again.
    earlier = add_months(today_in_latvia(), -7)
    services.engine.complete_task(first.id, STAFF, dict(LEVELS, assessment_date=earlier.isoformat(),
                                                        notes="Pirmais"))
    settle(services)
    second = the_task(services, iid, "assess_self_care")
    assert second.id != first.id
    assert second.due_at is not None and second.due_at.date() == add_months(earlier, 6)
    services.engine.complete_task(second.id, STAFF, dict(
        LEVELS, assessment_date=today_in_latvia().isoformat(), eating_and_cooking=3, transport=2,
        dressing=3, notes="Otrais"))
    settle(services)

    stored = assessments(services, iid)
    assert [a.assessed_on for a in stored] == [earlier, today_in_latvia()]
    assert [a.total for a in stored] == [21, 23]
    progress = service.progress_of(stored)
    assert progress is not None
    change = {row.area.key: row.change_since_first for row in progress.areas}
    assert (change["eating_and_cooking"], change["transport"], change["dressing"],
            change["medication"]) == (2, 1, -1, 0)

    hand_over = the_task(services, iid, "hand_over")
    services.engine.complete_task(hand_over.id, STAFF, {
        "leaving_date": today_in_latvia().isoformat(), "receiving_municipality_code": "RIGA",
        "start_needs_assessment": True, "community_services": ["DAY_CENTRE", "WORKSHOP"],
        "handover_notes": "Dzīvos pie māsas"})
    settle(services)
    with services.sessions() as session:
        done = session.get(ProcessInstance, iid)
        assert done is not None and done.status == "completed"
        p1 = session.scalars(select(ProcessInstance).where(
            ProcessInstance.process_key == "p01_adult_needs_assessment")).one()
        assert p1.person_id == done.person_id and p1.institution_code == "VSAC-RIGA"
        job = session.scalars(select(Job).where(Job.instance_id == iid,
                                                Job.element_id == "start_follow_up")).one()
        assert job.result is not None
        assert job.result["needs_assessment_instance_id"] == p1.id
        assert job.result["community_services"] == ["DAY_CENTRE", "WORKSHOP"]


def test_hand_over_without_p1_deployed_is_an_incident_with_a_clear_message(
        services: Services, simulators: dict[str, Any]) -> None:
    with transaction(services.sessions) as session:
        path = PROCESSES / f"{service.PROCESS_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
    iid = start(services, 73)
    task = the_task(services, iid, "assess_self_care")
    services.engine.complete_task(task.id, STAFF, dict(LEVELS, assessment_date=today_in_latvia().isoformat()))
    settle(services)
    services.engine.complete_task(the_task(services, iid, "hand_over").id, STAFF, {
        "leaving_date": today_in_latvia().isoformat(), "receiving_municipality_code": "RIGA",
        "start_needs_assessment": True, "community_services": [], "handover_notes": ""})
    settle(services)
    with services.sessions() as session:
        [incident] = session.scalars(select(Incident).where(Incident.instance_id == iid)).all()
        assert "p01_adult_needs_assessment is not deployed" in incident.message
        assert session.get(ProcessInstance, iid).status == "active"  # type: ignore[union-attr]


def test_hand_over_without_p1_only_notes_the_services(
        services: Services, simulators: dict[str, Any]) -> None:
    deploy_processes(services)
    iid = start(services, 74)
    services.engine.complete_task(the_task(services, iid, "assess_self_care").id, STAFF,
                                  dict(LEVELS, assessment_date=today_in_latvia().isoformat()))
    settle(services)
    services.engine.complete_task(the_task(services, iid, "hand_over").id, STAFF, {
        "leaving_date": today_in_latvia().isoformat(), "receiving_municipality_code": "RIGA",
        "start_needs_assessment": False, "community_services": ["HOME_CARE"],
        "handover_notes": ""})
    settle(services)
    with services.sessions() as session:
        assert session.get(ProcessInstance, iid).status == "completed"  # type: ignore[union-attr]
        assert session.scalars(select(ProcessInstance).where(
            ProcessInstance.process_key == "p01_adult_needs_assessment")).all() == []


def test_a_repeated_hand_over_finds_the_assessment_it_started(
        services: Services, simulators: dict[str, Any]) -> None:
    from adapters.registry import CallContext, lookup

    deploy_processes(services)
    iid = start(services, 75)
    hand_over = lookup("community_preparation.hand_over")
    params = {"leaving_date": today_in_latvia().isoformat(), "start_needs_assessment": True,
              "community_services": ["DAY_CENTRE"]}
    # The same job run twice, as after a worker died between starting P1 and reporting back.
    call = CallContext("job-handover-1", instance_id=iid, services=services)
    first, again = hand_over(params, call), hand_over(params, call)
    assert first["needs_assessment_instance_id"] is not None
    assert again["needs_assessment_instance_id"] == first["needs_assessment_instance_id"]
    with services.sessions() as session:
        assert len(session.scalars(select(ProcessInstance).where(
            ProcessInstance.process_key == "p01_adult_needs_assessment")).all()) == 1
