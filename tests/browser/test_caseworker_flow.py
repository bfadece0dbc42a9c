"""A caseworker in a real browser (Debian's Chromium driven by Playwright): sign in, open the
inbox, submit a form with a mistake, correct it, and see the process move on."""
from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import waitress
from flask import Flask

from app.auth.service import create_user
from app.db import transaction
from app.engine.runtime import Actor
from app.services import Services
from tests.web.conftest import P9_START

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()


def test_a_caseworker_completes_a_placement_in_the_browser(served: str, web_services: Services) -> None:
    from playwright.sync_api import expect, sync_playwright

    with transaction(web_services.sessions) as session:
        create_user(session, "inese", "Inese Kalniņa", "parole-123-garā", ["caseworker"],
                    ["institution"], "VSAC-RIGA")
    web_services.engine.start("p09_out_of_family_care", P9_START, business_key="P9-2026-0001",
                              actor=Actor("t"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV")
        page.goto(f"{served}/login")
        page.fill("input[name=username]", "inese")
        page.fill("input[name=password]", "parole-123-garā")
        page.get_by_role("button", name="Pieteikties").click()
        expect(page.locator("h1")).to_contain_text("Mani uzdevumi")
        page.click("text=Reģistrēt ievietošanu")
        # The form starts with what the case holds.
        expect(page.locator("input[name=placement_date]")).to_have_value("2026-01-10")
        # A wrong court code comes back with the message beside the field and the input kept.
        page.fill("input[name=institution_name]", "VSAC «Rīga»")
        page.fill("input[name=orphan_court_code]", "riga bt")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator("text=Vērtība neatbilst paredzētajam formātam.").first).to_be_visible()
        expect(page.locator("input[name=institution_name]")).to_have_value("VSAC «Rīga»")
        page.screenshot(path=str(SCREENSHOTS / "task-form-errors.png"), full_page=True)
        page.fill("input[name=orphan_court_code]", "RIGA")
        page.get_by_role("button", name="Iesniegt").click()
        expect(page.locator("h1")).to_contain_text("Mani uzdevumi")
        expect(page.get_by_role("link", name="Iesniegt periodisko ziņojumu")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "inbox-after-placement.png"), full_page=True)
        browser.close()
