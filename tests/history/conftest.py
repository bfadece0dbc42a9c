"""Fixtures of the history tests: the web tests' app and accounts, an auditor, and a P9 case
that has run a while (a placement registered, an overdue notice queued, a report delivered)."""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from app.auth.service import create_user
from app.db import transaction
from app.engine import incidents
from app.engine.runtime import Actor
from app.services import Services
from tests.web.conftest import (
    P9,
    P9_START,
    PASSWORD,
    app,
    login,
    open_tasks,
    start_for_child,
    web_services,
    web_settings,
)
from workers.jobs import run_due_jobs

__all__ = ["app", "web_services", "web_settings"]

INSTITUTION = Actor("inese", frozenset({"institution"}))
PLACEMENT = {"placement_date": "2025-01-12", "child_birth_date": "2023-03-15",
             "institution_name": "VSAC «Rīga»", "orphan_court_code": "RIGA"}


def report(report_date: str, care_ended: bool = False, **changes: object) -> dict[str, object]:
    text = "Regulāra saskarsme."
    data: dict[str, object] = {
        "report_date": report_date, "contact_with_parents": text, "contact_with_siblings": text,
        "contact_with_others": text, "cooperation": text, "physical_development": text,
        "psychosocial_development": text, "care_ended": care_ended}
    data.update(changes)
    return data


@dataclass(frozen=True)
class Case:
    instance_id: int
    person_id: int


@pytest.fixture
def account(app: Flask, web_services: Services) -> Callable[..., FlaskClient]:
    """A signed-in test client for a new account with the given roles and organisation."""

    def make(username: str, roles: tuple[str, ...], organisation: str,
             groups: tuple[str, ...] = (), display_name: str = "") -> FlaskClient:
        with transaction(web_services.sessions) as session:
            create_user(session, username, display_name or username.capitalize(), PASSWORD,
                        roles=list(roles), groups=list(groups), organisation_code=organisation)
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client

    return make


@pytest.fixture
def auditor(account: Callable[..., FlaskClient]) -> FlaskClient:
    return account("auditore", ("auditor",), "LM-AUDIT", display_name="Anna Vītola")


@pytest.fixture
def operator(account: Callable[..., FlaskClient]) -> FlaskClient:
    return account("operators", ("operator",), "LM", display_name="Oskars Operators")


@pytest.fixture
def p9_case(web_services: Services, npais_simulator: object) -> Case:
    return run_p9_case(web_services, npais_simulator)


def run_p9_case(web_services: Services, simulator: object, *,
                failing_delivery: bool = False) -> Case:
    """A P9 case with a placement registered (its report already overdue, so the reminder, the
    overdue notice through the outbox and the escalation ran) and one periodic report delivered to
    NPAIS and SOPA; the next report is waiting (and overdue again). With ``failing_delivery`` that
    next report is submitted too, and its delivery to NPAIS meets a server that keeps failing
    until the attempts run out: an incident, and the case waits at that step."""
    services = _for_jobs(web_services, simulator)
    instance_id = start_for_child(services, P9, dict(P9_START, placement_date="2025-01-10",
                                                     child_birth_date="2023-03-15",
                                                     orphan_court_code="RIGA",
                                                     institution_code="VSAC-RIGA",
                                                     municipality_code="RIGA"),
                                  P9_START["case_number"])
    [task] = open_tasks(services, instance_id)
    services.engine.complete_task(task.id, INSTITUTION, PLACEMENT)
    _run_all_jobs(services)
    [task] = open_tasks(services, instance_id)
    services.engine.complete_task(task.id, INSTITUTION, report("2025-04-01"))
    _run_all_jobs(services)
    if failing_delivery:
        [task] = open_tasks(services, instance_id)
        _faults(simulator, {"mode": "fault", "count": services.settings.job_max_attempts})
        services.engine.complete_task(task.id, INSTITUTION, report("2025-06-20"))
        for _ in range(60):
            if not run_due_jobs(services, "worker-1") and _has_incident(services, instance_id):
                break
            time.sleep(0.03)
        _faults(simulator, {"mode": None})
        assert _has_incident(services, instance_id)
    return Case(instance_id, task.person_id or 0)


def _run_all_jobs(services: Services) -> None:
    """A finished job may queue the next one (NPAIS, then SOPA, then the receipts): run until
    none is due."""
    while run_due_jobs(services, "worker-1"):
        pass


def _faults(simulator: object, plan: dict[str, object]) -> None:
    requests.post(f"{simulator.url}/_control/faults",  # type: ignore[attr-defined]
                  json=plan, timeout=5).raise_for_status()


def _has_incident(services: Services, instance_id: int) -> bool:
    with services.sessions() as session:
        return bool(incidents.open_incidents(session, instance_id))


def _for_jobs(services: Services, simulator: object) -> Services:
    """The job runner calls the test session's NPAIS simulator and retries without waiting."""
    settings = dataclasses.replace(services.settings, job_backoff_seconds=0.01,
                                   npais_url=simulator.url)  # type: ignore[attr-defined]
    return dataclasses.replace(services, settings=settings)
