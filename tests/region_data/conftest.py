"""Fixtures of the regional data page tests: the web app with P2 and a stand-in service process
deployed, the PMLP simulator for P2's person check, and persons in two planning regions."""
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
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.child_assessment.service import PROCESS_KEY, start_assessment
from app.config import PROJECT_ROOT, Settings
from app.db import transaction
from app.db.models import HumanTask
from app.demo import valid_personal_code
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.services import Services, build_services
from tests.engine.helpers import one_task_process
from tests.web.conftest import PASSWORD, login
from workers.jobs import run_due_jobs

SERVICE_KEY = "p04_region_data_test_service"


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
    today = date.today().isoformat()
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
