"""P6's main user tasks in a real browser: the VSAC staff fill in the self-care assessment (the
second one: the first was made seven months ago, so the reassessment timer has opened the task
again); the mentor adds an entry to the resident's daily-activity log; the case file's panel shows
the two assessments side by side with the change, and the chart drawn on its canvas.

Screenshots go to DICASE_SCREENSHOTS or var/screenshots."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.community_preparation import service
from app.db import transaction
from app.db.models import HumanTask
from app.demo import valid_personal_code
from app.domain.calendar import add_months, today_in_latvia
from app.engine.runtime import Actor
from app.services import Services
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers

from .test_caseworker_flow import (  # noqa: F401
    ARGS,
    CHROMIUM,
    PASSWORD,
    SCREENSHOTS,
    open_tab,
    served,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")

ASSESS = "Novērtēt pašaprūpes spējas"
FIRST = {"personal_hygiene": 3, "dressing": 4, "eating_and_cooking": 1, "housekeeping": 2,
         "money_management": 1, "medication": 2, "transport": 1, "communication": 3,
         "social_contacts": 2, "daily_routine": 2}
SECOND = dict(FIRST, eating_and_cooking=3, transport=2, dressing=3)


def _settle(services: Services) -> None:
    while run_due_jobs(services, "w1") or fire_due_timers(services, "w1"):
        pass


def _open_elements(services: Services, iid: int) -> list[str]:
    with services.sessions() as session:
        return list(session.scalars(select(HumanTask.element_id).where(
            HumanTask.instance_id == iid, HumanTask.status == "open").order_by(HumanTask.id)))



def test_staff_assess_the_mentor_logs_and_the_case_file_shows_the_progress(
        served: str, web_services: Services, app: Flask,  # noqa: F811
        simulators: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    with transaction(web_services.sessions) as session:
        create_user(session, "iestade", "Ilze Bērziņa", PASSWORD, ["caseworker"], ["institution"],
                    "VSAC-RIGA")
        create_user(session, "mentors", "Agnese Siliņa", PASSWORD, ["caseworker"],
                    ["institution", "vsac_mentor"], "VSAC-RIGA")
        staff = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        person_id = register_person(session, staff, given_name="Inese", family_name="Kalniņa",
                                    personal_code=valid_personal_code(272),
                                    municipality_code="RIGA", institution_code="VSAC-RIGA").id
    with web_services.sessions() as session:
        staff = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        iid = start_process_for(web_services.engine, session, staff, person_id,
                                service.PROCESS_KEY, {}, business_key="P6-B-0272")
    # The first assessment, seven months ago, the way the end-to-end test makes it: the next
    # one is already due, so the reassessment timer opens the assessment task again.
    earlier = add_months(today_in_latvia(), -7)
    with web_services.sessions() as session:
        first = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid)).one()
    web_services.engine.complete_task(first.id, Actor("iestade", frozenset({"institution"})),
                                      dict(FIRST, assessment_date=earlier.isoformat()))
    _settle(web_services)
    assert _open_elements(web_services, iid) == ["assess_self_care"]

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})

        # The staff member fills in the assessment.
        sign_in(page, served, "iestade")
        expect(page.locator(".tab-current")).to_contain_text("Manām grupām")
        page.get_by_role("button", name="Uzņemties").click()
        expect(page.locator(".flashes")).to_contain_text("Jūs uzņēmāties uzdevumu")
        open_tab(page, "Piešķirti man")
        expect(page).to_have_url(re.compile("inbox"))
        page.get_by_role("link", name=ASSESS).click()
        expect(page.locator("h1")).to_contain_text(ASSESS)
        expect(page.locator(".form-title")).to_contain_text("Pašaprūpes spēju novērtējums")
        page.fill("input[name=assessment_date]", today_in_latvia().isoformat())
        for area, level in SECOND.items():
            _choose(page, area, str(level))
        page.fill("textarea[name=notes]", "Gatavo brokastis pati; brauc ar tramvaju ar pavadoni.")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{ASSESS}” ir izpildīts")
        _settle(web_services)  # the assessment is stored; the next one is planned
        assert _open_elements(web_services, iid) == ["hand_over"]
        with web_services.sessions() as session:
            stored = service.assessments_of(session, [iid])
        assert [a.assessed_on for a in stored] == [earlier, today_in_latvia()]
        sign_out(page)

        # The mentor adds a log entry.
        sign_in(page, served, "mentors")
        page.goto(f"{served}/community-preparation/residents")
        row = page.locator("tr", has_text="Inese Kalniņa")
        row.get_by_role("link", name="Ikdienas aktivitāšu žurnāls").click()
        expect(page.locator("h1")).to_contain_text("Ikdienas aktivitāšu žurnāls: Inese Kalniņa")
        expect(page.locator("main")).to_contain_text("Ierakstu vēl nav")
        page.fill("input[name=activity]", "Iepirkšanās veikalā ar sarakstu")
        page.fill("input[name=duration_minutes]", "45")
        page.select_option("select[name=independence_level]", "3")
        page.fill("textarea[name=notes]", "Samaksāja pati, atlikumu pārbaudīja.")
        page.get_by_role("button", name="Pievienot ierakstu").click()
        expect(page.locator(".flashes")).to_contain_text("Ieraksts pievienots.")
        entries = page.locator("section[aria-labelledby=log-list-title] tbody tr")
        expect(entries).to_have_count(1)
        expect(entries.first).to_contain_text("Iepirkšanās veikalā ar sarakstu")
        expect(entries.first).to_contain_text("45")
        expect(entries.first).to_contain_text(today_in_latvia().strftime("%d.%m.%Y"))
        page.screenshot(path=str(SCREENSHOTS / "p06-log.png"), full_page=True)

        # The case file: both assessments, the change, the chart.
        page.goto(f"{served}/persons/{person_id}")
        panel = page.locator("section[aria-labelledby=self-care-progress-title]")
        expect(panel).to_contain_text("Pašaprūpes spējas laika gaitā")
        header = panel.locator("thead")
        expect(header).to_contain_text(earlier.strftime("%d.%m.%Y"))
        expect(header).to_contain_text(today_in_latvia().strftime("%d.%m.%Y"))
        expect(header).to_contain_text("Izmaiņas kopš pirmā")
        cooking = panel.locator("tbody tr", has_text="Ēšana un ēdiena gatavošana")
        expect(cooking.locator("td")).to_have_text(["1", "3", "+2", "+2"])
        dressing = panel.locator("tbody tr", has_text="Ģērbšanās")
        expect(dressing.locator("td")).to_have_text(["4", "3", "-1", "-1"])
        total = panel.locator("tbody tr", has_text="Kopā")
        expect(total.locator("td").nth(0)).to_have_text(str(sum(FIRST.values())))
        expect(total.locator("td").nth(1)).to_have_text(str(sum(SECOND.values())))
        canvas = panel.locator("canvas#self-care-chart")
        expect(canvas).to_be_visible()
        # Chart.js drew a line per skill area on the canvas.
        page.wait_for_function("() => window.Chart && Chart.getChart('self-care-chart')")
        lines = page.evaluate("() => Chart.getChart('self-care-chart').data.datasets.length")
        assert lines == len(FIRST)
        panel.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "p06-progress.png"), full_page=True)
        browser.close()


def _choose(page: Any, name: str, value: str) -> None:
    """Pick an enum value whether the form shows it as radio buttons or a list."""
    radios = page.locator(f"input[type=radio][name='{name}'][value='{value}']")
    if radios.count():
        radios.check()
    else:
        page.select_option(f"select[name='{name}']", value)
