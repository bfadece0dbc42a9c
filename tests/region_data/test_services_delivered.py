"""The services-delivered tab: accepted P3 service records of the viewer's region (the ministry's
all, a municipality none), filtered by municipality, service type and overlapping period, with
totals, money exact to the cent in the page, the CSV and the XLSX; tampered filters are 404."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from app.cases.personal_codes import masked
from app.db.models import AccessLogEntry
from app.region_data.service import EURO_FORMAT
from app.services import Services

from .conftest import Delivered

Client = Callable[..., FlaskClient]
HEADER = ["Personas kods", "Pašvaldība", "Pakalpojuma veids", "Pakalpojuma sniedzējs", "Sniedzēja kods",
          "Periods no", "Periods līdz", "Apjoms", "Mērvienība", "Izmaksas, EUR"]


def delivered_csv(client: FlaskClient, query: str = "") -> list[list[str]]:
    response = client.get(f"/region-data/export.csv?tab=delivered{query}")
    assert response.status_code == 200, response.status_code
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Disposition"].replace('"', '') == \
        "attachment; filename=region-data-delivered.csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == HEADER
    return rows[1:]


def kinds(rows: list[list[str]]) -> set[tuple[str, str, str]]:
    """(municipality, service type, period from) of each exported record."""
    return {(row[1], row[2], row[5]) for row in rows}


RIGA_JAN = ("RIGA", "Dienas aprūpes centrs", "01.01.2025")
RIGA_FEB = ("RIGA", "Specializētās darbnīcas", "01.02.2025")
JURMALA_JAN = ("JURMALA", "Dienas aprūpes centrs", "01.01.2025")
JELGAVA_JAN = ("JELGAVA", "Aprūpe mājās", "01.01.2025")


def test_a_region_sees_the_accepted_records_of_its_own_municipalities(
        delivered: Delivered, client_of: Client) -> None:
    riga = client_of("regions", "PR-RIGA")
    assert kinds(delivered_csv(riga)) == {RIGA_JAN, RIGA_FEB, JURMALA_JAN}  # not the rejected one
    page = riga.get("/region-data?tab=delivered")
    assert page.status_code == 200 and page.text.count("data-record=") == 3
    assert "Jelgavas" not in page.text and "SP-NOBODY" not in page.text


def test_the_other_region_sees_only_its_own(delivered: Delivered, client_of: Client) -> None:
    zemgale = client_of("zreg", "PR-ZEMGALE")
    assert kinds(delivered_csv(zemgale)) == {JELGAVA_JAN}


def test_the_ministry_sees_every_region(delivered: Delivered, client_of: Client) -> None:
    ministry = client_of("ministrija", "LM", ("caseworker", "supervisor"), ("ministry",))
    assert kinds(delivered_csv(ministry)) == {RIGA_JAN, RIGA_FEB, JURMALA_JAN, JELGAVA_JAN}
    assert kinds(delivered_csv(ministry, "&municipality=JELGAVA")) == {JELGAVA_JAN}


def test_a_municipality_has_no_services_delivered_tab(delivered: Delivered, client_of: Client) -> None:
    soc = client_of("soc", "RIGA", ("caseworker",), ("social_service",))
    for path in ("/region-data?tab=delivered", "/region-data/export.csv?tab=delivered",
                 "/region-data/export.xlsx?tab=delivered"):
        assert soc.get(path).status_code == 404, path


def test_filters_by_municipality_and_service_type(delivered: Delivered, client_of: Client) -> None:
    riga = client_of("regions", "PR-RIGA")
    assert kinds(delivered_csv(riga, "&municipality=JURMALA")) == {JURMALA_JAN}
    assert kinds(delivered_csv(riga, "&service_type=WORKSHOP")) == {RIGA_FEB}
    assert kinds(delivered_csv(riga, "&service_type=DAY_CENTRE&municipality=RIGA")) == {RIGA_JAN}
    assert kinds(delivered_csv(riga, "&service_type=HOME_CARE")) == set()


def test_period_filter_takes_records_that_overlap_it_at_the_edges(
        delivered: Delivered, client_of: Client) -> None:
    riga = client_of("regions", "PR-RIGA")
    assert kinds(delivered_csv(riga, "&from=2025-01-31&to=2025-01-31")) == {RIGA_JAN, JURMALA_JAN}
    assert kinds(delivered_csv(riga, "&from=2025-01-31&to=2025-02-01")) == {RIGA_JAN, RIGA_FEB,
                                                                              JURMALA_JAN}
    assert kinds(delivered_csv(riga, "&from=2025-02-01")) == {RIGA_FEB}
    assert kinds(delivered_csv(riga, "&to=2025-01-01")) == {RIGA_JAN, JURMALA_JAN}
    assert kinds(delivered_csv(riga, "&to=2024-12-31")) == set()
    assert kinds(delivered_csv(riga, "&from=2025-03-01")) == set()


def test_totals_count_records_persons_and_cost_of_the_whole_selection(
        delivered: Delivered, client_of: Client) -> None:
    riga = client_of("regions", "PR-RIGA")
    page = riga.get("/region-data?tab=delivered").text
    assert 'data-total="records">3<' in page and 'data-total="persons">2<' in page
    assert 'data-total="cost" class="nowrap">1 814,51 €<' in page  # 1 234,50 + 80,01 + 500,00
    assert "1 234,50 €" in page and "4,5 dienas" in page
    january = riga.get("/region-data?tab=delivered&to=2025-01-31").text
    assert 'data-total="records">2<' in january and 'data-total="persons">2<' in january
    assert "1 734,50 €" in january


def test_csv_columns_money_and_dates(delivered: Delivered, client_of: Client) -> None:
    riga = client_of("regions", "PR-RIGA")
    [day_centre] = delivered_csv(riga, "&municipality=RIGA&service_type=DAY_CENTRE")
    assert day_centre == [delivered.riga_code, "RIGA", "Dienas aprūpes centrs",
                          "Biedrība «Atbalsta punkts»", "SP-ATBALSTS", "01.01.2025", "31.01.2025",
                          "10", "DAYS", "1 234,50"]
    [workshop] = delivered_csv(riga, "&service_type=WORKSHOP")
    assert workshop[7:] == ["4,5", "DAYS", "80,01"]


def test_personal_codes_are_masked_for_a_viewer_who_does_not_work_on_the_records(
        delivered: Delivered, client_of: Client) -> None:
    analyst = client_of("analitike", "PR-RIGA", ("reader",), ())
    codes = {row[0] for row in delivered_csv(analyst, "&municipality=RIGA")}
    assert codes == {masked(delivered.riga_code)} != {delivered.riga_code}
    assert delivered.riga_code not in analyst.get("/region-data?tab=delivered").text


def test_xlsx_reads_back_with_exact_money_and_real_dates(delivered: Delivered, client_of: Client) -> None:
    riga = client_of("regions", "PR-RIGA")
    response = riga.get("/region-data/export.xlsx?tab=delivered")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None and sheet.title == "Sniegtie pakalpojumi"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADER and len(values) == 4
    by_cost = {Decimal(str(row[9])): row for row in values[1:]}
    assert set(by_cost) == {Decimal("1234.50"), Decimal("80.01"), Decimal("500.00")}
    assert sum(by_cost) == Decimal("1814.51")
    day_centre = by_cost[Decimal("1234.50")]
    assert day_centre[:5] == (delivered.riga_code, "RIGA", "Dienas aprūpes centrs",
                              "Biedrība «Atbalsta punkts»", "SP-ATBALSTS")
    assert day_centre[5].date().isoformat() == "2025-01-01" and day_centre[6].date().isoformat() == "2025-01-31"
    assert Decimal(str(by_cost[Decimal("80.01")][7])) == Decimal("4.5") and day_centre[8] == "DAYS"
    assert sheet.cell(row=2, column=10).number_format == EURO_FORMAT
    assert sheet.cell(row=2, column=6).number_format == "DD.MM.YYYY"


def test_tampered_filters_are_not_found_and_logged(
        delivered: Delivered, client_of: Client, rd_services: Services) -> None:
    riga = client_of("regions", "PR-RIGA")
    tampered = ("/region-data?tab=delivered&municipality=JELGAVA",
                "/region-data/export.csv?tab=delivered&municipality=JELGAVA",
                "/region-data/export.xlsx?tab=delivered&municipality=JELGAVA",
                "/region-data?tab=delivered&service_type=FOSTER_FAMILY",  # a child service, not P3's
                "/region-data/export.csv?tab=delivered&service_type=NOTHING",
                "/region-data?tab=delivered&process=3",
                "/region-data?service_type=HOME_CARE")  # an adult type on the assessments tab
    for path in tampered:
        assert riga.get(path).status_code == 404, path
    with rd_services.sessions() as session:
        denied = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.username == "regions", AccessLogEntry.action == "denied")).all()
        exports = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.username == "regions", AccessLogEntry.action == "export")).all()
    assert len(denied) == len(tampered) and {d.record_type for d in denied} == {"region_data"}
    assert exports == []  # a refused export is not logged as one


def test_exports_are_logged(delivered: Delivered, client_of: Client, rd_services: Services) -> None:
    riga = client_of("regions", "PR-RIGA")
    delivered_csv(riga)
    assert riga.get("/region-data/export.xlsx?tab=delivered").status_code == 200
    with rd_services.sessions() as session:
        exports = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.username == "regions", AccessLogEntry.action == "export")).all()
    assert [e.path for e in exports] == ["/region-data/export.csv", "/region-data/export.xlsx"]
    assert all(e.record_type == "region_data" for e in exports)
