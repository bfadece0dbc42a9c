"""The mentor's log page and the case file's progress panel, through the web app."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.community_preparation import service
from app.db import transaction
from app.db.models import AccessLogEntry, DailyActivityEntry, ProcessInstance
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.services import Services
from tests.web.conftest import PASSWORD, app, csrf_of, login, web_services, web_settings

__all__ = ["app", "web_services", "web_settings"]


def resident(services: Services, seed: int, institution: str = "VSAC-RIGA") -> int:
    with transaction(services.sessions) as session:
        staff = viewer_of(session, "iestade", ["caseworker"], ["institution"], institution)
        person = register_person(session, staff, given_name="Anna", family_name=f"Bērziņa{seed}",
                                 personal_code=valid_personal_code(seed), municipality_code="RIGA",
                                 institution_code=institution)
        person_id = person.id
    with services.sessions() as session:
        start_process_for(services.engine, session, staff, person_id, service.PROCESS_KEY, {})
    return person_id


def mentor(app: Flask, services: Services, username: str = "mentors",
           organisation: str = "VSAC-RIGA") -> FlaskClient:
    with transaction(services.sessions) as session:
        create_user(session, username, "Mentors", PASSWORD, roles=["caseworker"],
                    groups=["vsac_mentor"], organisation_code=organisation)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_a_mentor_adds_log_entries_and_reads_them_back(app: Flask, web_services: Services) -> None:
    person_id = resident(web_services, 75)
    client = mentor(app, web_services)
    listing = client.get("/community-preparation/residents")
    assert listing.status_code == 200 and "Bērziņa75" in listing.text
    page = f"/community-preparation/residents/{person_id}/log"
    response = client.post(page, data={
        "csrf_token": csrf_of(client), "entry_date": today_in_latvia().isoformat(),
        "activity": "Iepirkšanās veikalā", "duration_minutes": "45", "independence_level": "3",
        "notes": "Samaksāja pats"})
    assert response.status_code == 302
    shown = client.get(page)
    assert "Iepirkšanās veikalā" in shown.text and "Samaksāja pats" in shown.text
    with web_services.sessions() as session:
        [entry] = session.scalars(select(DailyActivityEntry)).all()
        assert (entry.person_id, entry.duration_minutes, entry.independence_level, entry.mentor,
                entry.institution_code) == (person_id, 45, 3, "mentors", "VSAC-RIGA")
        assert session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.record_type == "person", AccessLogEntry.record_id == person_id)).all()


def test_a_future_date_is_refused_with_the_reason(app: Flask, web_services: Services) -> None:
    person_id = resident(web_services, 76)
    client = mentor(app, web_services)
    response = client.post(f"/community-preparation/residents/{person_id}/log", data={
        "csrf_token": csrf_of(client), "entry_date": (today_in_latvia() + timedelta(days=1)).isoformat(),
        "activity": "Pastaiga", "duration_minutes": "30", "independence_level": "2"})
    assert response.status_code == 422 and "nākotnē" in response.text
    with web_services.sessions() as session:
        assert session.scalars(select(DailyActivityEntry)).all() == []


def test_another_institution_cannot_read_or_write_the_log(app: Flask, web_services: Services) -> None:
    person_id = resident(web_services, 77)
    with transaction(web_services.sessions) as session:
        from app.db.models import Organisation
        if session.get(Organisation, "VSAC-OTHER") is None:
            session.add(Organisation(code="VSAC-OTHER", name_lv="Cits VSAC", name_en="Another VSAC",
                                     kind="vsac"))
    client = mentor(app, web_services, "svesais", "VSAC-OTHER")
    page = f"/community-preparation/residents/{person_id}/log"
    assert client.get(page).status_code == 404
    assert client.post(page, data={"csrf_token": csrf_of(client), "entry_date": today_in_latvia().isoformat(),
                                   "activity": "X", "duration_minutes": "5",
                                   "independence_level": "1"}).status_code == 404
    assert "Bērziņa77" not in client.get("/community-preparation/residents").text


def test_the_case_file_shows_progress_as_a_table_and_a_chart(app: Flask, web_services: Services) -> None:
    person_id = resident(web_services, 78)
    with transaction(web_services.sessions) as session:
        instance = session.scalars(select(ProcessInstance).where(
            ProcessInstance.person_id == person_id)).one()
        levels = {area.key: 2 for area in service.rules.skill_areas()}
        service.record_assessment(session, instance, date(2026, 1, 10), levels, "", "t", None)
        service.record_assessment(session, instance, date(2026, 7, 10),
                                  dict(levels, transport=4, dressing=1), "", "t", None)
    client = mentor(app, web_services)
    page = client.get(f"/persons/{person_id}")
    assert page.status_code == 200, page.text[:300]
    text = page.text
    assert "self-care-chart" in text and "chart.umd.js" in text and "progress-chart.js" in text
    assert "10.01.2026" in text and "10.07.2026" in text
    assert "+2" in text and "-1" in text  # transport up by two, dressing down by one
