"""P2's open-question interview takes PDF attachments (the interview record, a supporting
document): a PDF is stored with the case, anything else is refused on its field and nothing is
lost."""
from __future__ import annotations

import html
import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person
from app.child_assessment.service import start_assessment
from app.db import transaction
from app.db.models import Attachment, HumanTask, Person
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.engine.runtime import Actor
from app.services import Services
from tests.web.conftest import PASSWORD, csrf_of, login
from workers.jobs import run_due_jobs

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ANSWERS = {"interview_date": today_in_latvia().isoformat(), "interview_place": "Bērna mājās",
           "daily_life": "Diena paiet mājās.", "health_and_development": "Kustību traucējumi.",
           "family_and_relations": "Dzīvo ar vecākiem.", "education_and_play": "Bērnudārzs.",
           "child_views": "Patīk zīmēt."}


def interview_task(services: Services) -> int:
    """A family child referred by Rīga's social service, the register check done: the interview
    waits for the planning region's expert."""
    with transaction(services.sessions) as session:
        worker = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        child = register_person(session, worker, given_name="Marta", family_name="Ozoliņa",
                                personal_code=valid_personal_code(36), municipality_code="RIGA")
        person_id = child.id
    with services.sessions() as session:
        worker = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        iid = start_assessment(services.engine, session, worker,
                               session.get(Person, person_id), "P2-ATT-1")  # type: ignore[arg-type]
    with services.sessions() as session:
        refer = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                        HumanTask.status == "open")).one()
    services.engine.complete_task(refer.id, Actor("soc", frozenset({"social_service"})), {
        "child_group": "FAMILY", "referral_date": today_in_latvia().isoformat(),
        "referral_reason": "Novērtējums."})
    while run_due_jobs(services, "w1"):
        pass
    with services.sessions() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                       HumanTask.status == "open")).one()
    assert task.element_id == "interview"
    return task.id


def expert(app: Flask, services: Services) -> FlaskClient:
    with transaction(services.sessions) as session:
        create_user(session, "ilze", "Ilze", PASSWORD, roles=["interviewer"],
                    groups=["planning_region_expert"], organisation_code="PR-RIGA")
    client = app.test_client()
    assert login(client, "ilze").status_code == 302
    return client


def post(client: FlaskClient, task_id: int, files: dict[str, tuple[bytes, str]]) -> Any:
    client.post(f"/tasks/{task_id}/claim", data={"csrf_token": csrf_of(client)})
    data: dict[str, Any] = {"csrf_token": csrf_of(client), **ANSWERS}
    for name, (content, file_name) in files.items():
        data[name] = (io.BytesIO(content), file_name)
    return client.post(f"/tasks/{task_id}", data=data, content_type="multipart/form-data")


def test_the_interview_record_is_kept_as_a_pdf_with_the_case(app: Flask,
                                                               web_services: Services) -> None:
    task_id = interview_task(web_services)
    response = post(expert(app, web_services), task_id,
                    {"interview_record": (PDF, "Intervija ar Martu.pdf")})
    assert response.status_code == 302, response.text
    with web_services.sessions() as session:
        [stored] = session.scalars(select(Attachment).where(Attachment.task_id == task_id)).all()
        assert (stored.file_name, stored.content_type) == ("Intervija ar Martu.pdf",
                                                          "application/pdf")
        assert session.get(HumanTask, task_id).status == "completed"  # type: ignore[union-attr]


def test_a_file_that_is_not_a_pdf_is_refused_and_the_answers_stay(app: Flask,
                                                                    web_services: Services) -> None:
    task_id = interview_task(web_services)
    response = post(expert(app, web_services), task_id,
                    {"supporting_document": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "foto.pdf")})
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "PDF" in text and "Diena paiet mājās." in text  # the message, and nothing typed is lost
    with web_services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
        assert session.get(HumanTask, task_id).status == "open"  # type: ignore[union-attr]
