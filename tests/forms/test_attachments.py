"""Files attached to a task form: checked by content and size, stored with the case, and
downloaded only by those who may read the case."""
from __future__ import annotations

import dataclasses
import hashlib
import html
import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.auth.service import create_user
from app.db import transaction
from app.db.models import AccessLogEntry, Attachment
from app.forms.attachments import AttachmentRefused, Upload, check_upload, clean_file_name, sniff
from app.services import Services
from tests.forms.conftest import VALID, submitted_data
from tests.web.conftest import PASSWORD, csrf_of, login, task_row

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def _post(client: FlaskClient, task_id: int, form: dict[str, Any],
          files: dict[str, tuple[bytes, str]]) -> Any:
    data: dict[str, Any] = {"csrf_token": csrf_of(client), **form}
    for name, (content, file_name) in files.items():
        data[name] = (io.BytesIO(content), file_name)
    return client.post(f"/tasks/{task_id}", data=data, content_type="multipart/form-data")


def _attachment_count(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Attachment)) or 0)


def _field_error(text: str, field_id: str) -> str | None:
    marker = f'<p class="field-error" id="{field_id}-error">'
    if marker not in text:
        return None
    return html.unescape(text.split(marker, 1)[1].split("</p>", 1)[0]).strip()


def test_a_pdf_is_stored_and_its_id_goes_into_the_task_data(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    response = _post(anna, plan_task, VALID, {"assessment_report": (PDF, "../../Ziņojums 1.pdf"),
                                              "photo": (JPEG, "bilde.jpg")})
    assert response.status_code == 302, response.text
    data = submitted_data(web_services, plan_task)
    with web_services.sessions() as session:
        report = session.get(Attachment, int(data["assessment_report"]))
        photo = session.get(Attachment, int(data["photo"]))
        assert report is not None and photo is not None
        assert (report.file_name, report.content_type, report.size) == \
            ("Ziņojums 1.pdf", "application/pdf", len(PDF))
        assert report.sha256 == hashlib.sha256(PDF).hexdigest()
        assert (report.task_id, report.field_name, report.uploaded_by) == \
            (plan_task, "assessment_report", "anna")
        assert report.instance_id == task_row(web_services, plan_task).instance_id
        assert photo.content_type == "image/jpeg"


def test_the_uploader_downloads_the_file_as_an_attachment(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    _post(anna, plan_task, VALID, {"assessment_report": (PDF, "Ziņojums.pdf")})
    attachment_id = submitted_data(web_services, plan_task)["assessment_report"]
    response = anna.get(f"/attachments/{attachment_id}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Zi%C5%86ojums.pdf" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with web_services.sessions() as session:
        logged = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.record_type == "attachment")).all()
        assert [(e.username, e.action, e.record_id) for e in logged] == \
            [("anna", "download", int(attachment_id))]


def test_someone_outside_the_case_gets_404_like_a_missing_file(
        anna: FlaskClient, plan_task: int, web_services: Services, app: Any) -> None:
    _post(anna, plan_task, VALID, {"assessment_report": (PDF, "Ziņojums.pdf")})
    attachment_id = int(submitted_data(web_services, plan_task)["assessment_report"])
    with transaction(web_services.sessions) as session:
        create_user(session, "kurzeme", "Kurzeme", PASSWORD, roles=["caseworker"],
                    groups=["institution"], organisation_code="VSAC-KURZEME")
    outsider = app.test_client()
    assert login(outsider, "kurzeme").status_code == 302
    assert outsider.get(f"/attachments/{attachment_id}").status_code == 404
    assert outsider.get(f"/attachments/{attachment_id + 100}").status_code == 404
    assert app.test_client().get(f"/attachments/{attachment_id}").status_code == 302  # sign in
    with web_services.sessions() as session:
        denied = session.scalars(select(AccessLogEntry.record_id).where(
            AccessLogEntry.username == "kurzeme", AccessLogEntry.action == "denied")).all()
        assert sorted(denied) == [attachment_id, attachment_id + 100]


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(
        anna: FlaskClient, plan_task: int, web_services: Services,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_services, "settings",
                        dataclasses.replace(web_services.settings, attachment_max_bytes=40))
    response = _post(anna, plan_task, VALID, {"assessment_report": (PDF + b" " * 40, "liels.pdf"),
                                              "photo": (PNG[:30], "mazs.png")})
    assert response.status_code == 422
    assert _field_error(response.text, "field-assessment_report") == (
        "Fails ir lielāks par 40 B, tāpēc tas netika pievienots. Nekas netika saglabāts; "
        "izvēlieties mazāku failu.")
    assert _field_error(response.text, "field-photo") is None
    # Not even the acceptable photo: a refused upload stores nothing from that post.
    assert _attachment_count(web_services) == 0
    assert task_row(web_services, plan_task).status == "open"
    assert 'value="Jānis"' in response.text, "the entries are kept"


def test_a_file_is_judged_by_its_content_not_its_name(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    response = _post(anna, plan_task, VALID,
                     {"assessment_report": (b"<html><script>alert(1)</script>", "report.pdf")})
    assert response.status_code == 422
    assert _field_error(response.text, "field-assessment_report") == (
        "Šāda veida failu šeit nevar pievienot (atļauti: PDF). Nekas netika saglabāts.")
    assert _attachment_count(web_services) == 0


def test_a_field_takes_only_the_types_its_schema_accepts(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    response = _post(anna, plan_task, VALID, {"photo": (PDF, "photo.pdf")})
    assert response.status_code == 422
    assert _field_error(response.text, "field-photo") == (
        "Šāda veida failu šeit nevar pievienot (atļauti: PNG, JPEG). Nekas netika saglabāts.")
    assert _attachment_count(web_services) == 0


def test_a_refused_draft_saves_neither_the_file_nor_the_draft(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    from app.db.models import FormDraft

    response = _post(anna, plan_task, {**VALID, "_action": "draft"},
                     {"assessment_report": (b"GIF89a", "x.pdf")})
    assert response.status_code == 422
    with web_services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FormDraft)) == 0
    assert _attachment_count(web_services) == 0


def test_an_attached_file_survives_a_form_sent_back_with_mistakes(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    first = _post(anna, plan_task, {**VALID, "assessment_date": ""},
                  {"assessment_report": (PDF, "Ziņojums.pdf")})
    assert first.status_code == 422
    with web_services.sessions() as session:
        (stored,) = session.scalars(select(Attachment)).all()
    text = first.text
    assert f'<input type="hidden" name="assessment_report" value="{stored.id}">' in text
    assert f'<a href="/attachments/{stored.id}">Ziņojums.pdf</a>' in text
    assert "Novērtējuma ziņojums: aizstāt ar citu failu" in text
    # Sent again without choosing the file again: the stored one is kept.
    second = _post(anna, plan_task, {**VALID, "assessment_report": str(stored.id)}, {})
    assert second.status_code == 302, second.text
    assert submitted_data(web_services, plan_task)["assessment_report"] == str(stored.id)
    assert _attachment_count(web_services) == 1


def test_the_person_can_remove_an_attached_file(anna: FlaskClient, plan_task: int,
                                                web_services: Services) -> None:
    _post(anna, plan_task, {**VALID, "assessment_date": ""}, {"assessment_report": (PDF, "a.pdf")})
    with web_services.sessions() as session:
        (stored,) = session.scalars(select(Attachment)).all()
    form = {**VALID, "assessment_report": str(stored.id), "_remove_file": "assessment_report"}
    assert _post(anna, plan_task, form, {}).status_code == 302
    assert "assessment_report" not in submitted_data(web_services, plan_task)


def test_an_attachment_of_another_task_cannot_be_claimed_by_its_id(
        anna: FlaskClient, start_plan: Callable[..., int], web_services: Services) -> None:
    first, second = start_plan("T-PLAN-1"), start_plan("T-PLAN-2")
    _post(anna, first, {**VALID, "assessment_date": ""}, {"assessment_report": (PDF, "a.pdf")})
    with web_services.sessions() as session:
        (foreign,) = session.scalars(select(Attachment)).all()
    response = _post(anna, second, {**VALID, "assessment_report": str(foreign.id)}, {})
    assert response.status_code == 302
    assert "assessment_report" not in submitted_data(web_services, second)


def test_content_sniffing_and_file_names() -> None:
    assert sniff(PDF) == "application/pdf" and sniff(PNG) == "image/png"
    assert sniff(JPEG) == "image/jpeg" and sniff(b"GIF89a") is None and sniff(b"") is None
    with pytest.raises(AttachmentRefused) as refused:
        check_upload(Upload("f", "a.pdf", b""), ["application/pdf"], 100)
    assert refused.value.reason == "empty"
    assert check_upload(Upload("f", "a", PDF), ["application/pdf"], len(PDF)) == "application/pdf"
    with pytest.raises(AttachmentRefused):
        check_upload(Upload("f", "a", PDF), ["application/pdf"], len(PDF) - 1)
    assert clean_file_name("C:\\Users\\x\\Lēmums.pdf") == "Lēmums.pdf"
    assert clean_file_name("a\x00b<c>.pdf") == "a_b_c_.pdf"
    assert clean_file_name("...") == "pielikums"
    long_name = clean_file_name("x" * 300 + ".pdf")
    assert len(long_name) <= 255 and long_name.endswith(".pdf")


def test_a_request_over_the_overall_cap_is_refused_with_a_clear_message(
        anna: FlaskClient, plan_task: int, web_services: Services,
        monkeypatch: pytest.MonkeyPatch) -> None:
    app = anna.application
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    response = _post(anna, plan_task, VALID, {"assessment_report": (PDF + b" " * 5000, "x.pdf")})
    assert response.status_code == 413
    assert "Nosūtītais ir pārāk liels, tāpēc nekas netika saglabāts." in response.text
    assert _attachment_count(web_services) == 0
