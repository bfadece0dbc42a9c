"""P7's monthly NSK report in a real browser: the ministry specialist opens the month's report task
from her inbox and returns it with a reason; the municipality's social worker reads the reason,
has the person checked again from the case file and sends the correction; the ministry approves
the corrected version and the payment instruction shows on the report page.

Screenshots go to DICASE_SCREENSHOTS or var/screenshots."""
from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.auth.service import create_user
from app.db import transaction
from app.db.models import HumanTask, NskPayment, NskReport
from app.services import Services
from tests.nsk.world import run_jobs, september

from .test_caseworker_flow import (  # noqa: F401
    ARGS,
    CHROMIUM,
    PASSWORD,
    SCREENSHOTS,
    served,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")

REVIEW = "Apstiprināt pārskatu (ministrija)"
CORRECT = "Labot pakalpojumu datus"
REASON = "Pārbaudiet, vai Nauris Rīdzinieks joprojām atbilst"


def _open_tasks(services: Services, iid: int) -> list[HumanTask]:
    with services.sessions() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "open")))


def _versions(services: Services, iid: int) -> list[tuple[int, str, int]]:
    with services.sessions() as session:
        return [(r.version, r.status, r.total_cents) for r in session.scalars(
            select(NskReport).where(NskReport.instance_id == iid).order_by(NskReport.version))]



def _choose(page: Any, name: str, value: str) -> None:
    """Pick an enum value whether the form shows it as radio buttons or a list."""
    radios = page.locator(f"input[type=radio][name='{name}'][value='{value}']")
    if radios.count():
        radios.check()
    else:
        page.select_option(f"select[name='{name}']", value)


def _open_from_group_tab(page: Any, base_url: str, task_name: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/inbox?tab=group")
    expect(page.locator(".tab-current")).to_contain_text("Manām grupām")
    expect(page.get_by_role("link", name=task_name)).to_have_count(1)
    page.get_by_role("link", name=task_name).click()
    expect(page.locator("h1")).to_contain_text(task_name)


def test_the_ministry_returns_the_nsk_report_and_approves_the_correction(
        served: str, web_services: Services, app: Flask,  # noqa: F811
        simulators: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    world = september(web_services, ("RIGA",))
    iid, person_id = world.reports["RIGA"], world.persons["RIGA"]
    with transaction(web_services.sessions) as session:
        create_user(session, "ministrija", "Māra Liepiņa", PASSWORD, ["caseworker"], ["ministry"],
                    "LM")
        create_user(session, "soc", "Sandra Ozola", PASSWORD, ["caseworker"], ["social_service"],
                    "RIGA")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        sign_in(page, served, "ministrija")
        _open_from_group_tab(page, served, REVIEW)
        expect(page.locator(".form-title")).to_contain_text(
            "NSK kompensācijas pārskata apstiprināšana")
        # Returned without a reason: refused at the field, nothing completes.
        _choose(page, "review_decision", "RETURN")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".error-summary")).to_contain_text("Atgriešanas iemesls")
        assert [t.element_id for t in _open_tasks(web_services, iid)] == ["review_report"]
        page.fill("textarea[name=return_reason]", REASON)
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{REVIEW}” ir izpildīts")
        run_jobs(web_services)  # the version marked returned
        assert _versions(web_services, iid) == [(1, "returned", 8500)]
        page.goto(f"{served}/nsk/reports/{iid}")
        expect(page.locator("#nsk-status")).to_contain_text("atgriezts labošanai")

        # The municipality reads the reason, has the person checked again and confirms.
        sign_out(page)
        sign_in(page, served, "soc")
        page.goto(f"{served}/persons/{person_id}")
        panel = page.locator("section[aria-labelledby=nsk-panel-title]")
        expect(panel).to_contain_text("Nauda seko klientam (NSK)")
        panel.locator("input[name=check_date]").fill("2026-09-28")
        panel.get_by_role("button", name="Pārbaudīt NSK atbilstību").click()
        expect(page.locator(".flashes")).to_contain_text("NSK atbilstības pārbaude ir sākta")
        run_jobs(web_services)
        page.reload()
        expect(page.locator("section[aria-labelledby=nsk-panel-title]")).to_contain_text(
            "28.09.2026")
        _open_from_group_tab(page, served, CORRECT)
        expect(page.locator(".task-notice")).to_contain_text(REASON)
        page.fill("textarea[name=correction_notes]", "Persona pārbaudīta atkārtoti 28.09.2026")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{CORRECT}” ir izpildīts")
        run_jobs(web_services)  # version 2 computed, its PDF made
        assert _versions(web_services, iid) == [(1, "returned", 8500), (2, "submitted", 8500)]

        # The ministry approves the corrected version.
        sign_out(page)
        sign_in(page, served, "ministrija")
        _open_from_group_tab(page, served, REVIEW)
        _choose(page, "review_decision", "APPROVE")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{REVIEW}” ir izpildīts")
        run_jobs(web_services)  # the payment instruction recorded

        page.goto(f"{served}/nsk/reports/{iid}")
        expect(page.locator("#nsk-status")).to_contain_text("apstiprināts")
        payment = page.locator("#nsk-payment")
        expect(payment).to_contain_text("NSK-RIGA-2026-09-V2")
        expect(payment).to_contain_text("85,00 €")
        expect(payment).to_contain_text("ministrija")
        expect(page.locator("section[aria-labelledby=nsk-versions-title]")).to_contain_text(REASON)
        page.screenshot(path=str(SCREENSHOTS / "p07-nsk-report.png"), full_page=True)
        page.get_by_role("link", name="NSK maksājuma uzdevumi").click()
        expect(page).to_have_url(re.compile("/nsk/payments"))
        expect(page.locator("table")).to_contain_text("NSK-RIGA-2026-09-V2")
        browser.close()
    with web_services.sessions() as session:
        [payment_row] = session.scalars(select(NskPayment))
    assert (payment_row.amount_cents, payment_row.approved_by) == (8500, "ministrija")
    assert _open_tasks(web_services, iid) == []
