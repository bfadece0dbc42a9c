"""Fixtures of the sign-in tests: the app with local accounts only, the app pointed at the fake
Keycloak (served over real HTTP for the whole run, reset for each test), and helpers that walk
a browser through single sign-on.

``database_url`` (a migrated database per test) comes from ``tests/conftest.py``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from adapters.simulators import RunningSimulator, start_simulator
from app import create_app
from app.auth.service import create_user
from app.config import PROJECT_ROOT, Settings
from app.db import transaction
from app.services import Services, build_services
from tests.auth.fake_keycloak import FakeKeycloak
from tests.web.conftest import PASSWORD, csrf_from

SECRET_KEY = "auth-tests-secret"


def auth_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url, "forms_dir": PROJECT_ROOT / "forms",
        "processes_dir": PROJECT_ROOT / "processes", "secret_key": SECRET_KEY,
        "start_simulators": False, "in_process_workers": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Builds the app on this test's database with settings overridden as given."""
    built = []

    def make(**overrides: Any) -> Flask:
        services = build_services(auth_settings(database_url, **overrides))
        built.append(services)
        app = create_app(services=services)
        app.config.update(TESTING=True)
        return app

    yield make
    for services in built:
        services.db.dispose()


@pytest.fixture
def local_app(make_app: Callable[..., Flask]) -> Flask:
    """The embedded default: local accounts only."""
    return make_app()


@pytest.fixture(scope="session")
def keycloak_server() -> Iterator[tuple[FakeKeycloak, RunningSimulator]]:
    fake = FakeKeycloak()
    running = start_simulator(fake)
    fake.url = running.url
    yield fake, running
    running.stop()


@pytest.fixture
def keycloak(keycloak_server: tuple[FakeKeycloak, RunningSimulator]) -> FakeKeycloak:
    fake = keycloak_server[0]
    fake.reset()
    return fake


def sso_overrides(keycloak: FakeKeycloak) -> dict[str, Any]:
    return {"oidc_server_url": keycloak.url, "oidc_realm": keycloak.realm,
            "oidc_client_id": keycloak.client_id, "oidc_client_secret": keycloak.client_secret}


@pytest.fixture
def sso_app(make_app: Callable[..., Flask], keycloak: FakeKeycloak) -> Flask:
    """The app with single sign-on through the fake Keycloak (and local accounts as well)."""
    return make_app(**sso_overrides(keycloak))


@pytest.fixture
def db(database_url: str) -> Iterator[Services]:
    """The test's database, for looking at and changing rows directly."""
    services = build_services(auth_settings(database_url))
    yield services
    services.db.dispose()


@pytest.fixture
def make_account(db: Services) -> Callable[..., str]:
    """Adds a local account through the auth service; returns its username."""

    def make(username: str, *, active: bool = True, roles: tuple[str, ...] = ("caseworker",),
             groups: tuple[str, ...] = ("institution",)) -> str:
        with transaction(db.sessions) as session:
            create_user(session, username, username.capitalize(), PASSWORD, roles=roles,
                        groups=groups, organisation_code="VSAC-RIGA", active=active)
        return username

    return make


# --- walking a browser through single sign-on ----------------------------------------------------


def start_sso(client: FlaskClient, next_path: str | None = None) -> str:
    """Press "sign in with single sign-on"; the address the app sends the browser to."""
    form = {"csrf_token": csrf_from(client.get("/login"))}
    if next_path is not None:
        form["next"] = next_path
    response = client.post("/login/sso", data=form)
    assert response.status_code == 302, response.text
    return str(response.headers["Location"])


def at_identity_provider(address: str) -> str:
    """The browser at Keycloak (which signs the person in without asking): where Keycloak
    sends it back to, a callback address of the app."""
    answer = requests.get(address, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def back_at_app(client: FlaskClient, callback: str) -> TestResponse:
    parts = urlsplit(callback)
    assert (parts.scheme, parts.netloc) == ("http", "localhost"), callback
    return client.get(f"{parts.path}?{parts.query}")


def sso_login(client: FlaskClient, next_path: str | None = None) -> TestResponse:
    """The whole round trip; the app's answer to the callback."""
    return back_at_app(client, at_identity_provider(start_sso(client, next_path)))


def with_query(callback: str, **changes: str) -> str:
    """``callback`` with some of its query parameters replaced."""
    parts = urlsplit(callback)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return parts._replace(query=urlencode(query)).geturl()
