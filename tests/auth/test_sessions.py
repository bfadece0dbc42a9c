"""The signed-in session, for both kinds of sign-in: a fresh session at sign-in, an idle limit
and an absolute limit checked on the server, and the way back to the page after signing in
again."""
from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.auth.sessions import LOGIN_AT, PENDING_SSO, SEEN_AT
from tests.auth.conftest import sso_login
from tests.web.conftest import csrf_from, login

IDLE_MESSAGE = "Jūsu darba sesija ir beigusies, jo kādu laiku netika izmantota."
MAX_AGE_MESSAGE = "Jūsu darba sesija ir sasniegusi maksimālo pieļaujamo ilgumu."


@pytest.fixture
def anna(local_app: Flask, make_account: Callable[..., str]) -> FlaskClient:
    make_account("anna")
    client = local_app.test_client()
    assert login(client, "anna").status_code == 302
    return client


def sent_to_login(response: TestResponse) -> str | None:
    """Where a redirect to the login page will return to (its ``next``), checking it is one."""
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and not location.netloc
    values = parse_qs(location.query).get("next")
    return values[0] if values else None


def age_session(client: FlaskClient, *, login_ago: float | None = None,
                seen_ago: float | None = None) -> None:
    """Move the session's timestamps into the past, as if time had passed."""
    now = time.time()
    with client.session_transaction() as session:
        if login_ago is not None:
            session[LOGIN_AT] = int(now - login_ago)
        if seen_ago is not None:
            session[SEEN_AT] = int(now - seen_ago)


# --- a fresh session at sign-in ------------------------------------------------------------------


def test_password_sign_in_drops_everything_set_before_but_the_language(
        local_app: Flask, make_account: Callable[..., str]) -> None:
    make_account("anna")
    client = local_app.test_client()
    client.get("/login?lang=en")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session[PENDING_SSO] = {"state": "x"}
        csrf_before = session["csrf_token"]
    login(client, "anna")
    with client.session_transaction() as session:
        assert "planted" not in session and PENDING_SSO not in session
        assert session["lang"] == "en"
        assert session["csrf_token"] != csrf_before
        assert session["_user_id"]
        assert abs(session[LOGIN_AT] - time.time()) < 5
        assert session[SEEN_AT] == session[LOGIN_AT]


def test_single_sign_on_drops_everything_set_before_but_the_language(sso_app: Flask) -> None:
    client = sso_app.test_client()
    client.get("/login?lang=en")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    assert sso_login(client).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session and PENDING_SSO not in session
        assert session["lang"] == "en"
        assert session["auth_method"] == "sso"
        assert LOGIN_AT in session


def test_the_session_cookie_of_before_sign_in_does_not_sign_anyone_in(
        local_app: Flask, make_account: Callable[..., str]) -> None:
    # Session fixation: a cookie obtained before sign-in and planted in a victim's browser
    # must not become a signed-in session when the victim signs in.
    make_account("anna")
    attacker = local_app.test_client()
    attacker.get("/login")
    planted = attacker.get_cookie("session")
    assert planted is not None
    victim = local_app.test_client()
    victim.set_cookie("session", planted.value)
    login(victim, "anna")
    victims_cookie = victim.get_cookie("session")
    assert victims_cookie is not None and victims_cookie.value != planted.value
    assert attacker.get("/inbox").status_code == 302


# --- the idle limit ------------------------------------------------------------------------------


def test_an_idle_session_ends_and_signing_in_again_returns_to_the_page(anna: FlaskClient) -> None:
    age_session(anna, seen_ago=31 * 60)
    response = anna.get("/tasks/7?tab=data")
    assert sent_to_login(response) == "/tasks/7?tab=data"
    page = anna.get(response.headers["Location"])
    assert IDLE_MESSAGE in page.text
    assert 'name="next" value="/tasks/7?tab=data"' in page.text
    assert anna.get("/inbox").status_code == 302
    again = login(anna, "anna", next_path="/tasks/7?tab=data")
    assert again.headers["Location"] == "/tasks/7?tab=data"
    assert anna.get("/inbox").status_code == 200


def test_use_keeps_a_session_going(anna: FlaskClient) -> None:
    age_session(anna, seen_ago=29 * 60)
    assert anna.get("/inbox").status_code == 200
    with anna.session_transaction() as session:
        assert time.time() - session[SEEN_AT] < 5
    age_session(anna, seen_ago=29 * 60)
    assert anna.get("/inbox").status_code == 200


def test_an_expired_form_is_not_carried_out_and_leads_back_to_its_page(
        anna: FlaskClient) -> None:
    token = csrf_from(anna.get("/inbox"))
    age_session(anna, seen_ago=31 * 60)
    response = anna.post("/logout", data={"csrf_token": token},
                         headers={"Referer": "http://localhost/tasks/7"})
    assert sent_to_login(response) == "/tasks/7"
    assert IDLE_MESSAGE in anna.get("/login").text


def test_the_way_back_never_leads_off_the_site(local_app: Flask, anna: FlaskClient) -> None:
    token = csrf_from(anna.get("/inbox"))
    age_session(anna, seen_ago=31 * 60)
    response = anna.post("/logout", data={"csrf_token": token},
                         headers={"Referer": "https://evil.example/tasks/7"})
    assert sent_to_login(response) is None
    login(anna, "anna")
    age_session(anna, seen_ago=31 * 60)
    response = anna.get("/x", environ_overrides={"PATH_INFO": "//evil.example/x"})
    back_to = sent_to_login(response)
    assert back_to is None or (back_to.startswith("/") and not back_to.startswith("//"))


# --- the absolute limit --------------------------------------------------------------------------


def test_a_session_ends_after_ten_hours_however_busy(anna: FlaskClient) -> None:
    age_session(anna, login_ago=10 * 3600 + 5, seen_ago=10)
    response = anna.get("/inbox")
    assert sent_to_login(response) == "/inbox"
    assert MAX_AGE_MESSAGE in anna.get(response.headers["Location"]).text
    assert anna.get("/inbox").status_code == 302


def test_a_session_just_short_of_ten_hours_goes_on(anna: FlaskClient) -> None:
    age_session(anna, login_ago=10 * 3600 - 60, seen_ago=10)
    assert anna.get("/inbox").status_code == 200


def test_a_signed_in_session_without_its_timestamps_is_ended(anna: FlaskClient) -> None:
    with anna.session_transaction() as session:
        del session[LOGIN_AT]
    assert sent_to_login(anna.get("/inbox")) == "/inbox"
    assert anna.get("/inbox").status_code == 302


def test_the_limits_are_settings(make_app: Callable[..., Flask],
                                 make_account: Callable[..., str]) -> None:
    make_account("anna")
    app = make_app(session_idle_minutes=5, session_max_hours=1)
    client = app.test_client()
    login(client, "anna")
    age_session(client, seen_ago=6 * 60)
    assert client.get("/inbox").status_code == 302
    login(client, "anna")
    age_session(client, login_ago=3600 + 5, seen_ago=0)
    assert client.get("/inbox").status_code == 302
    assert app.permanent_session_lifetime.total_seconds() == 3600


def test_single_sign_on_sessions_have_the_same_limits(sso_app: Flask) -> None:
    client = sso_app.test_client()
    sso_login(client)
    assert client.get("/inbox").status_code == 200
    age_session(client, seen_ago=31 * 60)
    assert sent_to_login(client.get("/inbox")) == "/inbox"
