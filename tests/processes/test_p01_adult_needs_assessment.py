"""P1, an adult's needs assessment and IAP, end to end: the real engine and workers, the PMLP and
SOPA simulators over HTTP, the IAP PDF read back with pypdf, later versions from the municipality
through the engine's message correlation."""
from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from pypdf import PdfReader
from sqlalchemy import select

from adapters.simulators import adapter_settings
from app.access.scope import Viewer, viewer_of
from app.assessment.plans import current_plan, diff_plans, plan_versions
from app.assessment.service import CLOSING_MESSAGE, PROCESS_KEY, VERSION_MESSAGE, start_assessment
from app.cases.service import register_person
from app.config import Settings
from app.db import transaction
from app.db.models import CaseDocument, HumanTask, Job, ProcessInstance
from app.demo import valid_personal_code
from app.domain.calendar import end_of_day, today_in_latvia
from app.engine.deploy import deploy_source
from app.engine.errors import MessageNotCorrelated, NotYourTask
from app.engine.runtime import Actor
from app.services import Services, build_services
from tests.conftest import PROCESSES, make_settings
from workers.jobs import run_due_jobs

INSTITUTION = Actor("iestade", frozenset({"institution"}))
EXPERT = Actor("regions", frozenset({"planning_region_expert"}))
SUPERVISOR = Actor("regvad", frozenset({"planning_region_expert", "planning_region_supervisor"}))
SOPA_BUS = Actor("api:sopa", frozenset())
LEVELS = {"self_care": 1, "household": 2, "health": 3, "mobility": 0, "communication": 1,
          "social_relations": 2, "occupation": 4, "finances": 3, "housing": 1, "safety": 0}


@pytest.fixture
def p1_settings(database_url: str, simulators: dict[str, Any]) -> Settings:
    return make_settings(database_url, **adapter_settings(simulators))


@pytest.fixture
def pmlp_server(simulators: dict[str, Any]) -> Any:
    return simulators["pmlp"]


@pytest.fixture
def sopa_server(simulators: dict[str, Any]) -> Any:
    return simulators["sopa"]


@pytest.fixture
def p1(p1_settings: Settings) -> Iterator[Services]:
    services = build_services(p1_settings)
    with transaction(services.sessions) as session:
        path = PROCESSES / f"{PROCESS_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
    yield services
    services.db.dispose()


def institution_worker(session: Any) -> Viewer:
    return viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")


def apply(services: Services, seed: int = 21, application_date: date | None = None,
          municipality: str = "RIGA") -> tuple[int, str, int]:
    """A person living in VSAC-RIGA and the application for their assessment."""
    with transaction(services.sessions) as session:
        person = register_person(session, institution_worker(session), given_name="Jānis",
                                 family_name="Bērziņš", personal_code=valid_personal_code(seed),
                                 municipality_code=municipality, institution_code="VSAC-RIGA")
        person_id = person.id
    with services.sessions() as session:
        iid, reference = start_assessment(services.engine, session, institution_worker(session),
                                          person_id, application_date or today_in_latvia())
    return iid, reference, person_id


def run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def open_task(services: Services, iid: int) -> HumanTask:
    with services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "open"))
        return task


def instance(services: Services, iid: int) -> ProcessInstance:
    with services.sessions() as session:
        found = session.get(ProcessInstance, iid)
        assert found is not None
        return found


def interview_form(**levels: int) -> dict[str, Any]:
    wanted = dict(LEVELS, **levels)
    return {"interview_date": today_in_latvia().isoformat(), "interview_place": "INSTITUTION",
            "needs": {key: {"level": level, "q1": "Atbilde", "notes": "Piezīmes"}
                      for key, level in wanted.items()}}


def plan_form(**changes: Any) -> dict[str, Any]:
    start = today_in_latvia()
    form = {"goals": [{"goal": "Pārcelties uz grupu dzīvokli"},
                      {"goal": "Apmeklēt dienas aprūpes centru"}],
            "services": [{"service_type": "GROUP_APARTMENT", "frequency": "pastāvīgi"},
                         {"service_type": "DAY_CENTRE", "hours_per_week": 20}],
            "responsible_municipality": "RIGA", "valid_from": start.isoformat(),
            "valid_to": (start + timedelta(days=300)).isoformat()}
    form.update(changes)
    return form


def to_approval(services: Services, iid: int) -> HumanTask:
    run_jobs(services)  # the register check
    interview = open_task(services, iid)
    assert (interview.element_id, interview.candidate_groups) == ("interview",
                                                                 "planning_region_expert")
    # Due 30 days after the application, at the end of that day in Latvia.
    assert interview.due_at is not None
    services.engine.complete_task(interview.id, EXPERT, interview_form())
    draft = open_task(services, iid)
    assert draft.element_id == "draft_iap"
    services.engine.complete_task(draft.id, EXPERT, plan_form())
    approval = open_task(services, iid)
    assert (approval.element_id, approval.candidate_groups) == ("approve_iap",
                                                               "planning_region_supervisor")
    return approval


def iap_text(services: Services, iid: int, version: int) -> str:
    with services.sessions() as session:
        document = session.scalars(select(CaseDocument).where(
            CaseDocument.instance_id == iid, CaseDocument.kind == "iap",
            CaseDocument.version == version)).one()
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document.content)).pages)


def test_approved_iap_is_stored_printed_sent_and_later_versions_arrive(p1: Services,
                                                                        sopa_server: Any) -> None:
    iid, reference, person_id = apply(p1)
    approval = to_approval(p1, iid)
    with pytest.raises(NotYourTask):  # the expert does not approve his own plan
        p1.engine.complete_task(approval.id, EXPERT, {"decision": "APPROVE"})
    p1.engine.complete_task(approval.id, SUPERVISOR, {"decision": "APPROVE"})
    run_jobs(p1)

    with p1.sessions() as session:
        [first] = plan_versions(session, person_id)
        assert (first.version, first.source) == (1, "assessment")
        assert [s["service_type"] for s in first.content["services"]] == ["GROUP_APARTMENT",
                                                                         "DAY_CENTRE"]
        assert current_plan(session, person_id, today_in_latvia()) == first
        assert current_plan(session, person_id, today_in_latvia() - timedelta(days=1)) is None
    text = iap_text(p1, iid, 1)
    for expected in (reference, "Pārcelties uz grupu dzīvokli", "Dienas aprūpes centrs", "20",
                     today_in_latvia().strftime("%d.%m.%Y"), "Nodarbinātība"):
        assert expected in text, expected
    received = requests.get(f"{sopa_server.url}/_control/received/plans", timeout=5).json()
    assert [r["case_reference"] for r in received if r["case_reference"] == reference]
    assert instance(p1, iid).status == "active"  # waiting for the municipality's versions

    # The municipality sends version 2: day centre hours cut, workshops added.
    later = today_in_latvia() + timedelta(days=30)
    version_2 = {"sopa_reference": "SOPA-IAP-77", "plan_version": 2, "received_at": "",
                 "plan": {"goals": ["Pārcelties uz grupu dzīvokli"],
                          "services": [{"service_type": "GROUP_APARTMENT", "frequency": "pastāvīgi"},
                                       {"service_type": "DAY_CENTRE", "hours_per_week": 10},
                                       {"service_type": "WORKSHOP", "hours_per_week": 6}],
                          "valid_from": later.isoformat(),
                          "valid_to": (later + timedelta(days=200)).isoformat()}}
    assert p1.engine.correlate(VERSION_MESSAGE, version_2, business_key=reference,
                               actor=SOPA_BUS) == [iid]
    run_jobs(p1)
    with p1.sessions() as session:
        first, second = plan_versions(session, person_id)
        assert (second.version, second.source, second.external_reference) == (
            2, "municipality", "SOPA-IAP-77")
        assert current_plan(session, person_id, today_in_latvia()) == first
        assert current_plan(session, person_id, later) == second
        change = diff_plans(first.content, second.content)
        assert change["goals_removed"] == ["Apmeklēt dienas aprūpes centru"]
        assert [s["service_type"] for s in change["services_added"]] == ["WORKSHOP"]
        assert change["services_changed"] == [{"service_type": "DAY_CENTRE",
                                               "fields": {"hours_per_week": (20, 10)}}]
    assert "Specializētās darbnīcas" in iap_text(p1, iid, 2)

    # Delivered twice by the bus: stored once, no new PDF.
    p1.engine.correlate(VERSION_MESSAGE, version_2, business_key=reference, actor=SOPA_BUS)
    run_jobs(p1)
    with p1.sessions() as session:
        assert len(plan_versions(session, person_id)) == 2
        assert len(session.scalars(select(CaseDocument).where(
            CaseDocument.instance_id == iid)).all()) == 2

    p1.engine.correlate(CLOSING_MESSAGE, {"reason": "Pakalpojumi beigti"}, business_key=reference,
                        actor=SOPA_BUS)
    assert instance(p1, iid).status == "completed"
    with pytest.raises(MessageNotCorrelated):
        p1.engine.correlate(VERSION_MESSAGE, version_2, business_key=reference, actor=SOPA_BUS)


def test_returned_plan_goes_back_to_the_expert_with_the_reason(p1: Services) -> None:
    iid, _reference, person_id = apply(p1, seed=22)
    approval = to_approval(p1, iid)
    p1.engine.complete_task(approval.id, SUPERVISOR, {"decision": "RETURN",
                                                      "return_reason": "Precizēt stundas"})
    draft = open_task(p1, iid)
    assert draft.element_id == "draft_iap"
    with p1.sessions() as session:
        assert plan_versions(session, person_id) == []
    p1.engine.complete_task(draft.id, EXPERT, plan_form(services=[
        {"service_type": "DAY_CENTRE", "hours_per_week": 25}]))
    p1.engine.complete_task(open_task(p1, iid).id, SUPERVISOR, {"decision": "APPROVE"})
    run_jobs(p1)
    with p1.sessions() as session:
        [only] = plan_versions(session, person_id)
        assert only.content["services"][0]["hours_per_week"] == 25
        assert session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == iid))
    assert "25" in iap_text(p1, iid, 1)


def test_a_plan_that_breaks_the_rules_returns_to_the_expert(p1: Services) -> None:
    iid, _reference, _person_id = apply(p1, seed=23)
    run_jobs(p1)
    p1.engine.complete_task(open_task(p1, iid).id, EXPERT, interview_form())
    draft = open_task(p1, iid)
    too_long = (today_in_latvia() + timedelta(days=400)).isoformat()
    p1.engine.complete_task(draft.id, EXPERT, plan_form(valid_to=too_long))
    again = open_task(p1, iid)
    assert again.element_id == "draft_iap" and again.id != draft.id


def test_a_deceased_person_ends_the_application_with_the_reason(p1: Services,
                                                                pmlp_server: Any) -> None:
    code = valid_personal_code(24)
    record = requests.get(f"{pmlp_server.url}/_control/persons/{code}", timeout=5).json()
    record["status"] = "DECEASED"
    assert requests.put(f"{pmlp_server.url}/_control/persons/{code}", json=record,
                        timeout=5).status_code == 200
    iid, _reference, _person_id = apply(p1, seed=24)
    run_jobs(p1)
    done = instance(p1, iid)
    assert done.status == "completed"
    with p1.sessions() as session:
        assert not session.scalars(select(HumanTask).where(HumanTask.instance_id == iid)).all()


def test_an_unknown_person_goes_to_correction_and_may_be_withdrawn(p1: Services,
                                                                   pmlp_server: Any) -> None:
    code = valid_personal_code(25)
    assert requests.delete(f"{pmlp_server.url}/_control/persons/{code}",
                           timeout=5).status_code in (200, 204)
    iid, _reference, _person_id = apply(p1, seed=25)
    run_jobs(p1)
    task = open_task(p1, iid)
    assert (task.element_id, task.candidate_groups) == ("correct_application",
                                                       "social_service institution")
    # Corrected to the code the register knows: the check runs again and the interview opens.
    known = valid_personal_code(26)
    p1.engine.complete_task(task.id, INSTITUTION, {"withdraw": False, "personal_code": known})
    run_jobs(p1)
    assert open_task(p1, iid).element_id == "interview"


def test_withdrawn_application_ends(p1: Services, pmlp_server: Any) -> None:
    code = valid_personal_code(27)
    requests.delete(f"{pmlp_server.url}/_control/persons/{code}", timeout=5)
    iid, _reference, _person_id = apply(p1, seed=27)
    run_jobs(p1)
    p1.engine.complete_task(open_task(p1, iid).id, INSTITUTION, {"withdraw": True})
    assert instance(p1, iid).status == "completed"


def test_tasks_reach_only_the_persons_planning_region(p1: Services) -> None:
    from app.access.scope import record_filter

    iid, _reference, _person_id = apply(p1, seed=28, municipality="JELGAVA")
    run_jobs(p1)
    task = open_task(p1, iid)
    with p1.sessions() as session:
        riga = viewer_of(session, "regions", ["caseworker"], ["planning_region_expert"], "PR-RIGA")
        zemgale = viewer_of(session, "z", ["caseworker"], ["planning_region_expert"],
                            "PR-ZEMGALE")
        seen = {name: session.scalar(select(HumanTask.id).where(
            HumanTask.id == task.id, record_filter(viewer, HumanTask)))
            for name, viewer in (("riga", riga), ("zemgale", zemgale))}
    assert seen == {"riga": None, "zemgale": task.id}


def test_no_job_is_left_failing(p1: Services) -> None:
    iid, _reference, _person_id = apply(p1, seed=29)
    to_approval(p1, iid)
    with p1.sessions() as session:
        statuses = set(session.scalars(select(Job.status).where(Job.instance_id == iid)))
    assert statuses == {"done"}


def test_an_overdue_interview_reminds_and_escalates_and_stays_open(p1: Services) -> None:
    from workers.timers import fire_due_timers

    applied = today_in_latvia() - timedelta(days=40)
    iid, _reference, _person_id = apply(p1, seed=30, application_date=applied)
    run_jobs(p1)
    interview = open_task(p1, iid)
    assert interview.element_id == "interview"
    # Due 30 days after the application: passed at the next midnight in Latvia.
    assert interview.due_at == end_of_day(applied + timedelta(days=30))
    fire_due_timers(p1, "t1")
    run_jobs(p1)
    with p1.sessions() as session:
        done = {(job.operation, job.status) for job in session.scalars(
            select(Job).where(Job.instance_id == iid, Job.operation.like("tasks.%")))}
    assert done == {("tasks.remind", "done"), ("tasks.escalate", "done")}
    assert open_task(p1, iid).id == interview.id


def test_the_iap_pdf_is_made_again_identically_from_its_data(p1: Services) -> None:
    from app.documents.service import render_again

    iid, _reference, _person_id = apply(p1, seed=31)
    approval = to_approval(p1, iid)
    p1.engine.complete_task(approval.id, SUPERVISOR, {"decision": "APPROVE"})
    run_jobs(p1)
    with p1.sessions() as session:
        document = session.scalars(select(CaseDocument).where(
            CaseDocument.instance_id == iid, CaseDocument.kind == "iap")).one()
        assert render_again(document) == document.content
