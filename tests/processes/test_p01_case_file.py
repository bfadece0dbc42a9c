"""P1 in the web app: the institution starts an assessment from the case file; the case file
shows the IAP versions and the needs by life domain; two versions are compared."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person
from app.db import transaction
from app.db.models import AccessLogEntry, HumanTask, ProcessInstance
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.engine.runtime import Actor
from app.services import Services
from tests.processes.test_p01_adult_needs_assessment import interview_form, plan_form
from tests.web.conftest import PASSWORD, app, csrf_from, login, web_services, web_settings  # noqa: F401 - the web fixtures
from workers.jobs import run_due_jobs

EXPERT = Actor("regions", frozenset({"planning_region_expert"}))
SUPERVISOR = Actor("regvad", frozenset({"planning_region_supervisor"}))


def _run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def _open_task(services: Services, iid: int) -> HumanTask:
    with services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                         HumanTask.status == "open"))
        return task


def test_start_from_the_case_file_then_versions_needs_and_comparison(
        app: Flask, web_services: Services) -> None:  # noqa: F811 - the web fixtures
    with transaction(web_services.sessions) as session:
        create_user(session, "iestade1", "Ilze Iestāde", PASSWORD, roles=["caseworker"],
                    groups=["institution"], organisation_code="VSAC-RIGA")
        worker = viewer_of(session, "iestade1", ["caseworker"], ["institution"], "VSAC-RIGA")
        person_id = register_person(session, worker, given_name="Pēteris", family_name="Ozols",
                                    personal_code=valid_personal_code(34),
                                    municipality_code="RIGA", institution_code="VSAC-RIGA").id
    client = app.test_client()
    assert login(client, "iestade1").status_code == 302
    page = client.get(f"/persons/{person_id}")
    assert "Sākt vajadzību novērtēšanu" in page.text
    started = client.post(f"/assessment/persons/{person_id}/start",
                          data={"csrf_token": csrf_from(page)})
    assert started.status_code == 302
    with web_services.sessions() as session:
        iid = session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.person_id == person_id)).one()
    _run_jobs(web_services)
    web_services.engine.complete_task(_open_task(web_services, iid).id, EXPERT,
                                      interview_form(occupation=4, safety=2))
    web_services.engine.complete_task(_open_task(web_services, iid).id, EXPERT, plan_form())
    web_services.engine.complete_task(_open_task(web_services, iid).id, SUPERVISOR,
                                      {"decision": "APPROVE"})
    _run_jobs(web_services)
    reference = web_services.engine and _business_key(web_services, iid)
    later = today_in_latvia() + timedelta(days=20)
    web_services.engine.correlate("p01_iap_version", {
        "sopa_reference": "SOPA-CF-2", "plan_version": 2, "received_at": "",
        "plan": {"goals": ["Pārcelties uz grupu dzīvokli", "Strādāt darbnīcā"],
                 "services": [{"service_type": "GROUP_APARTMENT", "frequency": "pastāvīgi"},
                              {"service_type": "DAY_CENTRE", "hours_per_week": 12}],
                 "valid_from": later.isoformat(),
                 "valid_to": (later + timedelta(days=100)).isoformat()}},
        business_key=reference, actor=Actor("api:sopa"))
    _run_jobs(web_services)

    page = client.get(f"/persons/{person_id}").text
    assert 'data-plan-version="1"' in page and 'data-plan-version="2"' in page
    assert "Dienas aprūpes centrs (12 h nedēļā)" in page
    assert 'data-domain="occupation"><td>Nodarbinātība un ikdienas nodarbes</td><td>4 – Pilnīgs atbalsts' in page
    assert "2 – Mērens atbalsts" in page  # safety

    compare = client.get(f"/assessment/persons/{person_id}/plans/compare?from=1&to=2")
    assert compare.status_code == 200
    text = compare.text
    assert "+ Strādāt darbnīcā" in text and "− Apmeklēt dienas aprūpes centru" in text
    assert "Mainīts: Dienas aprūpes centrs — Stundas nedēļā: 20 → 12" in text
    with web_services.sessions() as session:
        logged = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.username == "iestade1", AccessLogEntry.path.like("%/compare%"))).all()
    assert logged
    assert client.get(f"/assessment/persons/{person_id}/plans/compare?from=1&to=9"
                      ).status_code == 404


def test_another_institution_sees_neither_the_panel_nor_the_comparison(
        app: Flask, web_services: Services) -> None:  # noqa: F811 - the web fixtures
    with transaction(web_services.sessions) as session:
        create_user(session, "citur", "Cita Iestāde", PASSWORD, roles=["caseworker"],
                    groups=["institution"], organisation_code="JELGAVA")
        worker = viewer_of(session, "x", ["caseworker"], ["institution"], "VSAC-RIGA")
        person_id = register_person(session, worker, given_name="Anna", family_name="Liepa",
                                    personal_code=valid_personal_code(33),
                                    municipality_code="RIGA", institution_code="VSAC-RIGA").id
    client = app.test_client()
    login(client, "citur")
    assert client.get(f"/assessment/persons/{person_id}/plans/compare").status_code == 404
    page = client.get("/inbox")
    assert client.post(f"/assessment/persons/{person_id}/start",
                       data={"csrf_token": csrf_from(page)}).status_code in (403, 404)


def _business_key(services: Services, iid: int) -> str:
    with services.sessions() as session:
        key = session.scalar(select(ProcessInstance.business_key).where(ProcessInstance.id == iid))
        assert key
        return key
