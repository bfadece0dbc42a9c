"""An auditor in a real browser (Debian's Chromium driven by Playwright): the instance page's
diagram marks what ran, what waits and what failed, clicking an element lists its executions,
the timeline shows who changed which data; and the access log answers "who saw this child's
file".

Screenshots go to ``var/screenshots`` (or the folder named by DICASE_SCREENSHOTS): the ones in
docs/screenshots (instance-diagram.png, timeline.png, access-log.png) were made this way.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app.api.keys import create_key
from app.auth.service import create_user
from app.db import transaction
from app.services import Services
from tests.browser.test_caseworker_flow import ARGS, CHROMIUM, PASSWORD, SCREENSHOTS, served
from tests.history.conftest import run_p9_case
from tests.web.conftest import login

__all__ = ["served"]

pytestmark = pytest.mark.skipif(not CHROMIUM or not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")


@pytest.fixture
def people(web_services: Services) -> Iterator[None]:
    with transaction(web_services.sessions) as session:
        create_user(session, "auditore", "Anna Vītola", PASSWORD, ["auditor"], [], "LM-AUDIT")
        create_user(session, "inese", "Inese Kalniņa", PASSWORD, ["caseworker"],
                    ["institution"], "VSAC-RIGA")
    yield


def test_an_auditor_reads_the_history_and_who_saw_the_childs_file(
        served: str, app: Flask, web_services: Services, npais_simulator: object,
        people: None) -> None:
    from playwright.sync_api import expect, sync_playwright

    case = run_p9_case(web_services, npais_simulator, failing_delivery=True)
    # A caseworker opens the child's file; the municipality's system reads it over the API.
    caseworker = app.test_client()
    login(caseworker, "inese", PASSWORD)
    assert caseworker.get(f"/persons/{case.person_id}").status_code == 200
    with transaction(web_services.sessions) as session:
        key = create_key(session, organisation_code="RIGA", name="riga-social-system",
                         roles=["caseworker"], groups=["social_service"], created_by="test")
    assert app.test_client().get(f"/api/v1/persons/{case.person_id}",
                                 headers={"X-API-Key": key.secret}).status_code == 200

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1360, "height": 900})
        problems: list[str] = []
        # Failed loads are caught below with their address (Chromium's own favicon request,
        # which no page asks for, reports a console error only).
        page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                and not m.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 else None)

        page.goto(f"{served}/login")
        page.fill("input[name=username]", "auditore")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Pieteikties").click()

        # The history: found by case number from the header's link.
        page.get_by_role("link", name="Procesu vēsture").click()
        page.fill("input[name=q]", "P9-2026")
        page.get_by_role("button", name="Meklēt").click()
        page.get_by_role("link", name="P9 Bērna ārpusģimenes aprūpes ilguma kontrole").click()
        expect(page.locator(".history-verdict")).to_contain_text("Vēsture ir neskarta")

        diagram = page.locator("#instance-diagram")
        expect(diagram).to_have_class("history-diagram history-diagram-ready")
        expect(page.locator(".djs-element.hist-completed")).not_to_have_count(0)
        # The second report's delivery to NPAIS failed; the reports themselves were submitted.
        expect(page.locator(".djs-element.hist-completed[data-element-id=submit_periodic_report]"))\
            .to_have_count(1)
        expect(page.locator(".djs-element.hist-failed[data-element-id=deliver_report]"))\
            .to_have_count(1)
        expect(page.locator(".hist-count").first).to_be_visible()
        # Clicking the compute step lists both of its runs.
        page.locator(".djs-element[data-element-id=compute_report_due]").first.click()
        panel = page.locator("#element-panel")
        expect(panel).to_be_visible()
        expect(panel.locator("h3")).to_have_text("Aprēķināt nākamā ziņojuma termiņu")
        expect(panel.locator("tbody tr")).to_have_count(2)
        page.locator(".history-diagram-card").screenshot(
            path=str(SCREENSHOTS / "instance-diagram.png"))

        timeline = page.locator(".history-timeline")
        expect(timeline).to_contain_text("Ievietošanas datums")
        expect(timeline).to_contain_text("Mēģinājumi beigušies")
        # The timeline from its heading to the first report, in page coordinates.
        top, bottom = page.evaluate("""() => {
            const y = (el) => el.getBoundingClientRect().top + window.scrollY;
            const report = document.querySelectorAll('.history-event.kind-task_completed')[1];
            return [y(document.getElementById('timeline-title')) - 24,
                    y(report) + report.getBoundingClientRect().height + 16];
        }""")
        page.screenshot(path=str(SCREENSHOTS / "timeline.png"), full_page=True,
                        clip={"x": 0, "y": top, "width": 1360, "height": bottom - top})

        # The access log: who saw this child's file, found by the child's name.
        page.get_by_role("link", name="Piekļuves žurnāls").click()
        page.fill("input[name=q]", "Bērns")
        page.get_by_role("button", name="Atrast personu").click()
        page.get_by_role("link", name="Bērns P9-2026-0001").click()
        results = page.locator(".access-table")
        expect(results).to_contain_text("Inese Kalniņa")
        expect(results).to_contain_text(f"/persons/{case.person_id}")
        expect(results.locator(".badge-api")).to_have_count(1)
        expect(results).to_contain_text("api:riga-social-system")
        page.screenshot(path=str(SCREENSHOTS / "access-log.png"), full_page=True)
        browser.close()
    assert not problems, problems
