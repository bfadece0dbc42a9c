"""The open data pages through the web app: the public list, a data set's page (period and
territory chosen in the address), the files and the catalogue, all without sign-in and only of
published releases; wrong addresses answered with a message that says what is wrong; and the
statistician's review page, which only the ministry reads and only the statisticians decide on."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.config import PROJECT_ROOT, Settings
from app.db.models import HumanTask
from app.engine.runtime import Actor
from app.opendata import formats, releases, service
from app.services import Services
from tests.nsk.world import add_user
from tests.web.conftest import app, csrf_of, login, web_services

from .regeneration_world import (
    KEY,
    REASON,
    drafts,
    publish_last_month,
    review_task,
    settle,
    start_and_run,
    statuses,
    write_registers,
)

__all__ = ["app", "web_services"]


@pytest.fixture
def web_settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, forms_dir=PROJECT_ROOT / "forms",
                    processes_dir=PROJECT_ROOT / "processes", secret_key="web-tests-secret",
                    start_simulators=False, in_process_workers=False, pseudonym_key=KEY,
                    pseudonym_key_file="", opendata_extracts_dir=tmp_path / "registers",
                    public_url="https://dati.example.lv")


@pytest.fixture
def under_review(web_services: Services) -> int:
    """Last month's D5 published; this month's drafts waiting for the statistician."""
    write_registers(web_services.settings.opendata_extracts_dir)
    publish_last_month(web_services)
    return start_and_run(web_services)


@pytest.fixture
def published(web_services: Services, under_review: int) -> Iterator[int]:
    """This month's drafts approved and published; then a second D5 2026-01 draft that is
    not (yet) published."""
    task = review_task(web_services, under_review)
    assert task is not None
    web_services.engine.complete_task(task.id, Actor("statistika", frozenset({"statistics"})),
                                      {"review_decision": "PUBLISH"})
    settle(web_services)
    releases.prepare(web_services.sessions, "D5", "2026-01", actor="test")
    yield under_review


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def table(html: str, table_id: str) -> list[list[str]]:
    """The rows of the table with ``table_id``, each a list of its cells' text."""
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return [[text(cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.DOTALL)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)]


# --- public, without sign-in ----------------------------------------------------------------------


def test_the_list_shows_the_nine_data_sets_to_anyone(app: Flask, published: int) -> None:
    html = page(app.test_client(), "/open-data")
    for code in ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9"):
        assert f'href="/open-data/{code}"' in html
    words = text(html)
    assert "Bezdarbnieki" in words or "bezdarbnie" in words.lower()
    assert "Pēdējais periods: 2026-01" in words
    assert 'href="/open-data/catalogue.jsonld"' in html


def test_a_data_set_shows_the_chosen_period_and_territory(app: Flask, published: int) -> None:
    client = app.test_client()
    html = page(client, "/open-data/D5?territory=RIGA")
    assert 'id="opendata-chart"' in html and "chart.umd.js" in html
    rows = table(html, "opendata-table")
    assert rows[1][0] == "Kopā" and rows[1][-1] == "18"
    assert "01.01.2026–31.01.2026" in text(html)
    earlier = page(client, "/open-data/D5?period=2025-12&territory=RIGA")
    assert table(earlier, "opendata-table")[1][-1] == "12"
    # The whole country lists its planning regions, each a link to its own table.
    country = page(client, "/open-data/D5?period=2026-01")
    regions = {row[0]: row[-1] for row in table(country, "opendata-parts")[1:]}
    assert regions["Rīgas plānošanas reģions"] == "18"
    assert 'territory=PR-VIDZEME' in country


def test_a_confidential_number_is_a_marked_empty_cell_never_a_zero(app: Flask,
                                                                   published: int) -> None:
    html = page(app.test_client(), "/open-data/D5?territory=VALKA")
    total = html.split('class="total-row"', 1)[1].split("</tr>", 1)[0]
    assert 'class="num suppressed"' in total and ">0<" not in total
    assert "konfidenciāli" in text(total).lower()
    # The chart leaves out the bar of Valka's one person (51 years old), not drawn as 0; the
    # empty age bands are true zeros.
    values = re.search(r"data-values='([^']*)'", html)
    labels = re.search(r"data-labels='([^']*)'", html)
    assert values is not None and labels is not None
    bars = dict(zip(json.loads(labels.group(1)), json.loads(values.group(1)), strict=True))
    assert bars == {"15–24 gadi": 0, "25–39 gadi": 0, "40–54 gadi": None, "55 gadi un vairāk": 0}


def test_english_through_the_language_switch(app: Flask, published: int) -> None:
    client = app.test_client()
    html = page(client, "/open-data/D5?lang=en")
    assert "Whole country" in html and "Download" in html
    assert "Visa valsts" not in html


def test_the_files_are_the_published_release_with_their_types_and_names(
        app: Flask, web_services: Services, published: int) -> None:
    client = app.test_client()
    with web_services.sessions() as session:
        release = releases.latest_published(session, "D5", "2026-01")
        versions = releases.history(session, "D5")
    assert release is not None and release.version == 1
    csv = client.get("/open-data/D5/2026-01.csv")
    assert csv.status_code == 200 and csv.content_type == "text/csv; charset=utf-8"
    assert 'filename="D5-2026-01-v1.csv"' in csv.headers["Content-Disposition"]
    assert csv.data == formats.csv_bytes(release.content)
    as_json = client.get("/open-data/D5/2026-01.json")
    assert as_json.status_code == 200 and as_json.content_type == "application/json"
    assert as_json.data == formats.json_bytes(release.content)
    assert client.get("/open-data/D5/2026-01/v1.csv").data == csv.data
    package = client.get("/open-data/D5/datapackage.json")
    assert package.status_code == 200 and package.content_type == "application/json"
    descriptor = json.loads(package.data)
    assert {r["path"] for r in descriptor["resources"]} == {
        "https://dati.example.lv/open-data/D5/2025-12.csv",
        "https://dati.example.lv/open-data/D5/2026-01.csv"}
    assert len(versions) == 2
    catalogue = client.get("/open-data/catalogue.jsonld")
    assert catalogue.status_code == 200
    assert catalogue.content_type == "application/ld+json; charset=utf-8"
    assert "https://dati.example.lv/open-data/D5" in catalogue.get_data(as_text=True)


def test_the_history_lists_the_published_versions_with_date_and_rows(
        app: Flask, web_services: Services, published: int) -> None:
    html = page(app.test_client(), "/open-data/D5")
    with web_services.sessions() as session:
        versions = releases.history(session, "D5")
    rows = table(html, "opendata-history")[1:]
    assert [(r[0], r[1], r[3]) for r in rows] == [
        (v.period, str(v.version), str(v.row_count)) for v in versions]
    assert all(re.fullmatch(r"\d\d\.\d\d\.\d{4}", r[2]) for r in rows)


def test_drafts_are_never_visible(app: Flask, web_services: Services, published: int) -> None:
    client = app.test_client()
    # D5 2026-01 has a draft version 2: the page, the file and the history stay on version 1.
    assert "versija 1" in text(page(client, "/open-data/D5?period=2026-01"))
    assert 'filename="D5-2026-01-v1.csv"' in client.get(
        "/open-data/D5/2026-01.csv").headers["Content-Disposition"]
    assert "nav publicētas versijas 2" in text(page(client, "/open-data/D5/2026-01/v2.csv", 404))
    assert "/v2." not in page(client, "/open-data/D5")


def test_before_the_first_publication_nothing_is_shown(app: Flask, under_review: int) -> None:
    client = app.test_client()
    assert 'id="opendata-none"' in page(client, "/open-data/D1")
    assert "nav publicētu skaitļu par 2025" in text(page(client, "/open-data/D1/2025.csv", 404))
    assert "nav publicētu skaitļu" in text(page(client, "/open-data/D1/datapackage.json", 404))
    assert "Vēl nav publicēts" in text(page(client, "/open-data"))


@pytest.mark.parametrize(("path", "status", "message"), [
    ("/open-data/D12", 404, "Nav atvērto datu kopas D12"),
    ("/open-data/D12/2025.csv", 404, "Nav atvērto datu kopas D12"),
    ("/open-data/D5?period=2026-13", 400, "Periods jāraksta kā gads"),
    ("/open-data/D5?period=2025", 400, "D5 tiek publicēta par mēnesi"),
    ("/open-data/D5/2025-Q3.csv", 400, "D5 tiek publicēta par mēnesi"),
    ("/open-data/D5?period=2019-01", 404, "D5 nav publicētu skaitļu par 2019-01"),
    ("/open-data/D5?territory=ATLANTIDA", 400, "Teritorijas ATLANTIDA"),
])
def test_a_wrong_address_says_what_is_wrong(app: Flask, published: int, path: str, status: int,
                                            message: str) -> None:
    html = page(app.test_client(), path, status)
    assert message in text(html), text(html)
    assert 'href="/open-data"' in html


# --- the statistician's review --------------------------------------------------------------------


def signed_in(app: Flask, services: Services, username: str, groups: list[str],
              organisation: str) -> FlaskClient:
    add_user(services, username, username, groups, organisation)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_the_statistician_reviews_with_the_comparison_and_returns_with_a_reason(
        app: Flask, web_services: Services, under_review: int) -> None:
    client = signed_in(app, web_services, "statistika", ["statistics"], "LM")
    html = page(client, "/open-data/review")
    section = html.split('id="review-section-D5"', 1)[1].split("</section>", 1)[0]
    words = text(section)
    assert "2026-01" in words and "salīdzinot ar 2025-12" in words
    assert "+50,0 %" in words and 'class="flagged"' in section
    assert 'class="num suppressed"' in section
    assert 'id="opendata-decision"' in html
    # Returned without a reason: refused, nothing happens.
    task = review_task(web_services, under_review)
    assert task is not None
    refused = client.post("/open-data/review", data={
        "csrf_token": csrf_of(client), "_action": "submit", "review_decision": "RETURN"})
    assert refused.status_code == 422
    assert "Atgriešanas iemesls" in text(refused.get_data(as_text=True))
    assert set(statuses(web_services, under_review).values()) == {"draft"}
    done = client.post("/open-data/review", data={
        "csrf_token": csrf_of(client), "_action": "submit", "review_decision": "RETURN",
        "return_reason": REASON})
    assert done.status_code == 302
    settle(web_services)
    assert set(statuses(web_services, under_review).values()) == {"discarded"}
    with web_services.sessions() as session:
        completed = session.get(HumanTask, task.id)
        assert completed is not None and completed.completed_by == "statistika"
    assert "Nekas negaida pārskatīšanu" in text(page(client, "/open-data/review"))


def test_the_statistician_publishes_from_the_review_page(app: Flask, web_services: Services,
                                                         under_review: int) -> None:
    client = signed_in(app, web_services, "statistika", ["statistics"], "LM")
    assert 'id="opendata-decision"' in page(client, "/open-data/review")
    response = client.post("/open-data/review", data={
        "csrf_token": csrf_of(client), "_action": "submit", "review_decision": "PUBLISH"})
    assert response.status_code == 302
    settle(web_services)
    assert set(statuses(web_services, under_review).values()) == {"published"}
    assert drafts(web_services, under_review) == []
    assert table(page(app.test_client(), "/open-data/D5?territory=RIGA"),
                 "opendata-table")[1][-1] == "18"


def test_only_the_ministry_reads_the_review_and_only_statisticians_decide(
        app: Flask, web_services: Services, under_review: int) -> None:
    specialist = signed_in(app, web_services, "ministrija", ["ministry"], "LM")
    html = page(specialist, "/open-data/review")
    assert "review-section-D5" in html and 'id="opendata-decision"' not in html
    assert specialist.post("/open-data/review", data={
        "csrf_token": csrf_of(specialist), "review_decision": "PUBLISH"}).status_code == 404
    municipality = signed_in(app, web_services, "soc", ["social_service"], "RIGA")
    page(municipality, "/open-data/review", 404)
    anonymous = app.test_client().get("/open-data/review")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert set(statuses(web_services, under_review).values()) == {"draft"}
    with web_services.sessions() as session:
        assert session.scalar(select(HumanTask.status).where(
            HumanTask.instance_id == under_review,
            HumanTask.element_id == service.REVIEW_TASK)) == "open"


def test_before_the_process_has_run_the_ministry_sees_nothing_waiting(
        app: Flask, web_services: Services) -> None:
    client = signed_in(app, web_services, "statistika", ["statistics"], "LM")
    assert "Nekas negaida pārskatīšanu" in text(page(client, "/open-data/review"))
    page(signed_in(app, web_services, "soc", ["social_service"], "RIGA"), "/open-data/review", 404)
