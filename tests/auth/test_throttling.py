"""Password sign-in is refused for a while after five failures for a username or from one
address within fifteen minutes."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from app.auth import throttle
from app.db import transaction
from app.db.models import LoginAttempt, utcnow
from app.services import Services
from tests.web.conftest import login

LOCKED = "Pārāk daudz neveiksmīgu pieteikšanās mēģinājumu."


def attempt(app: Flask, username: str, password: str | None = None,
            address: str = "10.0.0.1") -> TestResponse:
    """One sign-in from a browser at ``address`` (the right password unless one is given)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if password is None:
        return login(client, username)
    return login(client, username, password)


def signed_in_client(app: Flask, username: str, address: str = "10.0.0.1") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    assert login(client, username).status_code == 302
    return client


def move_back(db: Services, minutes: int, outcome: str | None = None) -> None:
    """As if the attempts (of one outcome, or all) had been made ``minutes`` earlier."""
    with transaction(db.sessions) as session:
        rows = session.scalars(select(LoginAttempt)).all()
        for row in rows:
            if outcome is None or row.outcome == outcome:
                row.attempted_at = row.attempted_at - timedelta(minutes=minutes)


def test_after_five_failures_even_the_right_password_is_refused(
        local_app: Flask, make_account: Callable[..., str]) -> None:
    make_account("anna")
    for _ in range(5):
        assert attempt(local_app, "anna", "wrong").status_code == 401
    refused = attempt(local_app, "anna")
    assert refused.status_code == 429
    assert LOCKED in refused.text
    assert "pēc 15 minūtēm" in refused.text
    assert "Nepareizs lietotājvārds vai parole." not in refused.text


def test_four_failures_are_not_yet_a_lock(local_app: Flask,
                                          make_account: Callable[..., str]) -> None:
    make_account("anna")
    for _ in range(4):
        attempt(local_app, "anna", "wrong")
    assert attempt(local_app, "anna").status_code == 302


def test_the_limit_per_username_holds_across_addresses(
        local_app: Flask, make_account: Callable[..., str]) -> None:
    make_account("anna")
    make_account("berta")
    for n in range(5):
        attempt(local_app, "Anna ", "wrong", address=f"10.0.1.{n}")
    assert attempt(local_app, "anna", address="10.0.1.99").status_code == 429
    assert attempt(local_app, "berta", address="10.0.1.99").status_code == 302


def test_the_limit_per_address_holds_across_usernames(
        local_app: Flask, make_account: Callable[..., str]) -> None:
    make_account("anna")
    for name in ("a", "b", "c", "d", "e"):
        attempt(local_app, name, "wrong", address="10.0.2.9")
    assert attempt(local_app, "anna", address="10.0.2.9").status_code == 429
    assert attempt(local_app, "anna", address="10.0.2.10").status_code == 302


def test_sign_in_reopens_when_the_failures_leave_the_window(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    for _ in range(5):
        attempt(local_app, "anna", "wrong")
    move_back(db, 14)
    assert "pēc 1 minūtes" in attempt(local_app, "anna").text
    move_back(db, 2)
    assert attempt(local_app, "anna").status_code == 302


def test_attempts_refused_by_the_lock_do_not_prolong_it(
        local_app: Flask, make_account: Callable[..., str], db: Services) -> None:
    make_account("anna")
    for _ in range(5):
        attempt(local_app, "anna", "wrong")
    for _ in range(10):
        assert attempt(local_app, "anna", "wrong").status_code == 429
    move_back(db, 16, outcome=throttle.FAILED)
    assert attempt(local_app, "anna").status_code == 302


def test_a_successful_sign_in_clears_the_usernames_failures(
        local_app: Flask, make_account: Callable[..., str]) -> None:
    make_account("anna")
    for n in range(4):
        attempt(local_app, "anna", "wrong", address=f"10.0.3.{n}")
    assert attempt(local_app, "anna", address="10.0.3.50").status_code == 302
    for n in range(4):
        attempt(local_app, "anna", "wrong", address=f"10.0.3.{n + 10}")
    assert attempt(local_app, "anna", address="10.0.3.51").status_code == 302


def test_the_limits_and_window_are_settings(make_app: Callable[..., Flask],
                                            make_account: Callable[..., str]) -> None:
    make_account("anna")
    app = make_app(login_max_failures=2, login_window_minutes=1, login_ip_max_failures=0)
    for _ in range(2):
        attempt(app, "anna", "wrong")
    refused = attempt(app, "anna")
    assert refused.status_code == 429 and "pēc 1 minūtes" in refused.text
    for name in ("a", "b", "c", "d", "e", "f", "g"):
        attempt(app, name, "wrong", address="10.0.4.1")
    assert attempt(app, "berta", "wrong", address="10.0.4.1").status_code == 401


def test_the_lock_message_speaks_english_too(local_app: Flask,
                                             make_account: Callable[..., str]) -> None:
    make_account("anna")
    for _ in range(5):
        attempt(local_app, "anna", "wrong")
    client = local_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    client.get("/login?lang=en")
    refused = login(client, "anna")
    assert "Too many failed sign-in attempts. Please try again in 15 minutes." in refused.text


def test_the_attempts_table_names_no_one(local_app: Flask, make_account: Callable[..., str],
                                         db: Services) -> None:
    make_account("anna")
    attempt(local_app, "anna", "wrong")
    attempt(local_app, "anna")
    with db.sessions() as session:
        rows = session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [row.outcome for row in rows] == ["failed", "succeeded"]
    assert all(len(row.username_key) == 64 and "anna" not in row.username_key for row in rows)
    assert rows[0].username_key == throttle.username_key(" ANNA", "auth-tests-secret")


def test_old_attempts_are_pruned(local_app: Flask, make_account: Callable[..., str],
                                 db: Services) -> None:
    make_account("anna")
    attempt(local_app, "anna", "wrong")
    with transaction(db.sessions) as session:
        session.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(days=8)))
    attempt(local_app, "anna", "wrong")
    with db.sessions() as session:
        assert len(session.scalars(select(LoginAttempt)).all()) == 1


def test_refused_until_is_when_the_oldest_counted_failure_leaves_the_window(
        db: Services) -> None:
    policy = throttle.ThrottlePolicy(max_failures_per_username=3, max_failures_per_address=0,
                                     window=timedelta(minutes=15), secret="s")
    start = utcnow()
    with transaction(db.sessions) as session:
        for minute in (0, 2, 5, 7):
            throttle.record_attempt(session, policy, "anna", "10.0.0.1", throttle.FAILED,
                                    start + timedelta(minutes=minute))
    with db.sessions() as session:
        now = start + timedelta(minutes=8)
        # The latest three failures are at 2, 5 and 7 minutes: open again at 2 + 15.
        assert throttle.refused_until(session, policy, "anna", "x", now) \
            == start + timedelta(minutes=17)
        assert throttle.refused_until(session, policy, "berta", "x", now) is None
        assert throttle.refused_until(session, policy, "anna", "x",
                                      start + timedelta(minutes=17, seconds=1)) is None
