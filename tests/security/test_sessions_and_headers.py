"""The browser side of security: response headers, the session cookie, sessions that end when
an account is deactivated, the password policy of local accounts, and throttling that a
changed spelling of the username does not get round."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from app.auth.password_policy import (
    COMMON_PASSWORDS,
    IS_USERNAME,
    MIN_LENGTH,
    TOO_COMMON,
    TOO_SHORT,
    WeakPassword,
    password_problem,
)
from app.auth.service import authenticate, create_user
from app.config import PROJECT_ROOT
from app.db import transaction
from app.db.models import User
from app.services import Services
from tests.auth.conftest import sso_login
from tests.web.conftest import PASSWORD, csrf_from, login

TEMPLATES = PROJECT_ROOT / "app" / "templates"
PAGES = ("/login", "/healthz", "/no-such-page", "/static/css/app.css", "/open-data")


# --- headers ------------------------------------------------------------------------------------


def _directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_every_answer_has_a_strict_content_security_policy(local_app: Flask,
                                                           make_account: Callable[..., str]) -> None:
    make_account("anna")
    client = local_app.test_client()
    assert login(client, "anna").status_code == 302
    for path in (*PAGES, "/inbox", "/persons", "/notifications"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        directives = _directives(policy)
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, path
        assert directives["default-src"] == "default-src 'self'", path
        assert directives["frame-ancestors"] == "frame-ancestors 'none'", path
        assert directives["object-src"] == "object-src 'none'", path
        assert directives["base-uri"] == "base-uri 'self'", path
        assert directives["form-action"] == "form-action 'self'", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_no_template_needs_unsafe_inline() -> None:
    """The policy can leave out 'unsafe-inline' because no page has inline script, inline
    event handlers or style attributes; JSON data blocks are not executed."""
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{template.relative_to(TEMPLATES)}: {tag}")
        for attribute in re.findall(r"\s(on[a-z]+|style)\s*=", text):
            found.append(f"{template.relative_to(TEMPLATES)}: {attribute}=")
        if "<style" in text or "javascript:" in text:
            found.append(f"{template.relative_to(TEMPLATES)}: <style> or javascript:")
    assert not found, found


def test_hsts_only_when_served_over_tls(make_app: Callable[..., Flask]) -> None:
    plain = make_app().test_client()
    assert "Strict-Transport-Security" not in plain.get("/login").headers
    behind_tls = make_app(secure_cookies=True).test_client()
    for path in PAGES:
        hsts = behind_tls.get(path).headers["Strict-Transport-Security"]
        max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))  # type: ignore[union-attr]
        assert max_age >= 365 * 24 * 3600 and "includeSubDomains" in hsts, path


# --- the session cookie -------------------------------------------------------------------------


def _session_cookie(client: FlaskClient, username: str) -> str:
    response = login(client, username)
    assert response.status_code == 302
    cookies = [value for value in response.headers.getlist("Set-Cookie")
               if value.startswith("session=")]
    assert len(cookies) == 1, cookies
    return cookies[0]


@pytest.mark.parametrize("secure", [False, True])
def test_the_session_cookie_is_httponly_samesite_and_secure_with_the_setting(
        make_app: Callable[..., Flask], make_account: Callable[..., str], secure: bool) -> None:
    make_account("anna")
    app = make_app(secure_cookies=secure)
    client = app.test_client()
    if secure:
        # A Secure cookie is only sent back over HTTPS.
        client = app.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
    cookie = _session_cookie(client, "anna")
    attributes = {part.strip().split("=")[0].lower(): part.strip()
                  for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert ("secure" in attributes) == secure
    assert client.get("/inbox").status_code == 200


# --- sessions end with the account --------------------------------------------------------------


def _deactivate(db: Services, username: str) -> None:
    with transaction(db.sessions) as session:
        session.execute(update(User).where(User.username == username).values(active=False))


def test_deactivating_an_account_ends_its_password_session_at_the_next_request(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    client = local_app.test_client()
    assert login(client, "anna").status_code == 302
    token = csrf_from(client.get("/inbox"))
    _deactivate(db, "anna")
    page = client.get("/inbox")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    # Nor can the old session still send a form.
    refused = client.post("/inbox/filters", data={"csrf_token": token, "name": "x"})
    assert refused.status_code in (302, 400)
    assert not refused.headers.get("Location", "").startswith("/inbox")
    # Nor sign in again.
    assert login(local_app.test_client(), "anna").status_code == 401


def test_deactivating_an_account_ends_its_single_sign_on_session(
        sso_app: Flask, db: Services) -> None:
    client = sso_app.test_client()
    assert sso_login(client).status_code == 302
    assert client.get("/inbox").status_code == 200
    with db.sessions() as session:
        username = session.query(User.username).one()[0]
    _deactivate(db, username)
    page = client.get("/inbox")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    # Keycloak still vouches for the person, but the account stays shut.
    again = sso_app.test_client()
    sso_login(again)
    assert again.get("/inbox").status_code == 302


# --- the password policy ------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "password", "problem"), [
    ("anna", "īsa-parole", TOO_SHORT),
    ("anna", "x" * (MIN_LENGTH - 1), TOO_SHORT),
    ("kristaps.zarins", "kristaps.zarins", IS_USERNAME),
    ("kristaps.zarins", "Kristaps.Zarins1", IS_USERNAME),
    ("anna", "Password1234", TOO_COMMON),
    ("anna", "parole123456", TOO_COMMON),
    ("anna", "123456789012", TOO_COMMON),
    ("anna", PASSWORD, None),
    ("anna", "x" * MIN_LENGTH, None),
    ("anna", "anna-un-vēl-divpadsmit-zīmes", None),
])
def test_the_password_policy(username: str, password: str, problem: str | None) -> None:
    assert password_problem(username, password) == problem


def test_every_listed_common_password_is_long_enough_to_need_the_list() -> None:
    assert all(len(password) >= MIN_LENGTH for password in COMMON_PASSWORDS)
    assert all(password == password.casefold() for password in COMMON_PASSWORDS)


def test_an_account_with_a_weak_password_is_not_made(db: Services) -> None:
    for password in ("short", "ilze.ozola-1", "password1234"):
        with pytest.raises(WeakPassword), transaction(db.sessions) as session:
            create_user(session, "ilze.ozola", "Ilze", password, ["caseworker"])
    with db.sessions() as session:
        assert session.query(User).count() == 0


def test_an_account_made_without_a_password_cannot_sign_in_with_an_empty_one(
        local_app: Flask, db: Services) -> None:
    with transaction(db.sessions) as session:
        create_user(session, "sandra", "Sandra", "", ["caseworker"], [], "RIGA")
    with db.sessions() as session:
        assert authenticate(session, "sandra", "") is None
    client = local_app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_from(page), "username": "sandra",
                                           "password": ""})
    assert response.status_code in (400, 401)
    assert client.get("/inbox").status_code == 302


# --- throttling ---------------------------------------------------------------------------------


def test_throttling_counts_every_spelling_of_a_username_as_one(
        local_app: Flask, make_account: Callable[..., str]) -> None:
    make_account("anna")
    spellings = ("anna", "Anna", " ANNA", "anna ", "aNNa")
    for number, spelling in enumerate(spellings):
        client = local_app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number + 1}"
        assert login(client, spelling, "not the password").status_code == 401
    client = local_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    locked = login(client, "anna")
    assert locked.status_code == 429
    assert client.get("/inbox").status_code == 302
