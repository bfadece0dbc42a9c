"""/api/v1 with Keycloak access tokens (``Authorization: Bearer``), checked against the fake
Keycloak of the sign-in tests over real HTTP: the token's person acts with the roles, groups
and organisation Keycloak gives them, in the same record scope as on the web."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.auth.service import create_user
from app.config import PROJECT_ROOT, Settings
from app.db import transaction
from app.engine.deploy import deploy_directory
from app.services import Services, build_services
from tests.api.conftest import P9, P9_START, Api, error_of, open_tasks, start_for_child, task_of
from tests.auth.fake_keycloak import FakeKeycloak, new_signing_key


@pytest.fixture
def sso_services(database_url: str, keycloak: FakeKeycloak) -> Iterator[Services]:
    settings = Settings(database_url=database_url, forms_dir=PROJECT_ROOT / "forms",
                        processes_dir=PROJECT_ROOT / "processes", secret_key="api-tests",
                        start_simulators=False, in_process_workers=False,
                        oidc_server_url=keycloak.url, oidc_realm=keycloak.realm,
                        oidc_client_id=keycloak.client_id,
                        oidc_client_secret=keycloak.client_secret)
    services = build_services(settings)
    outcome = deploy_directory(services.sessions, settings.processes_dir, "test")
    assert not outcome.errors, outcome.errors
    yield services
    services.db.dispose()


@pytest.fixture
def sso_app(sso_services: Services) -> Flask:
    app = create_app(services=sso_services)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def p9_case(sso_services: Services) -> int:
    instance_id = start_for_child(sso_services, P9, P9_START, "P9-2026-0001")
    [task] = open_tasks(sso_services, instance_id)
    return task.id


@pytest.fixture
def token_of(keycloak: FakeKeycloak) -> Callable[..., str]:
    """An access token as Keycloak issues one to DI Case for a person."""

    def token(username: str = "sandra", roles: tuple[str, ...] = ("dicase-caseworker",),
              groups: tuple[str, ...] = ("/org/VSAC-RIGA", "/group/institution"),
              **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": keycloak.issuer, "sub": f"sub-{username}", "iat": now,
                  "exp": now + 300, "typ": "Bearer", "azp": keycloak.client_id,
                  "aud": "account", "preferred_username": username,
                  "realm_access": {"roles": list(roles)}, "groups": list(groups)}
        claims.update(overrides)
        return keycloak.sign({k: v for k, v in claims.items() if v is not None})

    return token


def _bearer(app: Flask, token: str) -> Api:
    return Api(app.test_client(), token, scheme="Bearer")


def test_a_persons_token_acts_as_them_in_their_scope(
        sso_app: Flask, sso_services: Services, p9_case: int,
        token_of: Callable[..., str]) -> None:
    api = _bearer(sso_app, token_of())
    page = api.get("/tasks?tab=group")
    assert page.status_code == 200, page.text
    assert [item["id"] for item in page.get_json()["items"]] == [p9_case]
    claimed = api.post(f"/tasks/{p9_case}/claim")
    assert claimed.status_code == 200, claimed.text
    assert task_of(sso_services, p9_case).assignee == "sandra"


def test_a_token_of_another_organisation_sees_nothing(
        sso_app: Flask, p9_case: int, token_of: Callable[..., str]) -> None:
    api = _bearer(sso_app, token_of("lauma", groups=("/org/VSAC-LATGALE", "/group/institution")))
    assert api.get(f"/tasks/{p9_case}").status_code == 404
    assert api.get("/tasks?tab=group").get_json()["total"] == 0


@pytest.mark.parametrize("change", [
    {"exp": int(time.time()) - 3600},
    {"azp": "another-client"},
    {"typ": "ID"},
    {"iss": "http://127.0.0.1:1/realms/elsewhere"},
])
def test_tokens_that_are_not_for_this_service_now_are_401(
        sso_app: Flask, p9_case: int, token_of: Callable[..., str],
        change: dict[str, Any]) -> None:
    response = _bearer(sso_app, token_of(**change)).get("/tasks")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"


def test_an_audience_naming_this_service_is_enough(
        sso_app: Flask, keycloak: FakeKeycloak, token_of: Callable[..., str]) -> None:
    token = token_of(azp="municipal-system", aud=["account", keycloak.client_id])
    assert _bearer(sso_app, token).get("/tasks").status_code == 200


def test_a_token_signed_with_an_unpublished_key_is_401(
        sso_app: Flask, keycloak: FakeKeycloak, token_of: Callable[..., str]) -> None:
    keycloak.sign_with = new_signing_key()
    response = _bearer(sso_app, token_of()).get("/tasks")
    assert response.status_code == 401


def test_accounts_without_a_role_or_deactivated_here_are_403(
        sso_app: Flask, sso_services: Services, token_of: Callable[..., str]) -> None:
    no_role = _bearer(sso_app, token_of(roles=("offline_access",))).get("/tasks")
    assert no_role.status_code == 403
    assert error_of(no_role)["code"] == "account_not_allowed"
    with transaction(sso_services.sessions) as session:
        create_user(session, "sandra", "Sandra", "", roles=["caseworker"],
                    groups=["institution"], organisation_code="VSAC-RIGA", active=False)
    shut = _bearer(sso_app, token_of()).get("/tasks")
    assert shut.status_code == 403 and error_of(shut)["code"] == "account_deactivated"


def test_without_an_identity_provider_bearer_tokens_are_refused(
        app: Flask, token_of: Callable[..., str]) -> None:
    response = _bearer(app, token_of()).get("/tasks")
    assert response.status_code == 401
    assert "API key" in error_of(response)["message"]
