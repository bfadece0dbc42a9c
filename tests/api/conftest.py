"""Fixtures of the API tests: the real app of the web tests, API keys made through the key
service, and a client that calls ``/api/v1`` with a key.

``app``, ``web_services`` and ``start_for_child`` come from ``tests/web/conftest.py``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.api import keys
from app.db import transaction
from app.db.models import AccessLogEntry, Event, HumanTask
from app.services import Services
from tests.auth.conftest import keycloak, keycloak_server  # noqa: F401 - fixtures shared with the bearer tests
from tests.web.conftest import (
    P9,
    P9_START,
    PLACEMENT_FORM,
    app,
    make_user,
    open_tasks,
    start_for_child,
    web_services,
    web_settings,
)

# Fixtures of the web tests these tests use, and names the test modules import from here.
__all__ = ["P9", "P9_START", "PLACEMENT_FORM", "app", "make_user", "open_tasks",
           "start_for_child", "web_services", "web_settings"]


class Api:
    """Calls ``/api/v1`` with one credential (or none): an API key, or a bearer token with
    ``scheme="Bearer"``."""

    def __init__(self, client: FlaskClient, credential: str | None, *,
                 header: str = "Authorization", scheme: str = "ApiKey"):
        self.client = client
        self.credential = credential
        self.header = header
        self.scheme = scheme

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.credential is not None:
            if self.header == "Authorization":
                headers["Authorization"] = f"{self.scheme} {self.credential}"
            else:
                headers[self.header] = self.credential
        headers.update(extra or {})
        return headers

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.get(f"/api/v1{path}", headers=headers, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        headers = self.headers(kwargs.pop("headers", None))
        if json is not None:
            kwargs["json"] = json
        return self.client.post(f"/api/v1{path}", headers=headers, **kwargs)


@pytest.fixture
def make_key(web_services: Services) -> Callable[..., str]:
    """Makes an API key through the key service; returns its secret."""

    def make(name: str, organisation: str = "VSAC-RIGA", roles: tuple[str, ...] = ("caseworker",),
             groups: tuple[str, ...] = ("institution",)) -> str:
        with transaction(web_services.sessions) as session:
            made = keys.create_key(session, organisation_code=organisation, name=name,
                                   roles=list(roles), groups=list(groups), created_by="tests")
        return made.secret

    return make


@pytest.fixture
def api_as(app: Flask, make_key: Callable[..., str]) -> Callable[..., Api]:
    """A client calling with a new key of ``organisation``."""

    def as_key(name: str, organisation: str = "VSAC-RIGA", roles: tuple[str, ...] = ("caseworker",),
               groups: tuple[str, ...] = ("institution",)) -> Api:
        return Api(app.test_client(), make_key(name, organisation, roles, groups))

    return as_key


@pytest.fixture
def institution_api(api_as: Callable[..., Api]) -> Api:
    """The software of the VSAC «Rīga» institution, in the candidate group ``institution``."""
    return api_as("vsac-riga-sync")


@pytest.fixture
def p9(web_services: Services) -> int:
    """A P9 case of a child in VSAC «Rīga»; the id of its open ``register_placement`` task."""
    instance_id = start_for_child(web_services, P9, P9_START, "P9-2026-0001")
    tasks = open_tasks(web_services, instance_id)
    assert [t.element_id for t in tasks] == ["register_placement"]
    return tasks[0].id


def task_of(services: Services, task_id: int) -> HumanTask:
    with services.sessions() as session:
        row = session.get(HumanTask, task_id)
        assert row is not None
        return row


def access_log(services: Services, action: str | None = None) -> list[AccessLogEntry]:
    with services.sessions() as session:
        query = select(AccessLogEntry).order_by(AccessLogEntry.id)
        if action is not None:
            query = query.where(AccessLogEntry.action == action)
        return list(session.scalars(query))


def event_kinds(services: Services, instance_id: int) -> list[str]:
    with services.sessions() as session:
        return list(session.scalars(select(Event.kind).where(Event.instance_id == instance_id)
                                    .order_by(Event.id)))


def error_of(response: TestResponse) -> dict[str, Any]:
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, response.text
    error = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    return dict(error)
