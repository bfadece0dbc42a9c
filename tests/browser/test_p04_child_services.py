"""P4's main user task in a real browser: the social service registers an application for a
child; three services for the legal representatives are refused by the form before the task
completes, two are accepted and the decision task follows. A screenshot of the form with the
refusal goes to DICASE_SCREENSHOTS or var/screenshots."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person
from app.community_services.service import start_child_services
from app.db import transaction
from app.db.models import HumanTask
from app.demo import valid_personal_code
from app.domain.calendar import add_months, today_in_latvia
from app.services import Services

from .test_caseworker_flow import ARGS, CHROMIUM, PASSWORD, SCREENSHOTS, served  # noqa: F401

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")


def test_the_social_service_registers_an_application_for_a_child(served: str,  # noqa: F811
                                                                 web_services: Services,
                                                                 app: Flask) -> None:
    from playwright.sync_api import expect, sync_playwright

    with transaction(web_services.sessions) as session:
        create_user(session, "soc", "Sandra Ozola", PASSWORD, ["caseworker"], ["social_service"], "RIGA")
        worker = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        person_id = register_person(session, worker, given_name="Paula", family_name="Ozola",
                                    personal_code=valid_personal_code(55),
                                    birth_date=add_months(today_in_latvia(), -30),
                                    municipality_code="RIGA").id
    with web_services.sessions() as session:
        worker = viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")
        iid = start_child_services(web_services.engine, session, worker, person_id, "P4-B-0001")
    with web_services.sessions() as session:
        task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == iid)).one()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 1000})
        page.goto(f"{served}/login")
        page.fill("input[name=username]", "soc")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Pieteikties").click()
        page.goto(f"{served}/tasks/{task_id}")
        expect(page.locator("h1")).to_contain_text("Reģistrēt iesniegumu")
        page.fill("input[name=application_date]", today_in_latvia().isoformat())
        page.fill("input[name=service_start_date]", (today_in_latvia() + timedelta(days=14)).isoformat())
        page.check("input[name=respite_service]")
        page.fill("input[name=respite_days]", "10")
        page.check("input[name=child_rehabilitation][value=SPEECH_THERAPIST]")
        for value in ("PSYCHOLOGIST", "PHYSIOTHERAPY", "REHABILITOLOGIST"):
            page.check(f"input[name=representative_rehabilitation][value={value}]")
        page.get_by_role("button", name="Iesniegt").click()
        # Refused before the task completes: the page comes back with the message at the field.
        expect(page.locator("h1")).to_contain_text("Reģistrēt iesniegumu")
        expect(page.locator("text=Izvēlieties ne vairāk kā 2 iespējas.").first).to_be_visible()
        expect(page.locator("input[name=representative_rehabilitation][value=REHABILITOLOGIST]")).to_be_checked()
        page.screenshot(path=str(SCREENSHOTS / "p04-application-refused.png"), full_page=True)
        page.uncheck("input[name=representative_rehabilitation][value=REHABILITOLOGIST]")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text("ir izpildīts")
        browser.close()
    with web_services.sessions() as session:
        open_now = session.scalars(select(HumanTask.element_id).where(
            HumanTask.instance_id == iid, HumanTask.status == "open")).all()
    assert open_now == ["decide_application"]
