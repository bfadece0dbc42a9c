"""Signed-in sessions kept on the server (``signed_in_session``): a copy of the cookie dies when
its session ends, by signing out, by an operator, by deactivation or by its limits; the
database holds only a hash of each session's token, and the logs name no one."""
from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.auth.service import (
    KEEP_SIGNED_IN_SESSIONS,
    SessionEnd,
    end_sessions_of,
    record_sign_in,
)
from app.auth.sessions import SESSION_TOKEN
from app.cli import main
from app.db import transaction
from app.db.models import SignedInSession, User, utcnow
from app.services import Services
from tests.auth.conftest import sso_login
from tests.auth.fake_keycloak import FakeKeycloak
from tests.auth.test_sessions import IDLE_MESSAGE, MAX_AGE_MESSAGE, age_session, sent_to_login
from tests.web.conftest import login, post

ENDED_MESSAGE = "Jūsu darba sesija ir pārtraukta."


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, username).status_code == 302
    assert client.get("/inbox").status_code == 200
    return client


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie, as a thief would."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def token_of(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return str(session[SESSION_TOKEN])


def rows(db: Services) -> list[SignedInSession]:
    with db.sessions() as session:
        return list(session.scalars(select(SignedInSession).order_by(SignedInSession.id)))


def user_id(db: Services, username: str) -> int:
    with db.sessions() as session:
        found = session.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return found


def refused(client: FlaskClient, message: str = ENDED_MESSAGE) -> bool:
    """Whether ``client`` is sent to sign in again, told why, and stays signed out."""
    response = client.get("/inbox")
    if response.status_code != 302:
        return False
    assert sent_to_login(response) == "/inbox"
    assert message in client.get(response.headers["Location"]).text
    return client.get("/inbox").status_code == 302


# --- signing out ---------------------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_is_refused_after_it(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    anna = signed_in(local_app, "anna")
    thief = copy_of(local_app, anna)
    assert thief.get("/inbox").status_code == 200  # the copy works while the session is open
    assert post(anna, "/logout").headers["Location"] == "/login"
    assert refused(thief)
    [row] = rows(db)
    assert row.ended_at is not None and row.end_reason == SessionEnd.SIGNED_OUT.value


def test_two_sign_ins_are_two_sessions_and_signing_out_of_one_leaves_the_other(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    office = signed_in(local_app, "anna")
    laptop = signed_in(local_app, "anna")
    assert token_of(office) != token_of(laptop)
    post(office, "/logout")
    assert office.get("/inbox").status_code == 302
    assert laptop.get("/inbox").status_code == 200
    assert [(row.method, row.end_reason) for row in rows(db)] == [
        ("password", "signed_out"), ("password", None)]


def test_signing_in_while_the_cookie_still_names_an_open_session_ends_that_one(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    anna = signed_in(local_app, "anna")
    earlier = copy_of(local_app, anna)
    with anna.session_transaction() as session:
        del session["_user_id"]  # signed out as far as the page knows, the token still there
    assert login(anna, "anna").status_code == 302
    assert anna.get("/inbox").status_code == 200
    assert refused(earlier)
    assert [row.end_reason for row in rows(db)] == ["replaced", None]


# --- ending a person's sessions ------------------------------------------------------------------


def test_an_operator_ends_all_sessions_of_one_person_at_their_next_request(
        local_app: Flask, make_account: Callable[..., str], db: Services,
        database_url: str) -> None:
    make_account("anna")
    make_account("ilze")
    office, laptop = signed_in(local_app, "anna"), signed_in(local_app, "anna")
    colleague = signed_in(local_app, "ilze")
    done = CliRunner().invoke(main, ["users", "end-sessions", "anna"],
                              env={"DICASE_DATABASE_URL": database_url})
    assert done.exit_code == 0, done.output
    assert done.output == f"Ended 2 open session(s) of account #{user_id(db, 'anna')}.\n"
    assert refused(office) and refused(laptop)
    assert colleague.get("/inbox").status_code == 200
    assert [row.end_reason for row in rows(db)] == ["ended_by_admin", "ended_by_admin", None]
    # The account itself stays open: signing in again works.
    assert signed_in(local_app, "anna").get("/inbox").status_code == 200


def test_ending_the_sessions_of_an_unknown_username_says_so(database_url: str) -> None:
    done = CliRunner().invoke(main, ["users", "end-sessions", "nobody"],
                              env={"DICASE_DATABASE_URL": database_url})
    assert done.exit_code == 1 and "No account is called 'nobody'." in done.output


def test_ending_the_sessions_leaves_the_persons_bearer_tokens_working(
        sso_app: Flask, db: Services, keycloak: FakeKeycloak) -> None:
    browser = sso_app.test_client()
    assert sso_login(browser).status_code == 302
    now = int(time.time())
    token = keycloak.sign({
        "iss": keycloak.issuer, "sub": "sub-sandra", "iat": now, "exp": now + 300,
        "typ": "Bearer", "azp": keycloak.client_id, "aud": "account",
        "preferred_username": keycloak.user.username,
        "realm_access": {"roles": keycloak.user.realm_roles}, "groups": keycloak.user.groups})
    with transaction(db.sessions) as session:
        assert end_sessions_of(session, user_id(db, keycloak.user.username),
                               SessionEnd.ENDED_BY_ADMIN) == 1
    assert refused(browser)
    api = sso_app.test_client().get("/api/v1/tasks",
                                    headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.text


def test_deactivating_an_account_ends_all_its_sessions_with_that_reason(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    office, laptop = signed_in(local_app, "anna"), signed_in(local_app, "anna")
    with transaction(db.sessions) as session:
        session.execute(update(User).where(User.username == "anna").values(active=False))
    assert refused(office)
    # One request of one browser ended both sessions on the server.
    assert [row.end_reason for row in rows(db)] == ["account_deactivated"] * 2
    assert refused(laptop)


# --- what is stored and logged -------------------------------------------------------------------


def test_the_database_holds_only_a_hash_of_the_token(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    token = token_of(signed_in(local_app, "anna"))
    assert len(token) >= 40  # 32 random bytes
    [row] = rows(db)
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(row, column.key)) for column in SignedInSession.__table__.columns]
    assert not [value for value in stored if token in value]


def test_the_logs_name_no_one_and_show_no_token(
        local_app: Flask, make_account: Callable[..., str], db: Services,
        caplog: pytest.LogCaptureFixture, database_url: str) -> None:
    make_account("anna")
    with caplog.at_level(logging.DEBUG, logger="app"):
        anna = signed_in(local_app, "anna")
        thief = copy_of(local_app, anna)
        tokens = [token_of(anna)]
        post(anna, "/logout")
        assert refused(thief)
        again = signed_in(local_app, "anna")
        tokens.append(token_of(again))
        CliRunner().invoke(main, ["users", "end-sessions", "anna"],
                           env={"DICASE_DATABASE_URL": database_url})
        assert refused(again)
    logged = [record.getMessage() for record in caplog.records
              if record.name.startswith("app")]
    assert f"session of user {user_id(db, 'anna')} ended (not open on the server)" in logged
    for line in logged:
        assert "anna" not in line.lower()
        assert not [token for token in tokens if token in line]


# --- the limits, recorded ------------------------------------------------------------------------


def test_an_idle_session_ends_with_its_reason_recorded(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    anna = signed_in(local_app, "anna")
    thief = copy_of(local_app, anna)
    age_session(anna, seen_ago=31 * 60)
    assert refused(anna, IDLE_MESSAGE)
    assert [row.end_reason for row in rows(db)] == ["idle"]
    assert refused(thief)


def test_a_session_past_its_absolute_limit_ends_with_its_reason_recorded(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    anna = signed_in(local_app, "anna")
    age_session(anna, login_ago=10 * 3600 + 5, seen_ago=10)
    assert refused(anna, MAX_AGE_MESSAGE)
    assert [row.end_reason for row in rows(db)] == ["max_age"]


def _age_row(db: Services, **ago: timedelta) -> None:
    with transaction(db.sessions) as session:
        session.execute(update(SignedInSession)
                        .values({column: utcnow() - delta for column, delta in ago.items()}))


def test_the_servers_own_times_end_a_session_whatever_the_cookie_says(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    anna = signed_in(local_app, "anna")
    _age_row(db, last_seen_at=timedelta(minutes=31))
    assert refused(anna, IDLE_MESSAGE)
    anna = signed_in(local_app, "anna")
    _age_row(db, started_at=timedelta(hours=10, seconds=5))
    assert refused(anna, MAX_AGE_MESSAGE)
    assert [row.end_reason for row in rows(db)] == ["idle", "max_age"]


def test_use_moves_the_servers_last_seen_time(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    anna = signed_in(local_app, "anna")
    _age_row(db, last_seen_at=timedelta(minutes=29))
    assert anna.get("/inbox").status_code == 200
    [row] = rows(db)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)
    assert row.ended_at is None


def test_a_cookie_from_before_the_server_kept_sessions_signs_in_again(
        local_app: Flask, make_account: Callable[..., str]) -> None:
    make_account("anna")
    anna = signed_in(local_app, "anna")
    with anna.session_transaction() as session:
        del session[SESSION_TOKEN]
    assert refused(anna)
    assert signed_in(local_app, "anna").get("/inbox").status_code == 200


# --- old rows ------------------------------------------------------------------------------------


def test_old_rows_are_deleted_at_a_sign_in(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    anna = user_id(db, "anna")
    now = utcnow()
    with transaction(db.sessions) as session:
        record_sign_in(session, anna, "password", now - KEEP_SIGNED_IN_SESSIONS - timedelta(hours=1))
        record_sign_in(session, anna, "password", now - KEEP_SIGNED_IN_SESSIONS + timedelta(hours=1))
    signed_in(local_app, "anna")
    kept = [now - row.started_at for row in rows(db)]
    assert len(kept) == 2 and all(age < KEEP_SIGNED_IN_SESSIONS for age in kept)
