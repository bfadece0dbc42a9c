"""Fixtures of the regional data page tests: the web app with P2 and a stand-in service process
deployed, the PMLP simulator for P2's person check, persons in two planning regions, and accepted
service records (P3) stored and validated by the product's own functions."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from adapters.simulators import start_simulator
from app import create_app
from app.access.scope import viewer_of
from app.assessment.plans import store_plan_version
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.child_assessment.service import PROCESS_KEY, start_assessment
from app.community_services.records import read_row, submit_batch, validate_pending
from app.config import PROJECT_ROOT, Settings
from app.db import transaction
from app.db.models import HumanTask, ProcessInstance
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.services import Services, build_services
from tests.engine.helpers import one_task_process
from tests.web.conftest import PASSWORD, login
from workers.jobs import run_due_jobs

SERVICE_KEY = "p04_region_data_test_service"
# An assessment-kind instance that only carries the IAP the service records are validated against.
PLAN_HOLDER = "p01_region_data_plan_holder"


@pytest.fixture(scope="module")
def pmlp_server() -> Iterator[Any]:
    from adapters.pmlp.simulator import create_app as create_pmlp

    running = start_simulator(create_pmlp())
    yield running
    running.stop()


@pytest.fixture
def rd_services(database_url: str, pmlp_server: Any) -> Iterator[Services]:
    assert requests.post(f"{pmlp_server.url}/_control/reset", json={}, timeout=5).status_code == 200
    settings = Settings(database_url=database_url, forms_dir=PROJECT_ROOT / "forms",
                        processes_dir=PROJECT_ROOT / "processes", secret_key="region-data-tests",
                        start_simulators=False, in_process_workers=False, pmlp_url=pmlp_server.url)
    services = build_services(settings)
    with transaction(services.sessions) as session:
        path = PROJECT_ROOT / "processes" / f"{PROCESS_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
        deploy_source(session, f"{SERVICE_KEY}.bpmn",
                      one_task_process(SERVICE_KEY, groups="social_service"), "test")
        deploy_source(session, f"{PLAN_HOLDER}.bpmn",
                      one_task_process(PLAN_HOLDER, groups="planning_region_expert"), "test")
    yield services
    services.db.dispose()


@pytest.fixture
def rd_app(rd_services: Services) -> Flask:
    app = create_app(services=rd_services)
    app.config.update(TESTING=True)
    return app


@dataclass(frozen=True)
class Cases:
    riga_family: int  # P2 at review, FAMILY, care service and respite needed
    riga_institution: int  # P2 at the referral still
    jurmala: int  # P2 in the Riga region's other municipality, referral done (INSTITUTION)
    jelgava: int  # P2 in the Zemgale region
    riga_service: int  # a service-kind instance in Riga
    riga_family_code: str


@pytest.fixture
def cases(rd_services: Services) -> Cases:
    services = rd_services

    def person(seed: int, municipality: str) -> int:
        with transaction(services.sessions) as session:
            worker = viewer_of(session, "soc", ["caseworker"], ["social_service"], municipality)
            return register_person(session, worker, given_name="Pēteris", family_name=f"Kalniņš{seed}",
                                   personal_code=valid_personal_code(seed),
                                   municipality_code=municipality).id

    def p2(seed: int, municipality: str, case: str) -> int:
        pid = person(seed, municipality)
        with services.sessions() as session:
            worker = viewer_of(session, "soc", ["caseworker"], ["social_service"], municipality)
            from app.db.models import Person
            found = session.get(Person, pid)
            assert found is not None
            return start_assessment(services.engine, session, worker, found, case)

    def task(iid: int) -> int:
        with services.sessions() as session:
            from sqlalchemy import select
            return session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == iid, HumanTask.status == "open")).one()

    social = Actor("soc", frozenset({"social_service"}))
    expert = Actor("regions", frozenset({"planning_region_expert"}))
    today = today_in_latvia().isoformat()
    referral = {"referral_date": today, "referral_reason": "Novērtējums."}

    riga_family = p2(36, "RIGA", "P2-RD-1")
    services.engine.complete_task(task(riga_family), social, dict(referral, child_group="FAMILY"))
    while run_due_jobs(services, "w1"):
        pass
    services.engine.complete_task(task(riga_family), expert, {
        "interview_date": today, "interview_place": "Mājās", "daily_life": "a",
        "health_and_development": "b", "family_and_relations": "c", "education_and_play": "d",
        "child_views": "e"})
    services.engine.complete_task(task(riga_family), expert, {
        "services_needed": ["CARE_SERVICE", "RESPITE"], "education": "NONE", "summary": "f"})
    riga_institution = p2(37, "RIGA", "P2-RD-2")
    jurmala = p2(38, "JURMALA", "P2-RD-3")
    services.engine.complete_task(task(jurmala), social, dict(referral, child_group="INSTITUTION"))
    jelgava = p2(39, "JELGAVA", "P2-RD-4")
    service_person = person(40, "RIGA")
    with services.sessions() as session:
        worker = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        riga_service = start_process_for(services.engine, session, worker, service_person,
                                         SERVICE_KEY, {}, business_key="P4-RD-1")
    return Cases(riga_family, riga_institution, jurmala, jelgava, riga_service,
                 valid_personal_code(36))


@pytest.fixture
def client_of(rd_app: Flask, rd_services: Services) -> Callable[..., FlaskClient]:
    def make(username: str, organisation: str, roles: tuple[str, ...] = ("interviewer",),
             groups: tuple[str, ...] = ("planning_region_expert",)) -> FlaskClient:
        with transaction(rd_services.sessions) as session:
            create_user(session, username, username.capitalize(), PASSWORD, roles=roles,
                        groups=groups, organisation_code=organisation, locale="lv")
        client = rd_app.test_client()
        assert login(client, username).status_code == 302
        return client

    return make


JANUARY = (date(2025, 1, 1), date(2025, 1, 31))
FEBRUARY = (date(2025, 2, 1), date(2025, 2, 28))


@dataclass(frozen=True)
class Delivered:
    riga_code: str  # two accepted records (January day centre, February workshop) and a rejected one
    jurmala_code: str  # one accepted (January day centre), Riga region
    jelgava_code: str  # one accepted (January home care), Zemgale region


@pytest.fixture
def delivered(rd_services: Services) -> Delivered:
    services = rd_services

    def adult_with_plan(seed: int, municipality: str, planned: list[dict[str, Any]]) -> str:
        code = valid_personal_code(seed)
        with transaction(services.sessions) as session:
            worker = viewer_of(session, "soc", ["caseworker"], ["social_service"], municipality)
            person_id = register_person(session, worker, given_name="Inese", family_name=f"Ozola{seed}",
                                        personal_code=code, birth_date=date(1975, 3, 3),
                                        municipality_code=municipality).id
        with services.sessions() as session:
            worker = viewer_of(session, "soc", ["caseworker"], ["social_service"], municipality)
            iid = start_process_for(services.engine, session, worker, person_id, PLAN_HOLDER, {})
        with transaction(services.sessions) as session:
            instance = session.get(ProcessInstance, iid)
            assert instance is not None
            store_plan_version(session, instance, source="assessment", plan={
                "goals": ["Dzīvot patstāvīgi"], "services": planned,
                "valid_from": "2024-12-01", "valid_to": "2025-11-30"})
        return code

    def record(code: str, service_type: str, provider: str, period: tuple[date, date], volume: str,
               unit: str, cost_cents: int) -> dict[str, Any]:
        return read_row({"personal_code": code, "service_type": service_type, "provider_code": provider,
                         "period_from": period[0].isoformat(), "period_to": period[1].isoformat(),
                         "volume": volume, "unit": unit, "cost_cents": str(cost_cents)})

    def submit(municipality: str, rows: list[dict[str, Any]]) -> None:
        with transaction(services.sessions) as session:
            submit_batch(session, municipality_code=municipality, period_from=JANUARY[0],
                         period_to=FEBRUARY[1], source="PORTAL_FORM", submitted_by="soc", rows=rows)
            validate_pending(session, municipality)

    day_and_workshop = [{"service_type": "DAY_CENTRE", "frequency": "daily"},
                        {"service_type": "WORKSHOP", "frequency": "weekly"}]
    riga = adult_with_plan(61, "RIGA", day_and_workshop)
    jurmala = adult_with_plan(62, "JURMALA", day_and_workshop)
    jelgava = adult_with_plan(63, "JELGAVA", [{"service_type": "HOME_CARE", "hours_per_week": 10,
                                               "frequency": "weekly"}])
    submit("RIGA", [record(riga, "DAY_CENTRE", "SP-ATBALSTS", JANUARY, "10", "DAYS", 123450),
                    record(riga, "WORKSHOP", "SP-RIGA-DARBNICA", FEBRUARY, "4,5", "DAYS", 8001),
                    record(riga, "DAY_CENTRE", "SP-NOBODY", FEBRUARY, "3", "DAYS", 99999)])
    submit("JURMALA", [record(jurmala, "DAY_CENTRE", "SP-ATBALSTS", JANUARY, "5", "DAYS", 50000)])
    submit("JELGAVA", [record(jelgava, "HOME_CARE", "SP-JELGAVA-APRUPE", JANUARY, "10", "HOURS", 16000)])
    return Delivered(riga, jurmala, jelgava)
