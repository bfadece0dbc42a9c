"""Open data in a real browser: the ministry's statistician opens the month's review, sees Rīga's
unemployed +50 % flagged next to last month and Valka's confidential cell, and publishes; then
a reader without an account opens the public list, picks D5, a period and a territory, and sees
the chart drawn and the table, a confidential cell marked, and the downloads.

Screenshots go to DICASE_SCREENSHOTS or var/screenshots (docs/screenshots/opendata-*.png)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from app.config import PROJECT_ROOT, Settings
from app.services import Services
from tests.nsk.world import add_user
from tests.opendata.regeneration_world import (
    KEY,
    publish_last_month,
    settle,
    start_and_run,
    statuses,
    write_registers,
)
from tests.web.conftest import PASSWORD, app, web_services

from .test_caseworker_flow import ARGS, CHROMIUM, SCREENSHOTS, served, sign_in, sign_out

__all__ = ["app", "served", "web_services"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium package is not installed")


@pytest.fixture
def web_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, forms_dir=PROJECT_ROOT / "forms",
                    processes_dir=PROJECT_ROOT / "processes", secret_key="web-tests-secret",
                    start_simulators=False, in_process_workers=False, pseudonym_key=KEY,
                    pseudonym_key_file="", opendata_extracts_dir=tmp_path / "registers")



def test_the_statistician_publishes_and_a_reader_sees_the_chart_and_the_table(
        served: str, web_services: Services, app: Flask) -> None:
    from playwright.sync_api import expect, sync_playwright

    write_registers(web_services.settings.opendata_extracts_dir)
    publish_last_month(web_services)
    iid = start_and_run(web_services)
    add_user(web_services, "statistika", "Līga Zvaigzne", ["statistics"], "LM")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        sign_in(page, served, "statistika", PASSWORD)
        page.get_by_role("link", name="Atvērto datu pārskatīšana").click()
        expect(page.locator("h1")).to_contain_text("Atvērto datu pārskatīšana")
        section = page.locator("#review-section-D5")
        expect(section).to_contain_text("salīdzinot ar 2025-12")
        flagged = section.locator("tr.flagged").filter(has_text="Rīga").first
        expect(flagged).to_contain_text("+50,0 %")
        expect(section.locator("td.suppressed").first).to_be_attached()
        # Returning needs a reason: refused at the field, nothing changes.
        page.locator("input[type=radio][name=review_decision][value=RETURN]").check()
        page.locator("#opendata-decision").get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".error-summary")).to_contain_text("Atgriešanas iemesls")
        assert set(statuses(web_services, iid).values()) == {"draft"}
        page.locator("input[type=radio][name=review_decision][value=PUBLISH]").check()
        expect(page.locator("#review-summary tr.flagged")).to_contain_text("D5")
        section.evaluate("element => element.scrollIntoView()")
        page.screenshot(path=str(SCREENSHOTS / "opendata-review.png"), full_page=False)
        page.locator("#opendata-decision").get_by_role("button", name="Iesniegt").click()
        expect(page.locator(".flashes")).to_contain_text("Skaitļi tūlīt tiks publicēti")
        settle(web_services)
        assert set(statuses(web_services, iid).values()) == {"published"}
        sign_out(page)

        # A reader without an account.
        reader = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        reader.goto(f"{served}/open-data")
        expect(reader.locator("#opendata-datasets > li")).to_have_count(9)
        reader.screenshot(path=str(SCREENSHOTS / "opendata-list.png"), full_page=False)
        reader.locator("#opendata-datasets a[href='/open-data/D5']").click()
        expect(reader.locator("h1")).to_contain_text("D5")
        reader.select_option("#choose-period", "2026-01")
        reader.select_option("#choose-territory", "RIGA")
        reader.get_by_role("button", name="Rādīt").click()
        expect(reader.locator("#opendata-table-title")).to_contain_text("Rīgas valstspilsēta, 2026-01")
        expect(reader.locator("#opendata-chart")).to_have_attribute("data-drawn", "true")
        drawn = reader.evaluate("() => window.Chart.getChart('opendata-chart').data.datasets[0]"
                                ".data")
        assert drawn == [3, 6, 3, 6]
        total = reader.locator("#opendata-table tr.total-row")
        expect(total).to_contain_text("Kopā")
        expect(total.locator("td").last).to_have_text("18")
        expect(reader.locator("#opendata-period")).to_contain_text("01.01.2026–31.01.2026")
        expect(reader.locator("#opendata-downloads")).to_contain_text("datapackage.json")
        expect(reader.locator("#opendata-history")).to_contain_text("2025-12")
        reader.screenshot(path=str(SCREENSHOTS / "opendata-dataset.png"), full_page=True)
        # Valka's one person: a marked empty cell, and the chart leaves the bar out.
        reader.select_option("#choose-territory", "VALKA")
        reader.get_by_role("button", name="Rādīt").click()
        expect(reader.locator("#opendata-table tr.total-row td.suppressed")).to_have_count(1)
        expect(reader.locator("#opendata-chart")).to_have_attribute("data-drawn", "true")
        assert None in reader.evaluate(
            "() => window.Chart.getChart('opendata-chart').data.datasets[0].data")
        # The same in English through the language switch.
        reader.get_by_role("link", name="English").click()
        expect(reader.locator("#choose-territory")).to_contain_text("Whole country")
        browser.close()


def test_every_data_set_has_its_table_and_chart(served: str, web_services: Services) -> None:
    """The nine data sets of a (small) synthetic population, each page drawn with its chart; the
    language switch keeps the reader's period and territory."""
    from playwright.sync_api import expect, sync_playwright

    from app.opendata.definitions import DATASETS, latest_complete_period, previous_period
    from app.opendata.demo_population import load_population_demo

    today = date(2026, 11, 27)
    load_population_demo(web_services, scale=3000, seed=3, today=today)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        reader = browser.new_page(locale="lv-LV", viewport={"width": 1280, "height": 900})
        for code, definition in DATASETS.items():
            period = previous_period(latest_complete_period(definition, today))
            reader.goto(f"{served}/open-data/{code}?period={period}")
            expect(reader.locator("h1")).to_contain_text(code)
            expect(reader.locator("#opendata-chart")).to_have_attribute("data-drawn", "true")
            expect(reader.locator("#opendata-table tr.total-row")).to_contain_text("Kopā")
            expect(reader.locator("#opendata-history")).to_contain_text(period)
        reader.select_option("#choose-territory", "PR-KURZEME")
        reader.get_by_role("button", name="Rādīt").click()
        expect(reader.locator("#opendata-table-title")).to_contain_text("Kurzeme")
        reader.get_by_role("link", name="English").click()
        expect(reader.locator("#opendata-table-title")).to_contain_text("Kurzeme")
        assert "territory=PR-KURZEME" in reader.url
        browser.close()
