"""P8 in a real browser: the VSAC caseworker registers a resident's admission from the case file;
the workers notify SAIS and fetch the month's payments from its simulator; she opens the
confirmation task from her inbox and corrects the amount kept for personal expenses, giving the
reason; the workers store the month and print the statement, and the case file shows both.

Screenshots go to DICASE_SCREENSHOTS or var/screenshots."""
from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from app.auth.service import create_user
from app.db import transaction
from app.db.models import CaseDocument, HumanTask, ProcessInstance
from app.db.models.co_payments import CoPaymentMonth
from app.domain.calendar import format_lv
from app.domain.co_payment import period_bounds
from app.services import Services
from tests.co_payment.conftest import admission_day, put_payments, resident
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers

from .test_caseworker_flow import (  # noqa: F401
    ARGS,
    CHROMIUM,
    PASSWORD,
    SCREENSHOTS,
    served,
    sign_in,
)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")

CONFIRM = "Apstiprināt vai labot aprēķinu"
SEED = 76
PAID = 41234  # 412,34 €: 15 % is 61,851 €, kept at least 61,86 €


def _settle(services: Services) -> None:
    while run_due_jobs(services, "w1") or fire_due_timers(services, "w1"):
        pass



def _choose(page: Any, name: str, value: str) -> None:
    """Pick an enum value whether the form shows it as radio buttons or a list."""
    radios = page.locator(f"input[type=radio][name='{name}'][value='{value}']")
    if radios.count():
        radios.check()
    else:
        page.select_option(f"select[name='{name}']", value)


def test_the_caseworker_admits_corrects_the_month_and_the_statement_is_in_the_case_file(
        served: str, web_services: Services, app: Flask,  # noqa: F811
        simulators: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    with transaction(web_services.sessions) as session:
        create_user(session, "iestade", "Ilze Bērziņa", PASSWORD, ["caseworker"], ["institution"],
                    "VSAC-RIGA")
    day = admission_day()
    period = day.strftime("%Y-%m")
    put_payments(simulators["sais"], SEED, [PAID], day)
    person_id = resident(web_services, SEED, given="Valdis", family="Krūmiņš")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        sign_in(page, served, "iestade")

        # The admission, from the case file's co-payment section.
        page.goto(f"{served}/persons/{person_id}")
        panel = page.locator("section[aria-labelledby=co-payment-months-title]")
        panel.get_by_role("link", name="Reģistrēt uzņemšanu").click()
        expect(page.locator("h1")).to_contain_text("Reģistrēt uzņemšanu: Valdis Krūmiņš")
        page.fill("input[name=admission_date]", day.strftime("%d.%m.%Y"))
        page.screenshot(path=str(SCREENSHOTS / "p08-admission.png"), full_page=True)
        page.get_by_role("button", name="Reģistrēt uzņemšanu").click()
        expect(page.locator(".flashes")).to_contain_text("Uzņemšana reģistrēta")
        with web_services.sessions() as session:
            [case] = session.scalars(select(ProcessInstance).where(
                ProcessInstance.person_id == person_id)).all()
        expect(panel).to_contain_text(f"{case.business_key}: Procesā")
        expect(panel.get_by_role("link", name="Reģistrēt uzņemšanu")).to_have_count(0)

        _settle(web_services)  # SAIS told of the admission; the month's payments fetched
        admissions = requests.get(f"{simulators['sais'].url}/_control/received/admissions",
                                  timeout=5).json()
        assert [a["admission_date"] for a in admissions] == [day.isoformat()]

        # The confirmation task, from the inbox; the amount kept is corrected with a reason.
        page.goto(f"{served}/inbox?tab=group")
        expect(page.locator(".tab-current")).to_contain_text("Manām grupām")
        page.get_by_role("link", name=CONFIRM).click()
        expect(page.locator("h1")).to_contain_text(CONFIRM)
        expect(page.locator(".task-notice")).to_contain_text("412,34 €")
        expect(page.locator(".task-notice")).to_contain_text("61,86 €")
        _choose(page, "decision", "CORRECT")
        page.fill("input[name=allowance_cents]", "80,00")
        page.fill("textarea[name=correction_reason]", "Papildu izdevumi par medikamentiem")
        page.screenshot(path=str(SCREENSHOTS / "p08-confirm.png"), full_page=True)
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text(f"Uzdevums „{CONFIRM}” ir izpildīts")

        _settle(web_services)  # the month stored, the statement printed
        with web_services.sessions() as session:
            [month] = session.scalars(select(CoPaymentMonth).where(
                CoPaymentMonth.instance_id == case.id)).all()
            [statement] = session.scalars(select(CaseDocument).where(
                CaseDocument.instance_id == case.id)).all()
            waiting = session.scalars(select(HumanTask.element_id).where(
                HumanTask.instance_id == case.id, HumanTask.status == "open")).all()
        assert (month.period, month.allowance_cents, month.co_payment_cents) == (
            period, 8000, PAID - 8000)
        assert waiting == ["await_next_month"]

        # The case file: the month with the correction, and the statement.
        page.goto(f"{served}/persons/{person_id}")
        row = panel.locator("tbody tr", has_text=period)
        expect(row).to_contain_text("412,34 €")
        expect(row).to_contain_text("80,00 €")
        expect(row).to_contain_text("332,34 €")
        expect(row).to_contain_text("Papildu izdevumi par medikamentiem")
        first, last = period_bounds(period)
        title = f"Līdzmaksājuma aprēķins par {format_lv(first)}–{format_lv(last)}"
        assert statement.title == title
        expect(page.locator("main")).to_contain_text(title)
        panel.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "p08-case-file.png"), full_page=True)
        browser.close()
