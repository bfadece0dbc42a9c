"""P9 in a real browser (Debian's Chromium driven by Playwright): the institution's caseworker
registers a child placed in its care from the start screen, opens the first periodic report from
her inbox and submits it; the workers deliver it to the orphan court (NPAIS) and the social
service (SOPA) simulators, and the child's case file shows the report with both receipts and the
next report's due date.

Screenshots go to DICASE_SCREENSHOTS or var/screenshots."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from app.auth.service import create_user
from app.db import transaction
from app.db.models import PeriodicReportDelivery, Person, ProcessInstance
from app.domain.calendar import add_months, today_in_latvia
from app.services import Services
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers

from .test_caseworker_flow import ARGS, CHROMIUM, PASSWORD, SCREENSHOTS, served  # noqa: F401

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")

REPORT = "Iesniegt periodisko ziņojumu"
TEXT = "Regulāra saskarsme; vecāki apmeklē reizi nedēļā."


def _settle(services: Services) -> None:
    while run_due_jobs(services, "w1") or fire_due_timers(services, "w1"):
        pass


def _received(simulator: Any, path: str) -> list[dict[str, Any]]:
    answer = requests.get(f"{simulator.url}/_control/{path}", timeout=5)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()
    return found


def test_the_institution_places_a_child_reports_and_sees_both_receipts(
        served: str, web_services: Services,  # noqa: F811
        simulators: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    with transaction(web_services.sessions) as session:
        create_user(session, "inese", "Inese Kalniņa", PASSWORD, ["caseworker"], ["institution"],
                    "VSAC-RIGA")
    today = today_in_latvia()
    born = today - timedelta(days=700)  # under three: a report every three months
    placed = add_months(today, -1)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 500 else None)

        page.goto(f"{served}/login")
        page.fill("input[name=username]", "inese")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Pieteikties").click()
        expect(page.locator("h1")).to_contain_text("Mani uzdevumi")

        # The start screen, from the menu: a new child, placed a month ago by the Riga court.
        page.get_by_role("link", name="Bērns ievietots aprūpē").click()
        expect(page.locator("h1")).to_contain_text("Bērns ievietots aprūpē")
        page.fill("#field-given_name", "Marta")
        page.fill("#field-family_name", "Kalniņa")
        page.fill("#field-birth_date", born.isoformat())
        page.select_option("#field-municipality_code", "RIGA")
        page.fill("#field-placement_date", placed.isoformat())
        page.select_option("#field-orphan_court_code", "RIGA-BT")
        page.fill("#field-decision_reference", "BT-2026-41")
        page.screenshot(path=str(SCREENSHOTS / "p09-start.png"), full_page=True)
        page.get_by_role("button", name="Reģistrēt ievietošanu").click()
        expect(page.locator(".flashes")).to_contain_text("Ievietošana reģistrēta")
        section = page.locator("section[aria-labelledby=out-of-family-care-title]")
        first_due = add_months(placed, 3).strftime("%d.%m.%Y")
        expect(section).to_contain_text(first_due)
        expect(section).to_contain_text("Periodisku ziņojumu vēl nav.")
        with web_services.sessions() as session:
            [child] = session.scalars(select(Person).where(Person.given_name == "Marta")).all()
            [case] = session.scalars(select(ProcessInstance).where(
                ProcessInstance.person_id == child.id)).all()
        _settle(web_services)  # nothing is due yet: no reminder, no notice

        # The report task, from the inbox (its list is swapped in by htmx: wait for the tab).
        page.goto(f"{served}/inbox")
        expect(page.locator(".tab-current")).to_contain_text("Manām grupām")
        page.get_by_role("link", name=REPORT).click()
        expect(page.locator("h1")).to_contain_text(REPORT)
        page.fill("input[name=report_date]", today.isoformat())
        for field in ("contact_with_parents", "contact_with_siblings", "contact_with_others",
                      "cooperation", "physical_development", "psychosocial_development"):
            page.fill(f"textarea[name={field}]", TEXT)
        page.screenshot(path=str(SCREENSHOTS / "p09-report.png"), full_page=True)
        page.get_by_role("button", name="Iesniegt", exact=True).click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{REPORT}” ir izpildīts")

        _settle(web_services)  # delivered to NPAIS, then SOPA, both receipts kept
        [to_court] = [r for r in _received(simulators["npais"], "received")
                      if r.get("operation") == "DeliverPeriodicReport"]
        [to_social] = _received(simulators["sopa"], "received/reports")
        assert to_social["case_reference"] == case.business_key
        with web_services.sessions() as session:
            [delivered] = session.scalars(select(PeriodicReportDelivery)).all()
        assert (delivered.npais_report_id, delivered.sopa_reference) == (
            to_court["id"], to_social["sopa_reference"])

        # The child's case file: the report with both receipts, the next one three months on.
        page.goto(f"{served}/persons/{child.id}")
        expect(page.locator("h1")).to_contain_text("Marta Kalniņa")
        receipts = section.locator("tbody tr")
        expect(receipts).to_have_count(1)
        expect(receipts).to_contain_text(today.strftime("%d.%m.%Y"))
        expect(receipts).to_contain_text(first_due)
        expect(receipts.locator("code")).to_have_text([delivered.npais_report_id,
                                                       delivered.sopa_reference])
        expect(section).to_contain_text("Rīgas bāriņtiesa")
        expect(section).to_contain_text("BT-2026-41")
        expect(section.locator(".facts")).to_contain_text(
            add_months(today, 3).strftime("%d.%m.%Y"))
        section.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "p09-case-file.png"), full_page=True)
        browser.close()
    assert not problems, problems
