"""A caseworker in a real browser (Debian's Chromium driven by Playwright): sign in, find a task,
claim it, submit its form with a mistake, correct it, see the next task appear for the right
group, and open the child's case file.

Screenshots of the inbox, a form with errors and a case file go to ``var/screenshots`` (or to
the folder named by DICASE_SCREENSHOTS; the ones in docs/screenshots were made that way).
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.auth.service import create_user
from app.db import transaction
from app.services import Services
from tests.live_server import serving
from tests.web.conftest import P9, P9_START, start_for_child

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# CI installs Debian's chromium (.ci/run); only a developer machine without it skips.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("DICASE_SCREENSHOTS", ROOT / "var" / "screenshots"))
PASSWORD = "parole-123-garā"


def sign_out(page: Any) -> None:
    """Sign out and wait for the login page: a sign-in started before the sign-out has landed
    races it (the old session's redirect can take the page away from the login form)."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Iziet").click()
    expect(page.locator("input[name=username]")).to_be_visible()


def sign_in(page: Any, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in on the login page; the inbox opens."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Pieteikties").click()
    expect(page.locator("h1")).to_contain_text("Mani uzdevumi")


def open_tab(page: Any, name: str) -> None:
    """Open an inbox tab and wait until htmx has swapped its list in: a click on the list being
    replaced can be lost."""
    from playwright.sync_api import expect

    page.get_by_role("link", name=name).click()
    expect(page.locator(".tab-current")).to_contain_text(name)


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    with serving(app) as url:
        yield url


def test_a_caseworker_works_a_task_end_to_end_in_the_browser(served: str,
                                                             web_services: Services) -> None:
    from playwright.sync_api import expect, sync_playwright

    with transaction(web_services.sessions) as session:
        create_user(session, "inese", "Inese Kalniņa", PASSWORD, ["caseworker"],
                    ["institution"], "VSAC-RIGA")
        create_user(session, "kristaps", "Kristaps Zariņš", PASSWORD, ["caseworker"],
                    ["institution"], "VSAC-RIGA")
        create_user(session, "janis", "Jānis Ozols", PASSWORD, ["caseworker"],
                    ["orphan_court"], "RIGA-BT")
    start_for_child(web_services, P9, P9_START, "P9-2026-0001")
    start_for_child(web_services, P9, dict(P9_START, case_number="P9-2026-0002"), "P9-2026-0002")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 860})

        sign_in(page, served, "inese")
        # Nothing is assigned to her yet, so the inbox opens on her group's tasks.
        expect(page.locator(".tab-current")).to_contain_text("Manām grupām")
        expect(page.get_by_role("link", name="Reģistrēt ievietošanu")).to_have_count(2)
        # Find the child's task by case number (htmx narrows the list without a reload).
        page.fill("input[name=person]", "0002")
        page.get_by_role("button", name="Rādīt").click()
        expect(page.get_by_role("link", name="Reģistrēt ievietošanu")).to_have_count(1)
        page.screenshot(path=str(SCREENSHOTS / "inbox.png"), full_page=True)
        page.get_by_role("button", name="Uzņemties").click()
        expect(page.locator(".flashes")).to_contain_text("Jūs uzņēmāties uzdevumu")
        open_tab(page, "Piešķirti man")
        page.get_by_role("link", name="Reģistrēt ievietošanu").click()

        # A wrong court code comes back with the message beside the field and the input kept.
        page.fill("input[name=institution_name]", "VSAC «Rīga»")
        page.fill("input[name=orphan_court_code]", "riga bt")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator("text=Vērtība neatbilst paredzētajam formātam.").first).to_be_visible()
        expect(page.locator("input[name=institution_name]")).to_have_value("VSAC «Rīga»")
        page.screenshot(path=str(SCREENSHOTS / "task-form-errors.png"), full_page=True)
        page.fill("input[name=orphan_court_code]", "RIGA-BT")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text("ir izpildīts")

        # The next step is offered to the institution's group: a colleague finds it there …
        sign_out(page)
        sign_in(page, served, "kristaps")
        page.get_by_role("link", name="Manām grupām").click()
        # The tab's list is swapped in by htmx: wait for it before following a link in it.
        expect(page.locator(".tab-current")).to_contain_text("Manām grupām")
        expect(page.get_by_role("link", name="Iesniegt periodisko ziņojumu")).to_be_visible()
        # … and opens the child's case file from the list.
        page.locator("td a[href^='/persons/']").first.click()
        expect(page.locator("h1")).to_contain_text("P9-2026-0002")
        expect(page.locator("#processes-title")).to_be_visible()
        expect(page.locator(".timeline")).to_contain_text("Uzdevums izpildīts")
        page.screenshot(path=str(SCREENSHOTS / "case-file.png"), full_page=True)

        # The orphan court's caseworker sees neither task: they are not offered to the court.
        sign_out(page)
        sign_in(page, served, "janis")
        expect(page.get_by_role("link", name="Iesniegt periodisko ziņojumu")).to_have_count(0)
        expect(page.get_by_role("link", name="Reģistrēt ievietošanu")).to_have_count(0)
        browser.close()
