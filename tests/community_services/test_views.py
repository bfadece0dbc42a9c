"""The service-record pages: a municipality uploads a CSV, adds a record, submits the month,
reads its error report (page and CSV), corrects and withdraws; another municipality sees none of
it, the planning region and the ministry read it; the case file shows the accepted records."""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.access.scope import viewer_of
from app.assessment.plans import store_plan_version
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.community_services.service import P3_KEY, P4_KEY, month_period, start_child_services
from app.config import PROJECT_ROOT, Settings
from app.db import transaction
from app.db.models import HumanTask, ProcessInstance, ServiceRecord
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.services import Services, build_services
from tests.engine.helpers import one_task_process
from tests.web.conftest import PASSWORD, csrf_of, login
from workers.jobs import run_due_jobs

PLAN_HOLDER = "p01_test_plan_holder"
PERIOD_FROM, PERIOD_TO = month_period(today_in_latvia())


@pytest.fixture
def cs_services(database_url: str) -> Iterator[Services]:
    settings = Settings(database_url=database_url, forms_dir=PROJECT_ROOT / "forms",
                        processes_dir=PROJECT_ROOT / "processes", secret_key="service-record-tests",
                        start_simulators=False, in_process_workers=False)
    services = build_services(settings)
    with transaction(services.sessions) as session:
        for key in (P3_KEY, P4_KEY):
            path = PROJECT_ROOT / "processes" / f"{key}.bpmn"
            deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
        deploy_source(session, "plan_holder.bpmn",
                      one_task_process(PLAN_HOLDER, groups="planning_region_expert"), "test")
    yield services
    services.db.dispose()


@pytest.fixture
def app(cs_services: Services) -> Flask:
    app = create_app(services=cs_services)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client_of(app: Flask, cs_services: Services) -> Callable[..., FlaskClient]:
    def make(username: str, organisation: str, groups: tuple[str, ...],
             roles: tuple[str, ...] = ("caseworker",)) -> FlaskClient:
        with transaction(cs_services.sessions) as session:
            create_user(session, username, username.capitalize(), PASSWORD, roles=list(roles),
                        groups=list(groups), organisation_code=organisation, locale="lv")
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client

    return make


def person_with_plan(services: Services, seed: int) -> tuple[int, str]:
    code = valid_personal_code(seed)
    with transaction(services.sessions) as session:
        viewer = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        person_id = register_person(session, viewer, given_name="Inese", family_name="Ozola",
                                    personal_code=code, birth_date=date(1975, 3, 3),
                                    municipality_code="RIGA").id
    with services.sessions() as session:
        viewer = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        iid = start_process_for(services.engine, session, viewer, person_id, PLAN_HOLDER, {})
    with transaction(services.sessions) as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        store_plan_version(session, instance, source="assessment", plan={
            "goals": ["Patstāvīga dzīve"],
            "services": [{"service_type": "DAY_CENTRE", "hours_per_week": 20, "frequency": "daily"}],
            "valid_from": (PERIOD_FROM - timedelta(days=30)).isoformat(), "valid_to": None})
    return person_id, code


def form_post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={"csrf_token": csrf_of(client), **data},
                       content_type="multipart/form-data")


def test_a_month_submitted_through_the_pages(client_of: Callable[..., FlaskClient],
                                             cs_services: Services) -> None:
    person_id, code = person_with_plan(cs_services, 57)
    soc = client_of("soc", "RIGA", ("social_service",))
    month = f"{PERIOD_FROM:%Y-%m}"
    assert form_post(soc, "/service-records/cycle", {"month": month}).status_code == 302
    csv_text = ("personal_code;service_type;provider_code;period_from;period_to;volume;unit;cost_cents\n"
                f"{code};DAY_CENTRE;SP-ATBALSTS;{PERIOD_FROM};{PERIOD_TO};10;DAYS;15000\n"
                f"{code};WORKSHOP;SP-ATBALSTS;{PERIOD_FROM};{PERIOD_TO};4;DAYS;8000\n")
    uploaded = form_post(soc, "/service-records/upload", {
        "month": month, "file": (io.BytesIO(csv_text.encode("utf-8")), "records.csv")})
    assert uploaded.status_code == 302
    added = form_post(soc, "/service-records/add", {
        "month": month, "personal_code": valid_personal_code(78), "service_type": "HOME_CARE",
        "provider_code": "SP-RIGA-APRUPE", "period_from": PERIOD_FROM.isoformat(),
        "period_to": PERIOD_TO.isoformat(), "volume": "5", "unit": "HOURS", "cost_eur": "40,50"})
    assert added.status_code == 302
    page = soc.get(f"/service-records?month={month}")
    assert page.status_code == 200 and page.text.count("data-record=") == 3
    assert "150,00 €" in page.text
    assert "40,50 €" in page.text and "5 st." in page.text  # typed as euro, shown with its unit

    with cs_services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.status == "open",
                                                         HumanTask.element_id == "submit_records"))
    # The month is submitted through the task's own form page.
    form_page = soc.get(f"/tasks/{task.id}")
    assert form_page.status_code == 200 and 'name="records_complete"' in form_page.text
    assert soc.post(f"/tasks/{task.id}/claim", data={"csrf_token": csrf_of(soc)}).status_code == 302
    submitted = soc.post(f"/tasks/{task.id}", data={"csrf_token": csrf_of(soc), "action": "complete",
                                                   "source": "PORTAL", "records_complete": "on"})
    assert submitted.status_code == 302, submitted.text
    assert run_due_jobs(cs_services, "w1") == 1

    report = soc.get(f"/service-records/errors?month={month}")
    assert report.status_code == 200
    assert 'data-rule="plan_includes_service"' in report.text and 'data-rule="known_person"' in report.text
    exported = soc.get(f"/service-records/errors.csv?month={month}")
    assert exported.status_code == 200 and "Personai" not in exported.text.split("\n")[0]
    assert "Persona ar šo personas kodu sistēmā nav zināma." in exported.text

    with cs_services.sessions() as session:
        workshop, unknown = session.scalars(select(ServiceRecord).where(
            ServiceRecord.status == "rejected").order_by(ServiceRecord.id))
    assert soc.get(f"/service-records/{workshop.id}/correct").status_code == 200
    corrected = form_post(soc, f"/service-records/{workshop.id}/correct", {
        "action": "correct", "personal_code": code, "service_type": "DAY_CENTRE",
        "provider_code": "SP-RIGA-DARBNICA", "period_from": PERIOD_FROM.isoformat(),
        "period_to": PERIOD_TO.isoformat(), "volume": "4", "unit": "DAYS", "cost_cents": "8000"})
    assert corrected.status_code == 302
    assert form_post(soc, f"/service-records/{unknown.id}/correct",
                     {"action": "withdraw"}).status_code == 302
    with cs_services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.status == "open",
                                                         HumanTask.element_id == "correct_records"))
    cs_services.engine.complete_task(task.id, Actor("soc", frozenset({"social_service"})),
                                     {"corrections_done": True})
    assert run_due_jobs(cs_services, "w1") == 1
    with cs_services.sessions() as session:
        assert session.scalars(select(ProcessInstance.status).where(
            ProcessInstance.process_key == P3_KEY)).one() == "completed"

    # The case file shows the accepted records and their total.
    case = soc.get(f"/persons/{person_id}")
    assert 'data-panel="community-services"' in case.text and "230,00 €" in case.text

    jelgava = client_of("jelgava", "JELGAVA", ("social_service",))
    assert jelgava.get(f"/service-records?month={month}").text.count("data-record=") == 0
    assert jelgava.get(f"/service-records/{workshop.id}/correct").status_code == 404
    region = client_of("regions", "PR-RIGA", ("planning_region_expert",))
    assert region.get(f"/service-records?month={month}").text.count("data-record=") == 4
    assert form_post(region, "/service-records/add", {"month": month}).status_code == 404
    ministry = client_of("ministrija", "LM", ("ministry",), ("supervisor",))
    assert ministry.get(f"/service-records?month={month}").text.count("data-record=") == 4


def test_the_correction_form_opens_with_the_reason_the_rules_refused(
        client_of: Callable[..., FlaskClient], cs_services: Services) -> None:
    with transaction(cs_services.sessions) as session:
        viewer = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        child_id = register_person(session, viewer, given_name="Paula", family_name="Ozola",
                                   personal_code=valid_personal_code(59),
                                   birth_date=today_in_latvia() - timedelta(days=900),
                                   municipality_code="RIGA").id
    with cs_services.sessions() as session:
        viewer = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        iid = start_child_services(cs_services.engine, session, viewer, child_id, "P4-W-0001")
    with cs_services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid))
    # Past the form (as an API client could): the server's rules refuse the third service.
    cs_services.engine.complete_task(task.id, Actor("soc", frozenset({"social_service"})), {
        "application_date": today_in_latvia().isoformat(),
        "service_start_date": (today_in_latvia() + timedelta(days=10)).isoformat(),
        "care_service": False, "respite_service": False,
        "representative_rehabilitation": ["PSYCHOLOGIST", "PHYSIOTHERAPY", "REHABILITOLOGIST"]})
    with cs_services.sessions() as session:
        [correct] = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                            HumanTask.status == "open"))
    assert correct.element_id == "correct_application"
    soc = client_of("soc", "RIGA", ("social_service",))
    page = soc.get(f"/tasks/{correct.id}")
    assert page.status_code == 200
    assert "Likumiskie pārstāvji var izvēlēties ne vairāk kā 2 pakalpojumus; izvēlēti 3." in page.text
