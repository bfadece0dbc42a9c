"""Reports in a real browser: the ministry's analyst opens the catalogue from the menu, a
dashboard whose table and chart arrive after the page (htmx, a spinner meanwhile), picks a
period, follows a figure to the records behind it and on to a case file, and reads the same
dashboard in English; a municipality's caseworker sees only her municipality to choose.

Screenshots go to DICASE_SCREENSHOTS or var/screenshots (docs/screenshots/reports-*.png)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.auth.service import create_user
from app.db import transaction
from app.services import Services
from tests.reports.test_views import DeployedWorld
from tests.web.conftest import app, web_services, web_settings

from .test_caseworker_flow import ARGS, CHROMIUM, PASSWORD, SCREENSHOTS, served, sign_in, sign_out

__all__ = ["app", "served", "web_services", "web_settings"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")
P1 = "p01_adult_needs_assessment"

# (municipality, started, deadline, completed or None): interviews, IAP drafts and approvals of
# February 2025 across four regions; the open ones are long past their deadline (overdue).
TASKS = {
    "interview": [("RIGA", "02-03", "03-05", "03-01"), ("RIGA", "02-05", "03-07", "03-04"),
                  ("JURMALA", "02-10", "03-10", None), ("JELGAVA", "02-12", "03-14", "03-15"),
                  ("JELGAVA", "02-14", "03-16", "03-10"), ("LIEPAJA", "02-17", "03-19", "03-25"),
                  ("VALMIERA", "02-18", "03-20", "03-18"), ("CESIS", "02-19", "03-21", None)],
    "draft_iap": [("RIGA", "02-04", "02-18", "02-17"), ("JELGAVA", "02-06", "02-20", "02-27"),
                  ("LIEPAJA", "02-11", "02-25", "02-24"), ("VALMIERA", "02-20", "03-06", None)],
    "approve_iap": [("RIGA", "02-07", "02-14", "02-12"), ("LIEPAJA", "02-21", "02-28", "02-26")],
}


def build(services: Services) -> None:
    with services.sessions() as session:
        world = DeployedWorld(session)
        for step, tasks in TASKS.items():
            for n, (municipality, started, due, done) in enumerate(tasks, start=1):
                instance = world.instance(P1, world.person(municipality),
                                          case_number=f"P1-2025-{step[:2].upper()}{n:02d}-"
                                                      f"{municipality}")
                world.task(instance, step, created=f"2025-{started}", due=f"2025-{due}",
                           completed=f"2025-{done}" if done else None,
                           by="eksperts" if done else None)
        session.commit()
    with transaction(services.sessions) as session:
        create_user(session, "analitike", "Ilze Analītiķe", PASSWORD, ["caseworker"],
                    ["statistics"], "LM")
        create_user(session, "rigas-soc", "Marta Rīdziniece", PASSWORD, ["caseworker"],
                    ["social_worker"], "RIGA")


def test_the_ministry_reads_a_dashboard_and_the_records_behind_a_figure(
        served: str, web_services: Services) -> None:
    from playwright.sync_api import expect, sync_playwright

    build(web_services)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        sign_in(page, served, "analitike")
        page.get_by_role("navigation", name="Galvenā izvēlne").get_by_role(
            "link", name="Pārskati", exact=True).click()
        expect(page.locator("h1")).to_have_text("Pārskati")
        expect(page.get_by_role("heading", name="Novērtēšana un IAP")).to_be_visible()
        expect(page.get_by_role("heading", name="Adopcija")).to_have_count(0)
        page.screenshot(path=str(SCREENSHOTS / "reports-catalogue.png"), full_page=True)

        page.get_by_role("link", name="Novērtēšanas un IAP uzdevumi pēc termiņa").click()
        expect(page.locator("h1")).to_have_text("Novērtēšanas un IAP uzdevumi pēc termiņa")
        page.select_option("#report-period", "2025-02")
        page.get_by_role("button", name="Rādīt").click()
        # The figures arrive after the page; the spinner gives way to the table and chart.
        table = page.locator("#report-table")
        expect(table).to_be_visible()
        expect(page.locator(".report-loading")).to_have_count(0)
        expect(page.locator("canvas.report-chart")).to_have_attribute("data-drawn", "true")
        total = table.locator("tr.total-row")
        expect(total).to_contain_text("Kopā")
        expect(total.locator("td.num").first).to_have_text("14")
        zemgale_late = table.locator("tr", has_text="Zemgales plānošanas reģions").filter(
            has_text="Intervija").filter(has_text="Izpildīts ar kavējumu")
        expect(zemgale_late.locator("td.num").first).to_have_text("1")
        page.screenshot(path=str(SCREENSHOTS / "reports-dashboard.png"), full_page=True)

        # Vidzeme's overdue interview: the figure opens the list of its records.
        overdue = table.locator("tr", has_text="Vidzemes plānošanas reģions").filter(
            has_text="Intervija").filter(has_text="Nokavēts")
        overdue.locator("td.num a").first.click()
        expect(page.locator("h1")).to_have_text("Ieraksti, ko skaita skaitlis")
        expect(page.locator("#records-table tbody tr")).to_have_count(1)
        expect(page.locator("#records-table")).to_contain_text("P1-2025-IN08-CESIS")
        expect(page.locator("#records-figure")).to_contain_text("Vidzemes plānošanas reģions")
        page.screenshot(path=str(SCREENSHOTS / "reports-drilldown.png"), full_page=True)
        page.get_by_role("link", name="Atvērt lietu").click()
        expect(page).to_have_url(re.compile(r"/persons/\d+$"))

        # The same dashboard in English, the period kept.
        page.go_back()
        page.get_by_role("link", name="← Novērtēšanas un IAP uzdevumi pēc termiņa").click()
        page.get_by_role("link", name="English").click()
        expect(page.locator("h1")).to_have_text("Assessment and IAP tasks against their deadlines")
        expect(page.locator("#report-period")).to_have_value("2025-02")
        expect(page.locator("#report-table tr.total-row")).to_contain_text("Total")
        page.get_by_role("link", name="Latviešu").click()
        assert not [e for e in errors if "Content Security Policy" in e], errors

        # A municipality chooses only itself and counts only its own clients.
        sign_out(page)
        sign_in(page, served, "rigas-soc")
        page.goto(f"{served}/reports/assessment_tasks?period=2025-02")
        options = page.locator("#report-territory option")
        expect(options).to_have_count(2)  # everything available to her, and Riga
        expect(options.nth(1)).to_have_text("Rīgas valstspilsēta")
        expect(page.locator("#report-table tr.total-row td.num").first).to_have_text("4")
        browser.close()
