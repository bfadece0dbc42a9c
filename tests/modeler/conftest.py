"""Fixtures of the modeler tests: the web app of tests/web with a process owner, an auditor and
a caseworker signed in."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.auth.service import create_user
from app.config import PROJECT_ROOT
from app.db import transaction
from app.services import Services
from tests.web.conftest import (  # noqa: F401
    PASSWORD,
    app,
    csrf_of,
    login,
    web_services,
    web_settings,
)

P9_FILE = PROJECT_ROOT / "processes" / "p09_out_of_family_care.bpmn"
CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"


@pytest.fixture
def account(app: Flask, web_services: Services) -> Callable[..., FlaskClient]:  # noqa: F811
    """A test client signed in as a new account with ``roles``."""

    def sign_in(username: str, roles: list[str], organisation: str = "LM") -> FlaskClient:
        with transaction(web_services.sessions) as session:
            create_user(session, username, username.capitalize(), PASSWORD, roles=roles,
                        groups=[], organisation_code=organisation)
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client

    return sign_in


@pytest.fixture
def owner(account: Callable[..., FlaskClient]) -> FlaskClient:
    return account("peteris", ["process_owner"])


@pytest.fixture
def auditor(account: Callable[..., FlaskClient]) -> FlaskClient:
    return account("anna", ["auditor"], "LM-AUDIT")


@pytest.fixture
def caseworker(account: Callable[..., FlaskClient]) -> FlaskClient:
    return account("inese", ["caseworker"], "VSAC-RIGA")


def post_json(client: FlaskClient, path: str, body: dict[str, Any]) -> TestResponse:
    return client.post(path, json=body, headers={"X-CSRF-Token": csrf_of(client)})


def p9_source() -> str:
    return P9_FILE.read_text(encoding="utf-8")
