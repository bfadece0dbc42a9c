"""forms.js in a real browser (Debian's Chromium driven by Playwright): rows added and removed
without a round trip, sections shown as the person answers, and the server accepting the rows
the script made. The page's CSP stays strict: no errors in the console."""
from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.services import Services
from tests.forms.conftest import submitted_data
from tests.live_server import serving
from tests.web.conftest import PASSWORD, task_row

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


def test_rows_and_sections_work_in_place_and_the_server_takes_the_result(
        served: str, make_user: Callable[..., str], start_plan: Callable[..., int],
        web_services: Services) -> None:
    from playwright.sync_api import expect, sync_playwright

    make_user("anna")
    task_id = start_plan()
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV")
        # Script errors and CSP refusals; a missing resource is reported by its address below
        # (the browser's own favicon.ico request is not the page's).
        page.on("console", lambda m: problems.append(m.text)
                if m.type == "error" and "Failed to load resource" not in m.text else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.goto(f"{served}/login")
        page.fill("input[name=username]", "anna")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Pieteikties").click()
        page.goto(f"{served}/tasks/{task_id}")
        expect(page.locator("form[data-task-form]")).to_have_attribute("data-enhanced", "true")
        posts: list[Any] = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

        rows = page.locator("[data-repeat='household'] [data-repeat-rows] > [data-row]")
        expect(rows).to_have_count(1)
        add = page.get_by_role("button", name="Pievienot rindu")
        add.click()
        expect(rows).to_have_count(2)
        new_name = page.locator("input[name='household.1.given_name']")
        expect(new_name).to_be_focused()
        expect(rows.nth(1).locator(":scope > legend")).to_have_text("Rinda 2")
        expect(page.locator("[data-form-announcer]")).to_have_text("Rinda pievienota.")
        # Both rows may go now; removing the first renumbers the second.
        rows.nth(0).get_by_role("button", name="Noņemt rindu").click()
        expect(rows).to_have_count(1)
        expect(rows.nth(0).locator(":scope > legend")).to_have_text("Rinda 1")
        expect(rows.nth(0).get_by_role("button", name="Noņemt rindu")).to_be_hidden()
        add.click()
        add.click()
        add.click()
        expect(rows).to_have_count(4)
        expect(add).to_be_hidden()  # maxItems 4
        for _ in range(3):
            rows.nth(1).get_by_role("button", name="Noņemt rindu").click()
        expect(rows).to_have_count(1)
        assert posts == [], "rows changed without sending the form"

        guardian = page.locator("#section-0")
        expect(guardian).to_be_hidden()
        page.get_by_label("Personai ir aizbildnis").check()
        expect(guardian).to_be_visible()
        page.get_by_label("Personai ir aizbildnis").uncheck()
        expect(guardian).to_be_hidden()
        page.select_option("select[name=living_arrangement]", "independent")
        expect(page.locator("#section-1")).to_be_visible()
        expect(page.locator("#section-2")).to_be_hidden()

        # Fill in and send, with rows the script made (their numbers need not be 0, 1).
        page.select_option("select[name=living_arrangement]", "family")
        page.fill("input[name=assessment_date]", "2026-03-07")
        page.get_by_label("Ar palīglīdzekli").check()
        page.fill("input[name=support_hours]", "12")
        page.fill("input[name=monthly_allowance]", "310,5")
        last = rows.nth(0)
        last.locator("input[name$='.given_name']").fill("Jānis")
        last.get_by_label("Vecāks").check()
        last.get_by_label("Strādā").check()
        expect(last.locator("[data-section]")).to_be_visible()
        last.locator("input[name$='.employer']").fill("SIA Koks")
        add.click()
        second = rows.nth(1)
        second.locator("input[name$='.given_name']").fill("Līga")
        second.get_by_label("Brālis vai māsa").check()
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator("h1")).to_contain_text("Mani uzdevumi")
        browser.close()
    assert task_row(web_services, task_id).status == "completed"
    data = submitted_data(web_services, task_id)
    assert [(m["given_name"], m["relation"], m.get("employer")) for m in data["household"]] == [
        ("Jānis", "parent", "SIA Koks"), ("Līga", "sibling", None)]
    assert data["monthly_allowance"] == "310.50"
    assert problems == [], problems
