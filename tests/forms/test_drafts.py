"""Drafts: saved without validation, shown again to their author only, gone once the task is
done; and a form sent after the sign-in ended becomes a draft after signing in again."""
from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app.auth.service import create_user
from app.db import transaction
from app.db.models import FormDraft, KeptForm, utcnow
from app.services import Services
from tests.forms.conftest import VALID, page_of
from tests.web.conftest import PASSWORD, csrf_of, login, post, task_row

ORIGIN = {"Origin": "http://localhost"}


def _drafts(services: Services) -> list[tuple[int, str]]:
    with services.sessions() as session:
        return [(d.task_id, d.username) for d in session.scalars(select(FormDraft))]


def _kept(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(KeptForm)) or 0)


def test_a_draft_is_saved_without_validation_and_shown_again(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    partial = {"assessment_date": "31.02.2026", "summary": "Vēl jāpabeidz",
               "household": ["0"], "household.0.given_name": "Jānis", "monthly_allowance": "12,5",
               "_action": "draft"}
    response = post(anna, f"/tasks/{plan_task}", partial)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/tasks/{plan_task}"
    assert _drafts(web_services) == [(plan_task, "anna")]
    text = anna.get(f"/tasks/{plan_task}").text
    assert "Melnraksts saglabāts." in text
    assert "Veidlapā redzams jūsu melnraksts, kas saglabāts" in text
    assert 'value="31.02.2026"' in text, "kept as typed, even though it is not a date"
    assert "Vēl jāpabeidz</textarea>" in text and 'value="Jānis"' in text
    assert 'value="12,5"' in text
    assert "field-error" not in text
    assert task_row(web_services, plan_task).status == "open"


def test_saving_again_replaces_the_draft(anna: FlaskClient, plan_task: int,
                                         web_services: Services) -> None:
    post(anna, f"/tasks/{plan_task}", {"summary": "pirmais", "_action": "draft"})
    post(anna, f"/tasks/{plan_task}", {"summary": "otrais", "_action": "draft"})
    assert _drafts(web_services) == [(plan_task, "anna")]
    assert "otrais</textarea>" in page_of(anna, plan_task)


def test_a_colleague_does_not_see_my_draft(anna: FlaskClient, plan_task: int,
                                           sign_in: Any) -> None:
    post(anna, f"/tasks/{plan_task}", {"summary": "Anna raksta", "_action": "draft"})
    berta = sign_in("berta")
    text = page_of(berta, plan_task)
    assert "Anna raksta" not in text and "melnraksts" not in text


def test_completing_the_task_deletes_its_drafts(anna: FlaskClient, plan_task: int,
                                                web_services: Services) -> None:
    post(anna, f"/tasks/{plan_task}", {"summary": "melnraksts", "_action": "draft"})
    assert post(anna, f"/tasks/{plan_task}", VALID).status_code == 302
    assert _drafts(web_services) == []


def test_a_draft_can_be_discarded(anna: FlaskClient, plan_task: int,
                                  web_services: Services) -> None:
    post(anna, f"/tasks/{plan_task}", {"summary": "prom", "_action": "draft"})
    response = post(anna, f"/tasks/{plan_task}/draft/discard")
    assert response.status_code == 302
    assert _drafts(web_services) == []
    text = anna.get(f"/tasks/{plan_task}").text
    assert "Melnraksts izmests." in text and "prom</textarea>" not in text


def test_a_draft_keeps_an_uploaded_file(anna: FlaskClient, plan_task: int,
                                        web_services: Services) -> None:
    import io

    data = {"csrf_token": csrf_of(anna), "_action": "draft",
            "assessment_report": (io.BytesIO(b"%PDF-1.4 x"), "plāns.pdf")}
    assert anna.post(f"/tasks/{plan_task}", data=data,
                     content_type="multipart/form-data").status_code == 302
    assert "plāns.pdf</a>" in page_of(anna, plan_task)


# --- the sign-in ended while the form was open ---------------------------------------------------


def test_a_form_sent_after_the_session_cookie_is_gone_becomes_a_draft_after_signing_in(
        anna: FlaskClient, app: Flask, plan_task: int, web_services: Services) -> None:
    browser = app.test_client()  # the same person, after the browser lost the session cookie
    form = {"csrf_token": "from-the-old-page", "summary": "Gara atskaite, ko negribu zaudēt",
            "household": ["0"], "household.0.given_name": "Jānis", "_action": "submit"}
    response = browser.post(f"/tasks/{plan_task}", data=form, headers=ORIGIN)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/tasks/")
    assert "Jūsu sesija bija beigusies" in browser.get("/login").text
    assert _kept(web_services) == 1 and _drafts(web_services) == []
    assert login(browser, "anna", next_path=f"/tasks/{plan_task}").status_code == 302
    assert _drafts(web_services) == [(plan_task, "anna")]
    assert _kept(web_services) == 0
    text = browser.get(f"/tasks/{plan_task}").text
    assert "Gara atskaite, ko negribu zaudēt</textarea>" in text
    assert 'value="Jānis"' in text
    assert "tagad ir jūsu melnraksts uzdevumam: “Sagatavot atbalsta plānu”" in text
    assert task_row(web_services, plan_task).status == "open"


def test_a_form_sent_when_the_session_no_longer_has_the_user_is_kept_too(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    token = csrf_of(anna)
    with anna.session_transaction() as session:  # what an idle timeout leaves behind
        session.pop("_user_id", None)
    response = anna.post(f"/tasks/{plan_task}", headers=ORIGIN,
                         data={"csrf_token": token, "summary": "Pēc pārtraukuma"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _kept(web_services) == 1
    login(anna, "anna")
    assert "Pēc pārtraukuma</textarea>" in page_of(anna, plan_task)


def test_a_form_sent_after_the_idle_limit_becomes_a_draft_after_signing_in(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    from app.auth.sessions import SEEN_AT

    token = csrf_of(anna)
    idle = web_services.settings.session_idle_minutes
    with anna.session_transaction() as session:  # the person left the form open too long
        session[SEEN_AT] = int(time.time()) - idle * 60 - 5
    form = {"csrf_token": token, "summary": "Rakstīju ilgi", "_action": "submit"}
    response = anna.post(f"/tasks/{plan_task}", data=form,
                         headers={**ORIGIN, "Referer": f"http://localhost/tasks/{plan_task}"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/tasks/{plan_task}"
    assert _kept(web_services) == 1
    assert task_row(web_services, plan_task).status == "open"
    login(anna, "anna")
    assert "Rakstīju ilgi</textarea>" in page_of(anna, plan_task)


def test_another_site_cannot_plant_a_draft(app: Flask, plan_task: int, make_user: Any,
                                           web_services: Services) -> None:
    make_user("anna")
    browser = app.test_client()
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/x"},
                    {}):
        browser.post(f"/tasks/{plan_task}", data={"summary": "iestādīts"}, headers=headers)
    assert _kept(web_services) == 0
    login(browser, "anna")
    assert _drafts(web_services) == []


def test_a_kept_form_is_not_given_to_someone_who_may_not_work_on_the_task(
        app: Flask, plan_task: int, web_services: Services) -> None:
    with transaction(web_services.sessions) as session:
        create_user(session, "kurzeme", "Kurzeme", PASSWORD, roles=["caseworker"],
                    groups=["institution"], organisation_code="VSAC-KURZEME")
    browser = app.test_client()
    browser.post(f"/tasks/{plan_task}", data={"summary": "slepeni"}, headers=ORIGIN)
    assert _kept(web_services) == 1
    assert login(browser, "kurzeme").status_code == 302
    assert _drafts(web_services) == [] and _kept(web_services) == 0


def test_a_kept_form_expires(app: Flask, plan_task: int, make_user: Any,
                             web_services: Services) -> None:
    make_user("anna")
    browser = app.test_client()
    browser.post(f"/tasks/{plan_task}", data={"summary": "vecs"}, headers=ORIGIN)
    with transaction(web_services.sessions) as session:
        session.execute(update(KeptForm).values(kept_at=utcnow() - timedelta(hours=13)))
    login(browser, "anna")
    assert _drafts(web_services) == []


def test_a_signed_in_post_is_never_kept(anna: FlaskClient, plan_task: int,
                                        web_services: Services) -> None:
    anna.post(f"/tasks/{plan_task}", data={"csrf_token": "wrong", "summary": "x"}, headers=ORIGIN)
    assert _kept(web_services) == 0


def test_what_can_be_kept_without_a_sign_in_is_capped(
        plan_task: int, web_services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.db.models import utcnow as now
    from app.forms import drafts

    with transaction(web_services.sessions) as session:
        assert not drafts.keep_form(session, "t", plan_task, {"summary": ["x" * 300_000]}, now())
        assert not drafts.keep_form(session, "t", plan_task + 999, {"summary": ["x"]}, now())
        assert drafts.keep_form(session, "t", plan_task, {"summary": ["x"]}, now())
        assert drafts.keep_form(session, "t", plan_task, {"summary": ["y"]}, now())
    assert _kept(web_services) == 1, "one per token and task"
    monkeypatch.setattr(drafts, "MAX_KEPT_FORMS", 1)
    with transaction(web_services.sessions) as session:
        assert not drafts.keep_form(session, "other", plan_task, {"summary": ["z"]}, now())
