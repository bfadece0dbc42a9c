"""Generated documents: stored with the case beside their data, rendered again to the same
bytes, stored once per job, and downloaded only by those who may read the case."""
from __future__ import annotations

import io

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from app.auth.service import create_user
from app.db import transaction
from app.db.models import AccessLogEntry, CaseDocument, ProcessInstance
from app.documents.service import DocumentError, render_again, store_document
from app.domain.needs_assessment import iap_document_data
from app.services import Services
from tests.web.conftest import P9, P9_START, PASSWORD, login, start_for_child

PLAN = {"version": 1, "source": "assessment", "valid_from": "2026-03-01",
        "valid_to": "2027-02-28",
        "content": {"goals": ["Pārcelties uz grupu dzīvokli"], "responsible_municipality": "RIGA",
                    "services": [{"service_type": "DAY_CENTRE", "hours_per_week": 20}]}}


def iap(instance_id: int, services: Services, key: str | None = "job-1") -> CaseDocument:
    data = iap_document_data("P1-2026-000001-1", "Jānis Bērziņš", PLAN, {"self_care": 3})
    with transaction(services.sessions) as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        return store_document(session, instance, kind="iap", title="Individuālais atbalsta plāns",
                              template="documents/iap.html", data=data, created_by="system",
                              idempotency_key=key)


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_document_is_stored_with_its_data_and_renders_again_identically(
        web_services: Services) -> None:
    iid = start_for_child(web_services, P9, P9_START, "P9-DOC-1")
    stored = iap(iid, web_services)
    with web_services.sessions() as session:
        row = session.get(CaseDocument, stored.id)
        assert row is not None
        text = text_of(row.content)
        assert "Dienas aprūpes centrs" in text and "01.03.2026" in text
        assert render_again(row) == row.content
        # It carries the instance's scope, so the one access rule covers it.
        assert (row.municipality_code, row.institution_code) == ("RIGA", "VSAC-RIGA")


def test_a_retried_job_stores_nothing_new_and_a_new_one_is_the_next_version(
        web_services: Services) -> None:
    iid = start_for_child(web_services, P9, P9_START, "P9-DOC-2")
    first, again, second = iap(iid, web_services), iap(iid, web_services), iap(iid, web_services,
                                                                                 "job-2")
    assert again.id == first.id
    assert (first.version, second.version) == (1, 2)


def test_a_template_outside_the_documents_folder_is_refused(web_services: Services) -> None:
    iid = start_for_child(web_services, P9, P9_START, "P9-DOC-3")
    with transaction(web_services.sessions) as session, pytest.raises(DocumentError):
        store_document(session, session.get(ProcessInstance, iid), kind="x", title="x",  # type: ignore[arg-type]
                       template="base.html", data={}, created_by="t")


def test_only_those_who_read_the_case_download_it_and_each_download_is_logged(
        app: Flask, web_services: Services) -> None:
    iid = start_for_child(web_services, P9, P9_START, "P9-DOC-4")
    document_id = iap(iid, web_services).id
    with transaction(web_services.sessions) as session:
        create_user(session, "riga", "Rīga", PASSWORD, roles=["caseworker"],
                    groups=["social_service"], organisation_code="RIGA")
        create_user(session, "jelgava", "Jelgava", PASSWORD, roles=["caseworker"],
                    groups=["social_service"], organisation_code="JELGAVA")
    own, other = app.test_client(), app.test_client()
    assert login(own, "riga").status_code == 302 and login(other, "jelgava").status_code == 302
    got = own.get(f"/documents/{document_id}")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert got.data.startswith(b"%PDF") and "no-store" in got.headers["Cache-Control"]
    assert other.get(f"/documents/{document_id}").status_code == 404
    assert app.test_client().get(f"/documents/{document_id}").status_code in (302, 401)
    with web_services.sessions() as session:
        logged = session.execute(select(AccessLogEntry.username, AccessLogEntry.action).where(
            AccessLogEntry.record_type == "document")).all()
    assert sorted(logged) == [("jelgava", "denied"), ("riga", "download")]
