"""POST /api/v1/support-plans/{case_reference}/versions: SOPA (through the integration bus)
delivers a municipality's IAP version to the P1 case waiting for it."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.access.scope import viewer_of
from app.assessment.plans import plan_versions
from app.assessment.service import start_assessment
from app.cases.service import register_person
from app.db import transaction
from app.db.models import HumanTask
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.engine.runtime import Actor
from app.services import Services
from tests.processes.test_p01_adult_needs_assessment import interview_form, plan_form
from workers.jobs import run_due_jobs

from .conftest import Api, error_of

EXPERT = Actor("regions", frozenset({"planning_region_expert"}))
SUPERVISOR = Actor("regvad", frozenset({"planning_region_supervisor"}))


def _run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def _open_task(services: Services, iid: int) -> HumanTask:
    with services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                         HumanTask.status == "open"))
        return task


def _case(services: Services, seed: int, *, approve: bool = True) -> tuple[str, int]:
    with transaction(services.sessions) as session:
        worker = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        person = register_person(session, worker, given_name="Anna", family_name="Kalniņa",
                                 personal_code=valid_personal_code(seed), municipality_code="RIGA",
                                 institution_code="VSAC-RIGA")
        person_id = person.id
    with services.sessions() as session:
        worker = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        iid, reference = start_assessment(services.engine, session, worker, person_id,
                                          today_in_latvia())
    _run_jobs(services)
    services.engine.complete_task(_open_task(services, iid).id, EXPERT, interview_form())
    services.engine.complete_task(_open_task(services, iid).id, EXPERT, plan_form())
    if approve:
        services.engine.complete_task(_open_task(services, iid).id, SUPERVISOR,
                                      {"decision": "APPROVE"})
        _run_jobs(services)
    return reference, person_id


def _version(reference: str = "SOPA-V-2", **plan: Any) -> dict[str, Any]:
    start = today_in_latvia() + timedelta(days=10)
    body = {"goals": ["Dzīvot patstāvīgi"],
            "services": [{"service_type": "HOME_CARE", "hours_per_week": 8}],
            "valid_from": start.isoformat(), "valid_to": (start + timedelta(days=100)).isoformat()}
    body.update(plan)
    return {"sopa_reference": reference, "plan_version": 2, "plan": body}


@pytest.fixture
def bus(api_as: Callable[..., Api]) -> Api:
    """The integration bus calling for Riga's social service (SOPA)."""
    return api_as("sopa-riga", organisation="RIGA", groups=("social_service",))


def test_a_version_is_accepted_stored_and_a_repeat_is_a_duplicate(
        bus: Api, web_services: Services) -> None:
    reference, person_id = _case(web_services, 30)
    response = bus.post(f"/support-plans/{reference}/versions", json=_version())
    assert response.status_code == 202, response.text
    assert response.get_json()["status"] == "accepted"
    _run_jobs(web_services)
    with web_services.sessions() as session:
        versions = plan_versions(session, person_id)
    assert [(v.version, v.source) for v in versions] == [(1, "assessment"), (2, "municipality")]
    assert versions[1].content["services"][0]["service_type"] == "HOME_CARE"

    again = bus.post(f"/support-plans/{reference}/versions", json=_version())
    assert again.status_code == 200
    assert again.get_json() == {"status": "duplicate", "case_reference": reference, "version": 2}


def test_an_unknown_case_is_404(bus: Api, web_services: Services) -> None:
    response = bus.post("/support-plans/P1-1999-000000-1/versions", json=_version())
    assert response.status_code == 404
    assert error_of(response)["code"] == "unknown_case"


def test_a_malformed_version_says_what_is_wrong(bus: Api, web_services: Services) -> None:
    reference, _person_id = _case(web_services, 31)
    response = bus.post(f"/support-plans/{reference}/versions", json={
        "plan_version": 1, "plan": {"goals": ["x"], "valid_from": "31.12.2026",
                                    "services": [{"service_type": "SPA", "hours_per_week": 3}]}})
    assert response.status_code == 422
    fields = error_of(response)["fields"]
    assert set(fields) == {"sopa_reference", "plan_version", "plan.valid_from"}

    wrong_type = bus.post(f"/support-plans/{reference}/versions", json=_version(
        services=[{"service_type": "SPA", "hours_per_week": 3},
                  {"service_type": "HOME_CARE", "hours_per_week": 61}]))
    assert wrong_type.status_code == 422
    assert error_of(wrong_type)["fields"]["plan"] == [
        "service 1: 'SPA' is not one of the seven service types",
        "service 2: 61 hours a week is outside 0–60"]


def test_a_case_not_yet_approved_is_409(bus: Api, web_services: Services) -> None:
    reference, _person_id = _case(web_services, 32, approve=False)
    response = bus.post(f"/support-plans/{reference}/versions", json=_version("SOPA-V-9"))
    assert response.status_code == 409
    assert error_of(response)["code"] == "case_not_waiting"


def test_another_municipality_cannot_address_the_case(api_as: Callable[..., Api],
                                                      web_services: Services) -> None:
    reference, _person_id = _case(web_services, 33)
    jelgava = api_as("sopa-jelgava", organisation="JELGAVA", groups=("social_service",))
    response = jelgava.post(f"/support-plans/{reference}/versions", json=_version("SOPA-V-3"))
    assert response.status_code == 404
