"""The group-home reports page and a report's CSV, through the web app, for whoever may read the
municipality's report and no one else."""
from __future__ import annotations

from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.db import transaction
from app.db.models import ProcessInstance
from app.demo import valid_personal_code
from app.group_homes import service
from app.services import Services
from tests.web.conftest import PASSWORD, app, login, web_services, web_settings
from workers.jobs import run_due_jobs

__all__ = ["app", "web_services", "web_settings"]


def signed_in(app: Flask, services: Services, username: str, groups: list[str],
              organisation: str) -> FlaskClient:
    with transaction(services.sessions) as session:
        create_user(session, username, username, PASSWORD, roles=["caseworker"], groups=groups,
                    organisation_code=organisation)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_the_report_page_and_csv_for_the_municipality_and_the_ministry(
        app: Flask, web_services: Services) -> None:
    with transaction(web_services.sessions) as session:
        social = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        person = register_person(session, social, given_name="Jānis", family_name="Liepa",
                                 personal_code=valid_personal_code(79), municipality_code="RIGA")
        person_id = person.id
    with web_services.sessions() as session:
        iid = start_process_for(web_services.engine, session, social, person_id,
                                service.PLACEMENT_PROCESS, {"case_number": "P5-W-1"})
    with transaction(web_services.sessions) as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        service.place(session, instance, "GM-RIGA-1", date(2030, 1, 11), "t")  # 21 days
    [report_iid] = service.start_monthly_reports(web_services.engine, web_services.sessions,
                                                 "2030-01", ["RIGA"])
    while run_due_jobs(web_services, "w1"):
        pass

    riga = signed_in(app, web_services, "soc", ["social_service"], "RIGA")
    page = riga.get("/group-homes/reports")
    assert page.status_code == 200
    assert "514,50 €" in page.text and "257,25 €" in page.text  # 21 × 24,50 € and half of it
    csv = riga.get(f"/group-homes/reports/{report_iid}.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("group_home_code;group_home_name;person_name")
    assert lines[1].split(";")[2:] == ["Jānis Liepa", valid_personal_code(79), "2030-01-11",
                                       "2030-01-31", "21", "24,50", "514,50", "257,25"]
    assert lines[-1] == "KOPĀ;;;;;;21;;514,50;257,25"

    ministry = signed_in(app, web_services, "ministrija", ["ministry"], "LM")
    assert ministry.get(f"/group-homes/reports/{report_iid}.csv").status_code == 200
    jelgava = signed_in(app, web_services, "jelgava", ["social_service"], "JELGAVA")
    assert jelgava.get(f"/group-homes/reports/{report_iid}.csv").status_code == 404
    assert "514,50" not in jelgava.get("/group-homes/reports").text
    with web_services.sessions() as session:
        assert session.scalars(select(ProcessInstance.status).where(
            ProcessInstance.id == report_iid)).one() == "active"
