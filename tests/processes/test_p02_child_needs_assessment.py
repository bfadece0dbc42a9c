"""P2, a child's needs assessment, end to end: the real engine and workers, the PMLP and SOPA
simulators over HTTP, the summary PDF read back with pypdf, the statistics by child group."""
from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from pypdf import PdfReader
from sqlalchemy import select

from app.access.scope import Viewer, viewer_of
from app.cases.service import register_person
from app.child_assessment.service import PROCESS_KEY, assessment_facts, start_assessment
from app.child_assessment.statistics import GroupCount, completed_assessments_by_group
from app.config import Settings
from app.db import transaction
from app.db.models import CaseDocument, HumanTask, Job, Person, ProcessInstance
from app.demo import valid_personal_code
from app.domain.calendar import end_of_day, today_in_latvia
from app.engine.deploy import deploy_source
from app.engine.errors import NotYourTask
from app.engine.runtime import Actor
from app.services import Services, build_services
from tests.conftest import PROCESSES
from workers.jobs import run_due_jobs

SOCIAL_SERVICE = Actor("soc", frozenset({"social_service"}))
EXPERT = Actor("regions", frozenset({"planning_region_expert"}))
SUPERVISOR = Actor("regvad", frozenset({"planning_region_expert", "planning_region_supervisor"}))


@pytest.fixture
def pmlp_server(simulators: dict[str, Any]) -> Any:
    return simulators["pmlp"]


@pytest.fixture
def sopa_server(simulators: dict[str, Any]) -> Any:
    return simulators["sopa"]


@pytest.fixture
def p2_settings(settings: Settings) -> Settings:
    return settings  # every adapter pointed at its simulator, reset for the test


@pytest.fixture
def p2(p2_settings: Settings) -> Iterator[Services]:
    services = build_services(p2_settings)
    with transaction(services.sessions) as session:
        path = PROCESSES / f"{PROCESS_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
    yield services
    services.db.dispose()


def social_worker(session: Any, municipality: str = "RIGA") -> Viewer:
    return viewer_of(session, "soc", ["caseworker"], ["social_service"], municipality)


def register_child(services: Services, pmlp: Any, seed: int, *, municipality: str = "RIGA",
                   institution: str | None = None, birth_date: str = "2021-06-14",
                   status: str = "LIVING", in_register: bool = True) -> int:
    code = valid_personal_code(seed)
    if in_register:
        put = requests.put(f"{pmlp.url}/_control/persons/{code}", timeout=5, json={
            "given_name": "Marta", "family_name": "Ozoliņa", "birth_date": birth_date, "sex": "F",
            "status": status, "declared_address": "Rīga, Lāčplēša iela 5", "municipality_code": municipality})
        assert put.status_code == 200, put.text
    else:
        assert requests.delete(f"{pmlp.url}/_control/persons/{code}", timeout=5).status_code in (200, 204, 404)
    with transaction(services.sessions) as session:
        person = register_person(session, social_worker(session, municipality), given_name="Marta",
                                 family_name="Ozoliņa", personal_code=code,
                                 municipality_code=municipality, institution_code=institution)
        return person.id


def start(services: Services, person_id: int, case_number: str, municipality: str = "RIGA") -> int:
    with services.sessions() as session:
        person = session.get(Person, person_id)
        assert person is not None
        return start_assessment(services.engine, session, social_worker(session, municipality),
                                person, case_number)


def open_task(services: Services, iid: int) -> HumanTask:
    with services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                         HumanTask.status == "open"))
        return task


def run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def instance(services: Services, iid: int) -> ProcessInstance:
    with services.sessions() as session:
        row = session.get(ProcessInstance, iid)
        assert row is not None
        return row


def referral(group: str, referral_date: date) -> dict[str, Any]:
    return {"child_group": group, "referral_date": referral_date.isoformat(),
            "referral_reason": "Novērtējums deinstitucionalizācijas plāna ietvaros."}


INTERVIEW = {"interview_date": today_in_latvia().isoformat(), "interview_place": "Bērna mājās",
             "daily_life": "Diena paiet mājās ar mammu.", "health_and_development": "Kustību traucējumi.",
             "family_and_relations": "Dzīvo ar abiem vecākiem.", "education_and_play": "Bērnudārzs.",
             "child_views": "Patīk zīmēt."}
FAMILY_NEEDS = {"services_needed": ["CARE_SERVICE", "RESPITE", "REHAB_PHYSIOTHERAPY"],
                "education": "PRESCHOOL", "has_disability": True,
                "summary": "Nepieciešama aprūpe 20 stundas nedēļā un fizioterapija."}
INSTITUTION_NEEDS = {"services_needed": ["FOSTER_FAMILY", "SOCIAL_REHABILITATION"],
                     "education": "SCHOOL", "summary": "Bērnam piemērota audžuģimene."}


def through_interview(services: Services, iid: int, group: str) -> HumanTask:
    refer = open_task(services, iid)
    assert (refer.element_id, refer.candidate_groups) == ("refer_child", "social_service")
    services.engine.complete_task(refer.id, SOCIAL_SERVICE, referral(group, today_in_latvia()))
    [check] = _jobs(services, iid)
    assert check.operation == "pmlp.get_person"
    run_jobs(services)
    interview = open_task(services, iid)
    assert (interview.element_id, interview.candidate_groups) == ("interview", "planning_region_expert")
    services.engine.complete_task(interview.id, EXPERT, INTERVIEW)
    return open_task(services, iid)


def _jobs(services: Services, iid: int) -> list[Job]:
    with services.sessions() as session:
        return list(session.scalars(select(Job).where(Job.instance_id == iid).order_by(Job.id)))


def received_assessments(sopa: Any) -> list[dict[str, Any]]:
    response = requests.get(f"{sopa.url}/_control/received/assessments", timeout=5)
    assert response.status_code == 200
    return list(response.json())


def pdf_text(services: Services, iid: int) -> str:
    with services.sessions() as session:
        [document] = session.scalars(select(CaseDocument).where(CaseDocument.instance_id == iid))
        assert document.kind == "child_assessment"
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document.content)).pages)


def test_family_child_is_assessed_sent_to_the_municipality_and_summarised(
        p2: Services, pmlp_server: Any, sopa_server: Any) -> None:
    person = register_child(p2, pmlp_server, 36)
    iid = start(p2, person, "P2-T-0001")
    refer = open_task(p2, iid)
    p2.engine.complete_task(refer.id, SOCIAL_SERVICE, referral("FAMILY", today_in_latvia()))
    run_jobs(p2)
    interview = open_task(p2, iid)
    # Due 30 days after the referral, passing at Riga midnight.
    due = today_in_latvia() + timedelta(days=30)
    assert interview.due_at == end_of_day(due)
    p2.engine.complete_task(interview.id, EXPERT, INTERVIEW)
    needs = open_task(p2, iid)
    assert needs.element_id == "record_needs_family"
    p2.engine.complete_task(needs.id, EXPERT, FAMILY_NEEDS)
    review = open_task(p2, iid)
    assert (review.element_id, review.candidate_groups) == ("review", "planning_region_supervisor")
    with pytest.raises(NotYourTask):  # an expert is not the supervisor
        p2.engine.complete_task(review.id, EXPERT, {"decision": "APPROVE"})
    p2.engine.complete_task(review.id, SUPERVISOR, {"decision": "APPROVE"})
    run_jobs(p2)

    assert instance(p2, iid).status == "completed"
    [sent] = received_assessments(sopa_server)
    assert sent["municipality_code"] == "RIGA" and sent["case_reference"] == "P2-T-0001"
    assert sent["child_group"] == "FAMILY"
    assert sent["services_needed"] == ["CARE_SERVICE", "RESPITE", "REHAB_PHYSIOTHERAPY"]
    text = pdf_text(p2, iid)
    for expected in ("P2-T-0001", "Marta Ozoliņa", "14.06.2021", "Bērns ar FT ģimenē",
                     "Aprūpes pakalpojums", "Atelpas brīdis likumiskajiem pārstāvjiem",
                     "Fizioterapija", sent["sopa_reference"], today_in_latvia().strftime("%d.%m.%Y")):
        assert expected in text, expected
    with p2.sessions() as session:
        facts = assessment_facts(session, [iid])[iid]
    assert (facts.child_group, facts.decision, facts.corrections) == ("FAMILY", "APPROVE", 0)


def test_institution_child_returned_for_correction_then_approved(
        p2: Services, pmlp_server: Any, sopa_server: Any) -> None:
    person = register_child(p2, pmlp_server, 37, institution="VSAC-RIGA", birth_date="2014-02-03")
    iid = start(p2, person, "P2-T-0002")
    needs = through_interview(p2, iid, "INSTITUTION")
    assert needs.element_id == "record_needs_institution"
    p2.engine.complete_task(needs.id, EXPERT, INSTITUTION_NEEDS)
    review = open_task(p2, iid)
    p2.engine.complete_task(review.id, SUPERVISOR, {"decision": "RETURN",
                                                    "review_comment": "Precizējiet pakalpojumus."})
    again = open_task(p2, iid)
    assert again.element_id == "record_needs_institution" and again.id != needs.id
    assert received_assessments(sopa_server) == []  # nothing leaves before approval
    p2.engine.complete_task(again.id, EXPERT, dict(INSTITUTION_NEEDS, services_needed=["GUARDIANSHIP"]))
    p2.engine.complete_task(open_task(p2, iid).id, SUPERVISOR, {"decision": "APPROVE"})
    run_jobs(p2)
    assert instance(p2, iid).status == "completed"
    [sent] = received_assessments(sopa_server)
    assert (sent["child_group"], sent["services_needed"]) == ("INSTITUTION", ["GUARDIANSHIP"])
    text = pdf_text(p2, iid)
    assert "Bērns aprūpes iestādē" in text and "Aizbildnība" in text and "Audžuģimene" not in text


@pytest.mark.parametrize("case", ["unknown", "deceased"])
def test_a_child_the_register_does_not_confirm_ends_without_an_interview(
        p2: Services, pmlp_server: Any, sopa_server: Any, case: str) -> None:
    person = register_child(p2, pmlp_server, 38, in_register=case != "unknown",
                            status="DECEASED" if case == "deceased" else "LIVING")
    iid = start(p2, person, f"P2-T-{case}")
    p2.engine.complete_task(open_task(p2, iid).id, SOCIAL_SERVICE, referral("FAMILY", today_in_latvia()))
    run_jobs(p2)
    done = instance(p2, iid)
    assert done.status == "completed"
    with p2.sessions() as session:
        assert session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                       HumanTask.element_id == "interview")).first() is None
        assert session.scalars(select(CaseDocument).where(CaseDocument.instance_id == iid)).first() is None
    assert received_assessments(sopa_server) == []


def test_tasks_land_only_with_the_region_of_the_child(p2: Services, pmlp_server: Any) -> None:
    from app.access.scope import actionable_filter

    person = register_child(p2, pmlp_server, 39, municipality="JELGAVA")
    iid = start(p2, person, "P2-T-0005", municipality="JELGAVA")
    p2.engine.complete_task(open_task(p2, iid).id, Actor("jelgava", frozenset({"social_service"})),
                            referral("FAMILY", today_in_latvia()))
    run_jobs(p2)
    interview = open_task(p2, iid)
    with p2.sessions() as session:
        riga = viewer_of(session, "regions", ["interviewer"], ["planning_region_expert"], "PR-RIGA")
        zemgale = viewer_of(session, "zreg", ["interviewer"], ["planning_region_expert"], "PR-ZEMGALE")
        query = select(HumanTask.id).where(HumanTask.id == interview.id)
        assert session.scalar(query.where(actionable_filter(riga))) is None
        assert session.scalar(query.where(actionable_filter(zemgale))) == interview.id


def test_completed_assessments_are_counted_by_child_group_and_municipality(
        p2: Services, pmlp_server: Any, sopa_server: Any) -> None:
    def assess(seed: int, group: str, municipality: str, approve: bool = True) -> int:
        person = register_child(p2, pmlp_server, seed, municipality=municipality)
        iid = start(p2, person, f"P2-S-{seed}", municipality=municipality)
        needs = through_interview(p2, iid, group)
        p2.engine.complete_task(needs.id, EXPERT, FAMILY_NEEDS if group == "FAMILY" else INSTITUTION_NEEDS)
        if approve:
            p2.engine.complete_task(open_task(p2, iid).id, SUPERVISOR, {"decision": "APPROVE"})
            run_jobs(p2)
        return iid

    assess(40, "FAMILY", "RIGA")
    assess(41, "FAMILY", "RIGA")
    assess(42, "INSTITUTION", "RIGA")
    assess(43, "INSTITUTION", "JELGAVA")
    assess(44, "FAMILY", "RIGA", approve=False)  # still at review: not counted
    # Ended without an interview: not an assessment.
    unknown = register_child(p2, pmlp_server, 45, in_register=False)
    iid = start(p2, unknown, "P2-S-45")
    p2.engine.complete_task(open_task(p2, iid).id, SOCIAL_SERVICE, referral("FAMILY", today_in_latvia()))
    run_jobs(p2)

    with p2.sessions() as session:
        ministry = viewer_of(session, "ministrija", ["caseworker"], ["ministry"], "LM")
        riga_region = viewer_of(session, "regions", ["interviewer"], ["planning_region_expert"], "PR-RIGA")
        assert completed_assessments_by_group(session, ministry) == [
            GroupCount("JELGAVA", "INSTITUTION", 1), GroupCount("RIGA", "FAMILY", 2),
            GroupCount("RIGA", "INSTITUTION", 1)]
        assert completed_assessments_by_group(session, riga_region) == [
            GroupCount("RIGA", "FAMILY", 2), GroupCount("RIGA", "INSTITUTION", 1)]
        yesterday = today_in_latvia() - timedelta(days=1)
        assert completed_assessments_by_group(session, ministry, period_to=yesterday) == []
        assert len(completed_assessments_by_group(session, ministry, period_from=today_in_latvia(),
                                                  period_to=today_in_latvia())) == 3


def test_demo_children_stand_in_every_state_and_load_once(p2: Services) -> None:
    from app.child_assessment.demo import load_demo

    load_demo(p2, today_in_latvia())
    load_demo(p2, today_in_latvia())  # idempotent
    with p2.sessions() as session:
        instances = list(session.scalars(select(ProcessInstance).where(
            ProcessInstance.process_key == PROCESS_KEY).order_by(ProcessInstance.id)))
        waiting = [session.scalars(select(HumanTask.element_id).where(
            HumanTask.instance_id == i.id, HumanTask.status == "open")).first() for i in instances]
        documents = session.scalars(select(CaseDocument.instance_id)).all()
    assert len(instances) == 10
    assert waiting == ["refer_child", "interview", None, "record_needs_institution", "review",
                       "interview", "record_needs_institution", None, None, "review"]
    assert [i.status for i in instances].count("completed") == 3
    assert len(documents) == 2  # the two approved ones; the deceased child's case has none
    assert {i.municipality_code for i in instances} == {"RIGA", "JELGAVA"}
