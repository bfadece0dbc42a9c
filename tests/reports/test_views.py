"""Report pages through the web app: the catalogue by topic, a dashboard whose figures load after
the page, the list behind a figure (logged), and 404 with a clear message for a report, period,
territory or figure link that is not the reader's."""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from html import unescape as html_unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.auth.service import create_user
from app.db import transaction
from app.db.models import AccessLogEntry, ProcessDefinition
from app.reports import engine
from app.reports.definitions import REPORTS
from app.services import Services
from tests.web.conftest import PASSWORD, app, login, web_services, web_settings

from .world import World

__all__ = ["app", "web_services", "web_settings"]

P1 = "p01_adult_needs_assessment"
HX = {"HX-Request": "true"}


class DeployedWorld(World):
    """The hand-built rows on top of the deployed processes (the web app deploys them all)."""

    def definition(self, key: str) -> int:
        found = self.session.scalar(select(ProcessDefinition.id).where(
            ProcessDefinition.process_key == key).order_by(ProcessDefinition.version.desc()))
        return found if found is not None else super().definition(key)


@pytest.fixture
def data(web_services: Services) -> Iterator[dict[str, str]]:
    """Two P8 co-payment residents (Riga's VSAC and Zemgale's) in 2025, one interview done on
    time in Riga and one done late in Jelgava in February 2025 (their state does not depend on
    today)."""
    with web_services.sessions() as session:
        world = DeployedWorld(session)
        riga = world.instance("p08_co_payment", world.person("RIGA", institution="VSAC-RIGA"),
                              case_number="P8-RIGA-1")
        world.co_payment(riga, "2025-01", income=50000, allowance=7500)
        world.co_payment(riga, "2025-02", income=52000, allowance=7800)
        jelgava = world.instance("p08_co_payment",
                                 world.person("JELGAVA", institution="VSAC-ZEMGALE"),
                                 case_number="P8-JELGAVA-1")
        world.co_payment(jelgava, "2025-01", income=40000, allowance=6000)
        a = world.instance(P1, world.person("RIGA"), case_number="P1-A")
        world.task(a, "interview", created="2025-02-03", due="2025-03-05", completed="2025-03-01",
                   by="exp1")
        c = world.instance(P1, world.person("JELGAVA"), case_number="P1-C")
        world.task(c, "interview", created="2025-02-12", due="2025-03-14", completed="2025-03-15",
                   by="exp3")
        session.commit()
        yield {"riga_person": str(riga.person_id), "jelgava_person": str(jelgava.person_id)}


@pytest.fixture
def reader(app: Flask, web_services: Services) -> Callable[[str], FlaskClient]:
    """A test client signed in as a new account of the organisation ``code``."""
    made: set[str] = set()

    def sign_in(code: str, lang: str = "lv") -> FlaskClient:
        username = f"reader-{code.lower()}-{lang}"
        if username not in made:
            with transaction(web_services.sessions) as session:
                create_user(session, username, f"Lasītājs {code}", PASSWORD, ["caseworker"], [],
                            code, locale=lang)
            made.add(username)
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client

    return sign_in


def text_of(html: str) -> str:
    """The page's text without tags, spaces (no-break ones too) collapsed."""
    return re.sub(r"[ \u00a0\n\t]+", " ", re.sub(r"<[^>]+>", " ", html))


def figures(client: FlaskClient, report: str, **query: str) -> str:
    response = client.get(f"/reports/{report}/figures", query_string=query, headers=HX)
    assert response.status_code == 200, response.text
    return response.text


def test_the_catalogue_lists_by_topic_only_the_reports_the_reader_may_see(
        reader: Callable[[str], FlaskClient]) -> None:
    ministry = reader("LM").get("/reports")
    assert ministry.status_code == 200
    assert "Novērtēšana un IAP" in ministry.text and "Finanses" in ministry.text
    assert 'href="/reports/assessment_tasks"' in ministry.text
    assert 'href="/reports/co_payments"' in ministry.text
    # The main menu offers the reports to the ministry.
    assert '<a href="/reports"' in ministry.text
    vsac = reader("VSAC-RIGA").get("/reports").text
    assert 'href="/reports/co_payments"' in vsac
    assert "assessment_tasks" not in vsac and "Novērtēšana un IAP" not in vsac
    adoption = reader("LM-ADOPT").get("/reports").text
    assert "assessment_tasks" not in adoption and "co_payments" not in adoption


def test_the_dashboard_answers_at_once_and_its_figures_follow_with_a_spinner(
        reader: Callable[[str], FlaskClient], data: dict[str, str]) -> None:
    client = reader("LM")
    page = client.get("/reports/co_payments", query_string={"period": "2025"})
    assert page.status_code == 200
    # The shell holds no figures yet: a spinner, and htmx's request for them.
    assert 'hx-get="/reports/co_payments/figures?period=2025"' in page.text
    assert 'class="spinner"' in page.text
    assert "id=\"report-table\"" not in page.text
    assert "vendor/chartjs/chart.umd.js" in page.text and "vendor/htmx/htmx.min.js" in page.text
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    assert '<option value="2025" selected>' in page.text
    assert '<option value="PR-ZEMGALE"' in page.text and '<option value="JELGAVA"' in page.text
    # The figures: 425,00 € + 442,00 € + 340,00 € of co-payments in 2025, two residents.
    shown = text_of(figures(client, "co_payments", period="2025"))
    assert "<html" not in figures(client, "co_payments", period="2025")
    assert "1 207,00 €" in shown  # 42500 + 44200 + 34000 cents
    assert "Kopā 2 1 420,00 €" in shown  # residents, then income 500 + 520 + 400 €
    assert "VSAC «Zemgale»" in shown and "2025-02" in shown
    # Without htmx the same figures come as a whole page.
    whole = client.get("/reports/co_payments/figures", query_string={"period": "2025"})
    assert whole.status_code == 200 and "<html" in whole.text
    assert "1 207,00 €" in text_of(whole.text)


def test_every_figure_links_to_its_records_and_the_chart_has_its_data(
        reader: Callable[[str], FlaskClient], data: dict[str, str]) -> None:
    html = figures(reader("LM"), "assessment_tasks", period="2025-02")
    assert ('href="/reports/assessment_tasks/records?period=2025-02&amp;region=PR-ZEMGALE'
            '&amp;step=interview&amp;task_status=done_late"') in html
    canvas = re.search(r'<canvas class="report-chart"[^>]*>', html)
    assert canvas is not None
    assert 'data-kind="stacked_bar"' in canvas.group(0)
    datasets = json.loads(html_unescape(re.search(r"data-datasets='([^']*)'", canvas.group(0))
                                        .group(1)))  # type: ignore[union-attr]
    # A stack per task status, a bar per region and step: Riga's on time, Zemgale's late.
    assert {d["label"]: d["data"] for d in datasets} == {"Izpildīts laikā": ["1", None],
                                                         "Izpildīts ar kavējumu": [None, "1"]}


def test_a_municipality_never_sees_another_municipalitys_figures(
        reader: Callable[[str], FlaskClient], data: dict[str, str]) -> None:
    client = reader("RIGA")
    page = client.get("/reports/co_payments", query_string={"period": "2025"}).text
    assert '<option value="RIGA"' in page
    assert '<option value="JELGAVA"' not in page and '<option value="PR-RIGA"' not in page
    shown = text_of(figures(client, "co_payments", period="2025"))
    assert "867,00 €" in shown  # 425 + 442: Riga's own co-payments
    assert "1 207,00 €" not in shown and "340,00 €" not in shown
    assert "Zemgale" not in shown


def test_the_records_behind_a_figure_are_listed_logged_and_linked_only_where_allowed(
        reader: Callable[[str], FlaskClient], data: dict[str, str],
        web_services: Services) -> None:
    client = reader("LM")
    response = client.get("/reports/co_payments/records",
                          query_string={"period": "2025", "institution": "VSAC-RIGA",
                                        "month": "2025-02"})
    assert response.status_code == 200, response.text
    assert "P8-RIGA-1" in response.text and "P8-JELGAVA-1" not in response.text
    assert "VSAC «Rīga»" in response.text  # the figure's institution by name
    assert f'href="/persons/{data["riga_person"]}"' in response.text
    with web_services.sessions() as session:
        logged = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.record_type == "report_records")).all()
    assert [(e.username, e.action) for e in logged] == [("reader-lm-lv", "search")]
    # A VSAC sees its resident's records; the list never names another institution's case.
    vsac = reader("VSAC-RIGA").get("/reports/co_payments/records",
                                   query_string={"period": "2025", "month": "2025-01"})
    assert vsac.status_code == 200
    assert "P8-RIGA-1" in vsac.text and "P8-JELGAVA-1" not in vsac.text


def test_a_report_not_for_the_reader_answers_404_with_a_message_and_is_logged(
        reader: Callable[[str], FlaskClient], web_services: Services) -> None:
    client = reader("VSAC-RIGA")
    for path in ("/reports/assessment_tasks", "/reports/assessment_tasks/figures",
                 "/reports/assessment_tasks.csv", "/reports/no_such_report",
                 "/reports/assessment_tasks/records?task_status=done"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "nav pieejams" in response.text, path
    with web_services.sessions() as session:
        denied = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.action == "denied", AccessLogEntry.record_type == "report")).all()
    assert len(denied) == 5


@pytest.mark.parametrize(("who", "path", "words"), [
    ("LM", "/reports/co_payments?period=2025-13", "nav šī pārskata periods"),
    ("LM", "/reports/co_payments/figures?period=2025-01", "nav šī pārskata periods"),
    ("LM", "/reports/co_payments.pdf?period=2025&territory=NOWHERE", "nav teritorija"),
    ("RIGA", "/reports/co_payments/figures?period=2025&territory=JELGAVA", "nav teritorija"),
    ("PR-RIGA", "/reports/co_payments?territory=PR-ZEMGALE", "nav teritorija"),
    ("LM", "/reports/co_payments/records?period=2025&person_id=1", "nenorāda uz pārskata skaitli"),
])
def test_a_tampered_period_territory_or_figure_link_answers_404_saying_what(
        reader: Callable[[str], FlaskClient], who: str, path: str, words: str) -> None:
    response = reader(who).get(path)
    assert response.status_code == 404
    assert words in response.text


def test_english_through_the_language_switch(reader: Callable[[str], FlaskClient],
                                             data: dict[str, str]) -> None:
    client = reader("LM")
    page = client.get("/reports/co_payments?period=2025&lang=en")
    assert "Co-payments in long-term care (P8)" in page.text
    assert "Everything available to you" in page.text
    shown = text_of(figures(client, "co_payments", period="2025"))
    assert "€1,207.00" in shown and "Total" in shown


@pytest.mark.parametrize("report_id", list(REPORTS))
def test_every_report_of_the_catalogue_has_its_dashboard_figures_and_files(
        reader: Callable[[str], FlaskClient], data: dict[str, str], report_id: str) -> None:
    definition = REPORTS[report_id]
    code = "LM" if "ministry" in definition.audience.organisation_kinds else "LM-ADOPT"
    client = reader(code)
    period = engine.periods(definition, date(2025, 12, 31))[0]
    assert client.get(f"/reports/{report_id}?period={period}").status_code == 200
    html = figures(client, report_id, period=period)
    assert 'id="report-table"' in html or 'id="report-empty"' in html
    for extension in ("csv", "xlsx", "pdf"):
        response = client.get(f"/reports/{report_id}.{extension}?period={period}")
        assert response.status_code == 200, (extension, response.text[:300])
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/{report_id}.csv?period={period}")
                                       .data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [c.title_lv for c in (*definition.dimensions, *definition.measures)]
