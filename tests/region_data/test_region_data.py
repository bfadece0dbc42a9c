"""The regional data page: a region sees its own municipalities only, the ministry all, a
municipality nothing; tampered filters return 404; CSV and XLSX carry the selection."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from app.cases.personal_codes import masked
from app.db.models import AccessLogEntry
from app.domain.calendar import today_in_latvia
from app.services import Services

from .conftest import Cases

Client = Callable[..., FlaskClient]


def csv_rows(client: FlaskClient, query: str = "") -> list[list[str]]:
    response = client.get(f"/region-data/export.csv{query}")
    assert response.status_code == 200, response.status_code
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def cases_in(rows: list[list[str]]) -> set[str]:
    return {row[1] for row in rows[1:]}


def test_a_region_sees_its_own_municipalities_only(cases: Cases, client_of: Client) -> None:
    riga = client_of("regions", "PR-RIGA")
    page = riga.get("/region-data")
    assert page.status_code == 200
    assert "P2-RD-1" in page.text and "P2-RD-3" in page.text and "P2-RD-4" not in page.text
    assert cases_in(csv_rows(riga)) == {"P2-RD-1", "P2-RD-2", "P2-RD-3"}
    assert cases_in(csv_rows(riga, "?tab=services")) == {"P4-RD-1"}


def test_the_other_region_sees_only_its_own(cases: Cases, client_of: Client) -> None:
    zemgale = client_of("zreg", "PR-ZEMGALE")
    assert cases_in(csv_rows(zemgale)) == {"P2-RD-4"}
    assert cases_in(csv_rows(zemgale, "?tab=services")) == set()


def test_the_ministry_sees_every_region(cases: Cases, client_of: Client) -> None:
    ministry = client_of("ministrija", "LM", ("caseworker", "supervisor"), ("ministry",))
    assert cases_in(csv_rows(ministry)) == {"P2-RD-1", "P2-RD-2", "P2-RD-3", "P2-RD-4"}
    assert cases_in(csv_rows(ministry, "?municipality=JELGAVA")) == {"P2-RD-4"}


def test_a_municipality_has_no_data_selection(cases: Cases, client_of: Client) -> None:
    soc = client_of("soc", "RIGA", ("caseworker",), ("social_service",))
    for path in ("/region-data", "/region-data/export.csv", "/region-data/export.xlsx"):
        assert soc.get(path).status_code == 404
    assert "/region-data" not in soc.get("/inbox").text  # no menu link either


def test_a_tampered_municipality_filter_is_not_found_and_logged(
        cases: Cases, client_of: Client, rd_services: Services) -> None:
    riga = client_of("regions", "PR-RIGA")
    for path in ("/region-data?municipality=JELGAVA", "/region-data/export.csv?municipality=JELGAVA",
                 "/region-data/export.xlsx?municipality=JELGAVA", "/region-data?tab=services&process=2",
                 "/region-data?tab=secret"):
        assert riga.get(path).status_code == 404, path
    with rd_services.sessions() as session:
        denied = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.username == "regions", AccessLogEntry.action == "denied")).all()
    assert len(denied) == 5 and {d.record_type for d in denied} == {"region_data"}


def test_filters_by_municipality_process_service_type_and_period(cases: Cases, client_of: Client) -> None:
    riga = client_of("regions", "PR-RIGA")
    assert cases_in(csv_rows(riga, "?municipality=JURMALA")) == {"P2-RD-3"}
    assert cases_in(csv_rows(riga, "?process=1")) == set()
    assert cases_in(csv_rows(riga, "?process=2")) == {"P2-RD-1", "P2-RD-2", "P2-RD-3"}
    assert cases_in(csv_rows(riga, "?service_type=RESPITE")) == {"P2-RD-1"}
    assert cases_in(csv_rows(riga, "?service_type=FOSTER_FAMILY")) == set()
    today, yesterday = today_in_latvia(), today_in_latvia() - timedelta(days=1)
    assert cases_in(csv_rows(riga, f"?from={today}&to={today}")) == {"P2-RD-1", "P2-RD-2", "P2-RD-3"}
    assert cases_in(csv_rows(riga, f"?to={yesterday}")) == set()


def test_csv_columns_dates_and_codes_for_a_worker(cases: Cases, client_of: Client) -> None:
    riga = client_of("regions", "PR-RIGA")
    rows = csv_rows(riga, "?municipality=RIGA")
    assert rows[0] == ["Process", "Lieta", "Personas kods", "Pašvaldība", "Statuss", "Sākts", "Pabeigts",
                       "Bērna grupa", "Nepieciešamie pakalpojumi"]
    [family] = [row for row in rows if row[1] == "P2-RD-1"]
    assert family[0] == "P2" and family[2] == cases.riga_family_code and family[3] == "RIGA"
    assert family[4] == "active" and family[5] == today_in_latvia().strftime("%d.%m.%Y") and family[6] == ""
    assert family[7] == "FAMILY" and family[8] == "CARE_SERVICE RESPITE"


def test_personal_codes_are_masked_for_a_viewer_who_does_not_work_on_the_records(
        cases: Cases, client_of: Client) -> None:
    analyst = client_of("analitike", "PR-RIGA", ("reader",), ())
    [family] = [row for row in csv_rows(analyst) if row[1] == "P2-RD-1"]
    assert family[2] == masked(cases.riga_family_code) != cases.riga_family_code


def test_xlsx_export_reads_back(cases: Cases, client_of: Client) -> None:
    riga = client_of("regions", "PR-RIGA")
    response = riga.get("/region-data/export.xlsx?municipality=RIGA")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 3  # header + two Riga assessments
    [family] = [row for row in values[1:] if row[1] == "P2-RD-1"]
    assert family[0] == "P2" and family[2] == cases.riga_family_code
    assert family[5].date() == today_in_latvia() and family[6] is None
    assert sheet.cell(row=2, column=6).number_format == "DD.MM.YYYY"
    assert family[7] == "FAMILY"


def test_exports_are_logged_without_names(cases: Cases, client_of: Client, rd_services: Services) -> None:
    riga = client_of("regions", "PR-RIGA")
    csv_rows(riga)
    assert riga.get("/region-data/export.xlsx").status_code == 200
    with rd_services.sessions() as session:
        exports = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.username == "regions", AccessLogEntry.action == "export")).all()
    assert [e.path for e in exports] == ["/region-data/export.csv", "/region-data/export.xlsx"]
    assert all("Kalniņš" not in e.path and e.record_type == "region_data" for e in exports)
