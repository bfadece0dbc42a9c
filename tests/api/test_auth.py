"""Who may call /api/v1: API keys by header, never the session cookie; revoked keys refused;
the key made by ``dicase api-key``, its secret printed once and only its hash stored."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from app.api import keys
from app.cli import main
from app.db import transaction
from app.db.models.api_keys import ApiKey
from app.services import Services
from tests.api.conftest import Api, error_of, make_user  # noqa: F401 - fixture
from tests.web.conftest import login

KEY = re.compile(r"^dicase_[0-9a-f]{12}_[0-9a-f]{64}$")


def test_a_key_in_either_header_is_accepted(app: Flask, make_key: Callable[..., str],
                                            p9: int) -> None:
    secret = make_key("vsac-riga-sync")
    for header in ("Authorization", "X-API-Key"):
        response = Api(app.test_client(), secret, header=header).get("/tasks?tab=group")
        assert response.status_code == 200, response.text
        assert response.get_json()["total"] == 1


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "ApiKey dicase_000000000000_" + "0" * 64},
    {"Authorization": "ApiKey not-a-key"},
    {"X-API-Key": "wrong"},
    {"Authorization": "Basic YWRtaW46YWRtaW4="},
])
def test_without_a_valid_key_every_call_is_401(app: Flask, headers: dict[str, str]) -> None:
    client = app.test_client()
    for response in (client.get("/api/v1/tasks", headers=headers),
                     client.get("/api/v1/persons/1", headers=headers),
                     client.post("/api/v1/tasks/1/claim", headers=headers)):
        assert response.status_code == 401
        assert error_of(response)["code"] in ("unauthorized", "invalid_credentials")
        assert "ApiKey" in response.headers["WWW-Authenticate"]


def test_a_signed_in_browser_session_is_not_a_credential(
        app: Flask, make_user: Callable[..., str], p9: int,  # noqa: F811 - fixture
        web_services: Services) -> None:
    make_user("anna")
    browser = app.test_client()
    assert login(browser, "anna").status_code == 302
    assert browser.get("/inbox").status_code == 200
    # The cookie alone: refused with 401 for reads and writes, CSRF token or not.
    assert browser.get("/api/v1/tasks?tab=group").status_code == 401
    for response in (browser.post(f"/api/v1/tasks/{p9}/claim"),
                     browser.post(f"/api/v1/tasks/{p9}/claim", headers={"X-CSRF-Token": "x"})):
        assert response.status_code == 401
        assert error_of(response)["code"] == "unauthorized"
    with web_services.sessions() as session:
        from app.db.models import HumanTask

        assert session.get(HumanTask, p9).assignee is None  # type: ignore[union-attr]


def test_a_revoked_key_is_refused_at_once(app: Flask, make_key: Callable[..., str],
                                          web_services: Services) -> None:
    secret = make_key("soon-revoked")
    api = Api(app.test_client(), secret)
    assert api.get("/tasks").status_code == 200
    with transaction(web_services.sessions) as session:
        key = session.scalars(select(ApiKey).where(ApiKey.name == "soon-revoked")).one()
        keys.revoke_key(session, key.id)
    response = api.get("/tasks")
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"


def test_only_the_hash_of_the_secret_is_stored_and_use_is_noted(
        app: Flask, make_key: Callable[..., str], web_services: Services) -> None:
    secret = make_key("hashed")
    assert KEY.match(secret)
    with web_services.sessions() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.name == "hashed")).one()
    assert key.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(vars(key)) and key.prefix in secret
    assert key.last_used_at is None
    Api(app.test_client(), secret).get("/tasks")
    with web_services.sessions() as session:
        used = session.scalars(select(ApiKey).where(ApiKey.name == "hashed")).one()
    assert used.last_used_at is not None


def test_key_rules(web_services: Services, make_key: Callable[..., str]) -> None:
    make_key("taken")
    wrong = [
        {"name": "taken"},  # names are never reused
        {"organisation_code": "NOWHERE"},
        {"roles": ["admin"]},
        {"roles": []},
        {"groups": ["two words"]},
        {"name": ""},
    ]
    for change in wrong:
        arguments = {"organisation_code": "RIGA", "name": "fine", "roles": ["caseworker"],
                     "groups": ["social_service"], "created_by": "tests", **change}
        with pytest.raises(keys.ApiKeyError), transaction(web_services.sessions) as session:
            keys.create_key(session, **arguments)  # type: ignore[arg-type]


def test_dicase_api_key_create_prints_the_secret_once_and_revoke_stops_it(
        app: Flask, web_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DICASE_DATABASE_URL", web_services.settings.database_url)
    runner = CliRunner()
    made = runner.invoke(main, ["api-key", "create", "--organisation", "RIGA", "--name",
                                "SOPA sync", "--role", "caseworker", "--group", "social_service"])
    assert made.exit_code == 0, made.output
    [secret] = [line for line in made.output.split() if KEY.match(line)]
    api = Api(app.test_client(), secret)
    assert api.get("/tasks").status_code == 200
    listed = runner.invoke(main, ["api-key", "list"])
    assert "api:SOPA sync" in listed.output and secret not in listed.output
    key_id = re.search(r"#(\d+)", listed.output).group(1)  # type: ignore[union-attr]
    revoked = runner.invoke(main, ["api-key", "revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    assert api.get("/tasks").status_code == 401
    again = runner.invoke(main, ["api-key", "create", "--organisation", "RIGA", "--name",
                                 "SOPA sync", "--role", "caseworker"])
    assert again.exit_code == 1 and "exists already" in again.output
    assert runner.invoke(main, ["api-key", "revoke", "999"]).exit_code == 1


def test_the_document_needs_no_key_and_unknown_routes_answer_json(app: Flask) -> None:
    client = app.test_client()
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200 and document.get_json()["openapi"].startswith("3.1")
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    wrong_method = client.delete("/api/v1/tasks", headers={"X-API-Key": "any"})
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "method_not_allowed"


def test_an_expired_browser_session_does_not_stand_in_the_way_of_a_valid_key(
        app: Flask, make_key: Callable[..., str], web_services: Services, p9: int) -> None:
    from app.auth.service import create_user
    from app.db import transaction
    from tests.auth.test_sessions import age_session
    from tests.web.conftest import PASSWORD

    with transaction(web_services.sessions) as session:
        create_user(session, "anna", "Anna", PASSWORD, ["caseworker"], ["institution"],
                    "VSAC-RIGA")
    client = app.test_client()
    assert login(client, "anna").status_code == 302
    age_session(client, seen_ago=24 * 3600)
    api = Api(client, make_key("with-an-old-cookie"))
    response = api.get(f"/tasks/{p9}")
    assert response.status_code == 200, response.text
