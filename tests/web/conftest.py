"""Fixtures of the web tests: the real app on a migrated database with the processes deployed,
accounts made through the auth service, and Flask test clients signed in as those accounts.

``database_url`` (a migrated database per test) comes from ``tests/conftest.py``.
"""
from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app import create_app
from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.config import PROJECT_ROOT, Settings
from app.db import transaction
from app.db.models import HumanTask
from app.demo import valid_personal_code
from app.engine.deploy import deploy_directory
from app.services import Services, build_services

PASSWORD = "correct horse battery staple"
P9 = "p09_out_of_family_care"
P9_START = {"case_number": "P9-2026-0001", "child_birth_date": "2024-05-01",
            "placement_date": "2026-01-10", "orphan_court_code": "RIGA-BT"}
PLACEMENT_FORM = {"placement_date": "2026-01-10", "child_birth_date": "2024-05-01",
                  "institution_name": "VSAC «Rīga», filiāle „Ropaži”",
                  "orphan_court_code": "RIGA-BT", "notes": ""}

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def web_settings(database_url: str, simulators: dict[str, Any]) -> Settings:
    from adapters.simulators import adapter_settings

    return Settings(database_url=database_url, forms_dir=PROJECT_ROOT / "forms",
                    processes_dir=PROJECT_ROOT / "processes", secret_key="web-tests-secret",
                    start_simulators=False, in_process_workers=False,
                    **adapter_settings(simulators))  # type: ignore[arg-type]


@pytest.fixture
def web_services(web_settings: Settings) -> Iterator[Services]:
    services = build_services(web_settings)
    outcome = deploy_directory(services.sessions, web_settings.processes_dir, "test")
    assert not outcome.errors, outcome.errors
    yield services
    services.db.dispose()


@pytest.fixture
def app(web_services: Services) -> Flask:
    app = create_app(services=web_services)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def make_user(web_services: Services) -> Callable[..., str]:
    """Adds an account through the auth service; returns its username."""

    def make(username: str, groups: tuple[str, ...] = ("institution",), *, active: bool = True,
             locale: str = "lv") -> str:
        with transaction(web_services.sessions) as session:
            create_user(session, username, username.capitalize(), PASSWORD, roles=["caseworker"],
                        groups=groups, organisation_code="VSAC-RIGA", locale=locale, active=active)
        return username

    return make


@pytest.fixture
def start_p9(web_services: Services) -> Callable[..., int]:
    """Starts a P9 instance; returns the id of its open ``register_placement`` task."""

    def start(case_number: str = "P9-2026-0001") -> int:
        data = dict(P9_START, case_number=case_number)
        instance_id = start_for_child(web_services, P9, data, case_number)
        tasks = open_tasks(web_services, instance_id)
        assert [t.element_id for t in tasks] == ["register_placement"]
        return tasks[0].id

    return start


def start_for_child(services: Services, process_key: str, data: dict[str, Any],
                    case_number: str, *, institution: str = "VSAC-RIGA",
                    municipality: str = "RIGA", orphan_court: str = "RIGA-BT") -> int:
    """Registers a child in an institution's care and starts a process about them."""
    with transaction(services.sessions) as session:
        registrar = viewer_of(session, "registrar", ["caseworker"], ["institution"], institution)
        child = register_person(session, registrar, given_name="Bērns", family_name=case_number,
                                personal_code=valid_personal_code(zlib.crc32(case_number.encode())),
                                municipality_code=municipality, institution_code=institution,
                                orphan_court_code=orphan_court)
    with services.sessions() as session:
        return start_process_for(services.engine, session, registrar, child.id, process_key,
                                 data, business_key=case_number)


@pytest.fixture
def p9_task(start_p9: Callable[..., int]) -> int:
    return start_p9()


@pytest.fixture
def sign_in(app: Flask, make_user: Callable[..., str]) -> Callable[..., FlaskClient]:
    """A new test client signed in as a new account."""

    def sign_in_as(username: str, groups: tuple[str, ...] = ("institution",)) -> FlaskClient:
        make_user(username, groups)
        client = app.test_client()
        response = login(client, username)
        assert response.status_code == 302, response.text
        return client

    return sign_in_as


@pytest.fixture
def anna(sign_in: Callable[..., FlaskClient]) -> FlaskClient:
    """A caseworker of the institution (candidate group ``institution``)."""
    return sign_in("anna")


def login(client: FlaskClient, username: str, password: str = PASSWORD,
          next_path: str | None = None) -> TestResponse:
    page = client.get("/login")
    form = {"csrf_token": csrf_from(page), "username": username, "password": password}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/login", data=form)


def csrf_from(response: TestResponse) -> str:
    match = _CSRF_FIELD.search(response.text)
    assert match, "the page has no CSRF field"
    return match.group(1)


def csrf_of(client: FlaskClient) -> str:
    """The session's CSRF token, read from any page with a form."""
    return csrf_from(client.get("/inbox"))


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None) -> TestResponse:
    """POST as the browser would: with the session's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_of(client), **(data or {})})


def open_tasks(services: Services, instance_id: int | None = None) -> list[HumanTask]:
    with services.sessions() as session:
        query = select(HumanTask).where(HumanTask.status == "open").order_by(HumanTask.id)
        if instance_id is not None:
            query = query.where(HumanTask.instance_id == instance_id)
        return list(session.scalars(query))


def task_row(services: Services, task_id: int) -> HumanTask:
    with services.sessions() as session:
        row = session.get(HumanTask, task_id)
        assert row is not None
        return row
