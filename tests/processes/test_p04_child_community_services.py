"""P4, community services for a child with functional impairments, end to end: the real engine
and job runner, the VDEĀVK simulator over HTTP on the service start date, the decision PDF read
back with pypdf, and the form refusing what the rules refuse."""
from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from pypdf import PdfReader
from sqlalchemy import select

from adapters.simulators import start_simulator
from app.access.scope import viewer_of
from app.cases.service import register_person
from app.community_services.service import P4_KEY, start_child_services
from app.config import Settings
from app.db import transaction
from app.db.models import CaseDocument, HumanTask, Job, ProcessInstance
from app.demo import valid_personal_code
from app.domain.calendar import add_months, today_in_latvia
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.forms.service import load_schema, validate
from app.services import Services, build_services
from tests.conftest import FORMS, PROCESSES, make_settings
from workers.jobs import run_due_jobs

SOCIAL_SERVICE = Actor("soc", frozenset({"social_service"}))
TODAY = today_in_latvia()
START = TODAY + timedelta(days=20)
# The child turns five the day after the service starts: the last day care may start.
BORN = add_months(START + timedelta(days=1), -60)


@pytest.fixture(scope="module")
def vdeavk_server() -> Iterator[Any]:
    from adapters.vdeavk.simulator import create_app

    running = start_simulator(create_app())
    yield running
    running.stop()


@pytest.fixture
def p4_settings(database_url: str, vdeavk_server: Any) -> Settings:
    assert requests.post(f"{vdeavk_server.url}/_control/reset", json={}, timeout=5).status_code == 200
    return make_settings(database_url, vdeavk_url=vdeavk_server.url)


@pytest.fixture
def p4(p4_settings: Settings) -> Iterator[Services]:
    services = build_services(p4_settings)
    with transaction(services.sessions) as session:
        path = PROCESSES / f"{P4_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
    yield services
    services.db.dispose()


def child(services: Services, server: Any, seed: int, *, born: date = BORN,
          opinion_until: date | None = START + timedelta(days=365), special_care: bool = True) -> int:
    code = valid_personal_code(seed)
    opinions = [] if opinion_until is None else [{
        "opinion_number": f"VDEAVK-T-{seed}", "disability_group": None, "severity": "SEVERE",
        "special_care_opinion": special_care, "valid_from": (born + timedelta(days=30)).isoformat(),
        "valid_to": opinion_until.isoformat()}]
    put = requests.put(f"{server.url}/_control/persons/{code}", json={"opinions": opinions}, timeout=5)
    assert put.status_code == 200, put.text
    with transaction(services.sessions) as session:
        viewer = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        person = register_person(session, viewer, given_name="Anna", family_name=f"Bērziņa{seed}",
                                 personal_code=code, birth_date=born, municipality_code="RIGA")
        person_id = person.id
    with services.sessions() as session:
        viewer = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        return start_child_services(services.engine, session, viewer, person_id, f"P4-T-{seed}")


def application(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "application_date": TODAY.isoformat(), "service_start_date": START.isoformat(),
        "care_service": True, "care_hours_per_week": 50, "respite_service": True, "respite_days": 12,
        "child_rehabilitation": ["SPEECH_THERAPIST", "HYDROTHERAPY"],
        "representative_rehabilitation": ["PSYCHOLOGIST", "EDUCATIONAL_SUPPORT_GROUPS"]}
    values.update(changes)
    return values


def open_task(services: Services, iid: int) -> HumanTask:
    with services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                         HumanTask.status == "open"))
        return task


def vdeavk_queries(services: Services, iid: int) -> list[dict[str, Any]]:
    with services.sessions() as session:
        return [job.parameters for job in session.scalars(
            select(Job).where(Job.instance_id == iid, Job.operation == "vdeavk.get_disability_status")
            .order_by(Job.id))]


def instance(services: Services, iid: int) -> ProcessInstance:
    with services.sessions() as session:
        found = session.get(ProcessInstance, iid)
        assert found is not None
        return found


def test_care_fifty_hours_the_day_before_the_fifth_birthday_is_granted(
        p4: Services, vdeavk_server: Any) -> None:
    iid = child(p4, vdeavk_server, 52)
    register = open_task(p4, iid)
    assert (register.element_id, register.candidate_groups) == ("register_application", "social_service")
    p4.engine.complete_task(register.id, SOCIAL_SERVICE, application())
    assert run_due_jobs(p4, "w1") == 1
    assert vdeavk_queries(p4, iid) == [{"personal_code": valid_personal_code(52),
                                        "on_date": START.isoformat()}]
    decide = open_task(p4, iid)
    assert decide.element_id == "decide_application"
    assert decide.due_at is not None and decide.due_at.date() >= add_months(TODAY, 1)
    p4.engine.complete_task(decide.id, SOCIAL_SERVICE,
                            {"decision": "GRANTED", "decision_date": TODAY.isoformat()})
    assert run_due_jobs(p4, "w1") == 1
    assert instance(p4, iid).status == "completed"
    with p4.sessions() as session:
        [document] = session.scalars(select(CaseDocument).where(CaseDocument.instance_id == iid))
        content = document.content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "P4-T-52" in text
    assert START.strftime("%d.%m.%Y") in text and BORN.strftime("%d.%m.%Y") in text
    assert "50" in text and "VDEAVK-T-52" in text and "12" in text


def test_fifty_and_a_half_hours_and_three_representative_services_go_back_for_correction(
        p4: Services, vdeavk_server: Any) -> None:
    iid = child(p4, vdeavk_server, 53)
    p4.engine.complete_task(open_task(p4, iid).id, SOCIAL_SERVICE, application(
        care_hours_per_week=50.5,
        representative_rehabilitation=["PSYCHOLOGIST", "PHYSIOTHERAPY", "REHABILITOLOGIST"]))
    run_due_jobs(p4, "w1")
    correct = open_task(p4, iid)
    assert correct.element_id == "correct_application"
    p4.engine.complete_task(correct.id, SOCIAL_SERVICE, application(
        representative_rehabilitation=["PSYCHOLOGIST", "PHYSIOTHERAPY"]))
    run_due_jobs(p4, "w1")
    assert open_task(p4, iid).element_id == "decide_application"
    assert len(vdeavk_queries(p4, iid)) == 2  # the opinion is checked again after the correction


def test_care_starting_on_the_fifth_birthday_is_refused(p4: Services, vdeavk_server: Any) -> None:
    iid = child(p4, vdeavk_server, 54, born=add_months(START, -60))
    p4.engine.complete_task(open_task(p4, iid).id, SOCIAL_SERVICE, application())
    run_due_jobs(p4, "w1")
    assert open_task(p4, iid).element_id == "correct_application"


def test_opinion_expired_the_day_before_the_start_is_refused_and_withdrawn(
        p4: Services, vdeavk_server: Any) -> None:
    iid = child(p4, vdeavk_server, 55, opinion_until=START - timedelta(days=1))
    p4.engine.complete_task(open_task(p4, iid).id, SOCIAL_SERVICE, application())
    run_due_jobs(p4, "w1")
    correct = open_task(p4, iid)
    assert correct.element_id == "correct_application"
    p4.engine.complete_task(correct.id, SOCIAL_SERVICE,
                            application(application_withdrawn=True))
    assert instance(p4, iid).status == "completed"
    with p4.sessions() as session:
        assert session.scalars(select(CaseDocument).where(CaseDocument.instance_id == iid)).first() is None


def test_without_care_no_opinion_is_asked_for(p4: Services, vdeavk_server: Any) -> None:
    iid = child(p4, vdeavk_server, 56, opinion_until=None)
    p4.engine.complete_task(open_task(p4, iid).id, SOCIAL_SERVICE,
                            application(care_service=False, care_hours_per_week=None))
    assert vdeavk_queries(p4, iid) == []
    decide = open_task(p4, iid)
    p4.engine.complete_task(decide.id, SOCIAL_SERVICE, {
        "decision": "REFUSED", "decision_date": TODAY.isoformat(),
        "decision_reason": "Pakalpojums pieejams citā programmā."})
    run_due_jobs(p4, "w1")
    assert instance(p4, iid).status == "completed"


def test_the_form_refuses_what_the_rules_refuse() -> None:
    schema = load_schema(FORMS, "p04_application")
    assert validate(schema, application()) == {}
    assert "care_hours_per_week" in validate(schema, application(care_hours_per_week=50.5))
    assert "representative_rehabilitation" in validate(schema, application(
        representative_rehabilitation=["PSYCHOLOGIST", "PHYSIOTHERAPY", "REHABILITOLOGIST"]))
    assert "representative_rehabilitation.0" in validate(schema, application(
        representative_rehabilitation=["HIPPOTHERAPY"]))
    assert "care_hours_per_week" in validate(schema, {k: v for k, v in application().items()
                                                      if k != "care_hours_per_week"})
