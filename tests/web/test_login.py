"""Sign-in, CSRF, language, security headers and the health check."""
from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, update

from app.config import PROJECT_ROOT
from app.db import transaction
from app.db.models import HumanTask, User
from app.services import Services
from app.web import compile_catalogs
from tests.web.conftest import csrf_from, login, post, task_row

TRANSLATIONS = PROJECT_ROOT / "app" / "translations"


def test_sign_in_with_the_right_password_leads_to_the_inbox(
        app: Flask, make_user: Callable[..., str]) -> None:
    make_user("anna")
    client = app.test_client()
    response = login(client, "anna")
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"
    assert client.get("/").headers["Location"] == "/inbox"
    assert "Mani uzdevumi" in client.get("/inbox").text


def test_wrong_password_and_unknown_user_get_the_same_generic_message(
        app: Flask, make_user: Callable[..., str]) -> None:
    make_user("anna")
    client = app.test_client()
    wrong = login(client, "anna", "not the password")
    unknown = login(client, "nobody", "whatever")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Nepareizs lietotājvārds vai parole." in response.text
    assert 'value="anna"' in wrong.text
    assert client.get("/inbox").status_code == 302


def test_inactive_user_is_refused(app: Flask, make_user: Callable[..., str]) -> None:
    make_user("ivars", active=False)
    response = login(app.test_client(), "ivars")
    assert response.status_code == 401
    assert "Nepareizs lietotājvārds vai parole." in response.text


def test_a_deactivated_account_loses_its_session(anna: FlaskClient, web_services: Services) -> None:
    assert anna.get("/inbox").status_code == 200
    with transaction(web_services.sessions) as session:
        session.execute(update(User).where(User.username == "anna").values(active=False))
    response = anna.get("/inbox")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_pages_need_a_signed_in_user(app: Flask) -> None:
    response = app.test_client().get("/inbox")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Finbox"


def test_login_without_csrf_token_is_refused(app: Flask, make_user: Callable[..., str]) -> None:
    make_user("anna")
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "anna", "password": "x"})
    assert response.status_code == 400
    assert "Veidlapas derīgums ir beidzies" in response.text
    forged = client.post("/login",
                         data={"username": "anna", "password": "x", "csrf_token": "forged"})
    assert forged.status_code == 400


def test_every_post_checks_the_csrf_token(anna: FlaskClient, p9_task: int,
                                          web_services: Services) -> None:
    response = anna.post(f"/tasks/{p9_task}/claim")
    assert response.status_code == 400
    assert task_row(web_services, p9_task).assignee is None
    assert anna.post(f"/tasks/{p9_task}", data={"institution_name": "X"}).status_code == 400
    assert anna.post("/logout").status_code == 400
    assert anna.get("/inbox").status_code == 200


def test_next_leads_only_to_paths_on_this_site(app: Flask, make_user: Callable[..., str]) -> None:
    make_user("anna")
    assert login(app.test_client(), "anna", next_path="/tasks/7").headers["Location"] == "/tasks/7"
    for outside in ("https://evil.example/", "//evil.example/inbox", "/\\evil.example",
                    "javascript:alert(1)", "inbox"):
        response = login(app.test_client(), "anna", next_path=outside)
        assert response.headers["Location"] == "/inbox", outside


def test_the_next_field_is_carried_through_the_login_page(app: Flask) -> None:
    page = app.test_client().get("/login?next=/tasks/3")
    assert 'name="next" value="/tasks/3"' in page.text
    outside = app.test_client().get("/login?next=https://evil.example/")
    assert "evil.example" not in outside.text


def test_sign_out_ends_the_session(anna: FlaskClient) -> None:
    response = post(anna, "/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Darba sesija ir beigta." in anna.get("/login").text
    assert anna.get("/inbox").status_code == 302


def test_login_page_speaks_latvian_by_default(app: Flask) -> None:
    page = app.test_client().get("/login")
    assert page.status_code == 200
    assert '<html lang="lv">' in page.text
    assert "Pieteikties" in page.text
    assert "Lietotājvārds" in page.text
    assert "Sign in" not in page.text


def test_language_switch_is_remembered_for_the_session(app: Flask,
                                                       make_user: Callable[..., str]) -> None:
    make_user("anna")
    client = app.test_client()
    english = client.get("/login?lang=en")
    assert '<html lang="en">' in english.text
    assert "Username" in english.text and "Lietotājvārds" not in english.text
    assert "Wrong username or password." in login(client, "anna", "wrong").text
    login(client, "anna")
    inbox = client.get("/inbox")
    assert "My tasks" in inbox.text and "Sign out" in inbox.text
    assert "Mani uzdevumi" in client.get("/inbox?lang=lv").text
    assert "Mani uzdevumi" in client.get("/inbox").text


def test_unknown_language_keeps_latvian(app: Flask) -> None:
    assert "Pieteikties" in app.test_client().get("/login?lang=xx").text


def test_security_headers_on_every_answer(app: Flask) -> None:
    client = app.test_client()
    for response in (client.get("/login"), client.get("/healthz"), client.get("/no-such-page"),
                     client.get("/static/css/app.css")):
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
    page = client.get("/login")
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script" not in page.text and "style=" not in page.text


def test_health_check_answers_ok_with_the_database(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_check_answers_503_without_the_database(
        app: Flask, web_services: Services, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    unreachable = create_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    monkeypatch.setattr(web_services, "db", unreachable)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable",
                                   "error": "the database cannot be reached"}


def test_logs_name_no_one(app: Flask, make_user: Callable[..., str], p9_task: int,
                          caplog: pytest.LogCaptureFixture) -> None:
    make_user("anna")
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        login(client, "anna", "wrong")
        login(client, "anna")
        client.get(f"/tasks/{p9_task}")
        post(client, f"/tasks/{p9_task + 99}/claim")
    logged = caplog.text
    assert "sign-in refused" in logged
    assert "anna" not in logged.lower()


def test_every_text_of_the_interface_has_a_latvian_translation() -> None:
    method_map = [("app/**.py", "python"), ("app/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    used = {message if isinstance(message, str) else message[0]
            for _file, _line, message, _comments, _context
            in extract_from_dir(str(PROJECT_ROOT), method_map=method_map, keywords=keywords)}
    with (TRANSLATIONS / "lv" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file, locale="lv")
    translated = {msg.id if isinstance(msg.id, str) else msg.id[0]
                  for msg in catalog if msg.id and msg.string and all(msg.string)}
    assert len(used) > 50
    assert sorted(used - translated) == []


def test_catalogs_are_compiled_when_missing_or_older(tmp_path: Path) -> None:
    shutil.copytree(TRANSLATIONS, tmp_path / "translations")
    messages = tmp_path / "translations" / "lv" / "LC_MESSAGES"
    (messages / "messages.mo").unlink(missing_ok=True)
    compile_catalogs(tmp_path / "translations")
    mo = messages / "messages.mo"
    assert mo.stat().st_size > 1000
    os.utime(mo, (1_000_000, 1_000_000))
    compile_catalogs(tmp_path / "translations")
    assert mo.stat().st_mtime > 1_000_000
    before = mo.stat().st_mtime_ns
    compile_catalogs(tmp_path / "translations")
    assert mo.stat().st_mtime_ns == before


def test_login_page_has_no_csrf_token_of_another_session(app: Flask) -> None:
    first = csrf_from(app.test_client().get("/login"))
    second = csrf_from(app.test_client().get("/login"))
    assert first != second


def test_sign_in_renews_the_csrf_token(app: Flask, make_user: Callable[..., str]) -> None:
    make_user("anna")
    client = app.test_client()
    before = csrf_from(client.get("/login"))
    login(client, "anna")
    assert csrf_from(client.get("/inbox")) != before


def test_claim_is_not_possible_with_a_token_from_before_sign_in(
        app: Flask, make_user: Callable[..., str], p9_task: int, web_services: Services) -> None:
    make_user("anna")
    client = app.test_client()
    old_token = csrf_from(client.get("/login"))
    login(client, "anna")
    response = client.post(f"/tasks/{p9_task}/claim", data={"csrf_token": old_token})
    assert response.status_code == 400
    with web_services.sessions() as session:
        assert session.get(HumanTask, p9_task).assignee is None  # type: ignore[union-attr]


def test_the_language_switch_keeps_the_page_and_what_the_reader_chose(app: Flask,
                                                                      make_user: Callable[..., str]
                                                                      ) -> None:
    make_user("anna")
    client = app.test_client()
    login(client, "anna")
    page = client.get("/inbox?view=team&q=R%C4%ABga&lang=lv").text
    assert 'href="/inbox?view=team&amp;q=R%C4%ABga&amp;lang=en"' in page
