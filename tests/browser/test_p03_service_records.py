"""P3's main page in a real browser: the social service adds a record, submits the month, reads
the error report with the rule's Latvian message, corrects the record, and the month is accepted.
Screenshots of the error report go to DICASE_SCREENSHOTS or var/screenshots."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.access.scope import viewer_of
from app.assessment.plans import store_plan_version
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.community_services.service import P3_KEY, month_period
from app.db import transaction
from app.db.models import HumanTask, ProcessInstance
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.services import Services
from tests.engine.helpers import one_task_process
from workers.jobs import run_due_jobs

from .test_caseworker_flow import ARGS, CHROMIUM, PASSWORD, SCREENSHOTS, served  # noqa: F401

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")
PLAN_HOLDER = "p01_test_plan_holder"


def open_task(services: Services, element: str) -> HumanTask:
    with services.sessions() as session:
        return session.scalars(select(HumanTask).where(HumanTask.element_id == element,
                                                       HumanTask.status == "open")).one()


def test_the_social_service_submits_and_corrects_a_month(served: str,  # noqa: F811
                                                         web_services: Services, app: Flask) -> None:
    from playwright.sync_api import expect, sync_playwright

    period_from, _period_to = month_period(today_in_latvia())
    code = valid_personal_code(58)
    with transaction(web_services.sessions) as session:
        deploy_source(session, "plan_holder.bpmn",
                      one_task_process(PLAN_HOLDER, groups="planning_region_expert"), "test")
        create_user(session, "soc", "Sandra Ozola", PASSWORD, ["caseworker"], ["social_service"], "RIGA")
        worker = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        person_id = register_person(session, worker, given_name="Jānis", family_name="Ozols",
                                    personal_code=code, birth_date=date(1970, 1, 1),
                                    municipality_code="RIGA").id
    with web_services.sessions() as session:
        iid = start_process_for(web_services.engine, session, worker, person_id, PLAN_HOLDER, {})
    with transaction(web_services.sessions) as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        store_plan_version(session, instance, source="assessment", plan={
            "goals": ["Patstāvīga dzīve"],
            "services": [{"service_type": "HOME_CARE", "hours_per_week": 5, "frequency": None}],
            "valid_from": (period_from - timedelta(days=10)).isoformat(), "valid_to": None})

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    month = f"{period_from:%Y-%m}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 1000})
        page.goto(f"{served}/login")
        page.fill("input[name=username]", "soc")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Pieteikties").click()
        page.goto(f"{served}/service-records?month={month}")
        page.get_by_role("button", name="Atvērt šī mēneša datu iesniegšanu").click()
        expect(page.locator(".flashes")).to_contain_text("uzdevumu sarakstā")
        form = page.locator("#add-record")
        form.locator("input[name=personal_code]").fill(code)
        form.locator("select[name=service_type]").select_option("HOME_CARE")
        form.locator("select[name=provider_code]").select_option("SP-RIGA-APRUPE")
        form.locator("input[name=volume]").fill("200")
        form.locator("input[name=cost_eur]").fill("1 600,00")  # euro, as people write it
        form.get_by_role("button", name="Pievienot ierakstu").click()
        expect(page.locator("#service-records tbody tr")).to_have_count(1)
        expect(page.locator("#service-records tbody tr")).to_contain_text("200 st.")
        expect(page.locator("#service-records tbody tr")).to_contain_text("1 600,00 €")

        web_services.engine.complete_task(open_task(web_services, "submit_records").id,
                                          Actor("soc", frozenset({"social_service"})),
                                          {"source": "PORTAL", "records_complete": True})
        assert run_due_jobs(web_services, "w1") == 1

        page.goto(f"{served}/service-records/errors?month={month}")
        expect(page.locator("li[data-rule=volume_plausible]")).to_contain_text("stundas nedēļā ir vairāk nekā 5")
        page.screenshot(path=str(SCREENSHOTS / "p03-error-report.png"), full_page=True)
        page.get_by_role("link", name="Labot").click()
        page.locator("input[name=volume]").fill("20")
        page.get_by_role("button", name="Iesniegt labojumu").click()
        expect(page.locator(".flashes")).to_contain_text("Labotais ieraksts saņemts")
        browser.close()

    web_services.engine.complete_task(open_task(web_services, "correct_records").id,
                                      Actor("soc", frozenset({"social_service"})),
                                      {"corrections_done": True})
    assert run_due_jobs(web_services, "w1") == 1
    with web_services.sessions() as session:
        assert session.scalars(select(ProcessInstance.status).where(
            ProcessInstance.process_key == P3_KEY)).one() == "completed"
