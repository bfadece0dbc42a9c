"""A report's files: CSV in the product's Latvian convention, XLSX with numbers to compute with,
a PDF with the table's figures and the chart drawn as SVG; first from hand-made results, then
downloaded through the web app."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.db.models import AccessLogEntry
from app.reports import charts, exports
from app.reports.definitions import REPORTS
from app.reports.engine import Column, ReportResult
from app.services import Services
from tests.web.conftest import app, web_services, web_settings

from .test_views import data, reader

__all__ = ["app", "data", "reader", "web_services", "web_settings"]

SVG = "{http://www.w3.org/2000/svg}"


def co_payments(rows: list[dict[str, object]], totals: dict[str, object]) -> ReportResult:
    """A result of the co-payment report made by hand, in the engine's shape."""
    definition = REPORTS["co_payments"]
    columns = ([Column(d.name, d.title_lv, d.title_en, "dimension", None)
                for d in definition.dimensions]
               + [Column(m.name, m.title_lv, m.title_en, "measure", m.unit)
                  for m in definition.measures])
    return ReportResult(definition=definition, period="2025", territory=None, columns=columns,
                        rows=rows, totals=totals, series=[],
                        labels={"institution": {"VSAC-RIGA": ("VSAC «Rīga»", "SSCC Riga")}})


def made_by_hand() -> ReportResult:
    return co_payments(
        [{"institution": "VSAC-RIGA", "month": "2025-01", "residents": 1, "income": 50000,
          "allowance": 7500, "co_payment": 42500},
         {"institution": "VSAC-RIGA", "month": "2025-02", "residents": 2, "income": 123456,
          "allowance": 18518, "co_payment": 104938},
         {"institution": None, "month": "2025-02", "residents": 1, "income": 5,
          "allowance": 0, "co_payment": 5}],
        {"residents": 3, "income": 173461, "allowance": 26018, "co_payment": 147443})


def flat(text: str) -> str:
    return re.sub(r"[ \u00a0\u202f\n]+", " ", text)


# --- from a hand-made result ----------------------------------------------------------------------


def test_csv_uses_semicolons_decimal_commas_and_euro_from_cents() -> None:
    text = exports.csv_file(made_by_hand(), "lv")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0] == ["Iestāde", "Mēnesis", "Klienti", "Ienākumi", "Personīgajiem izdevumiem",
                        "Līdzmaksājums"]
    assert lines[1] == ["VSAC «Rīga»", "2025-01", "1", "500,00", "75,00", "425,00"]
    assert lines[2] == ["VSAC «Rīga»", "2025-02", "2", "1234,56", "185,18", "1049,38"]
    assert lines[3] == ["", "2025-02", "1", "0,05", "0,00", "0,05"]  # no institution recorded
    assert lines[4] == ["Kopā", "", "3", "1734,61", "260,18", "1474,43"]
    english = list(csv.reader(io.StringIO(exports.csv_file(made_by_hand(), "en")), delimiter=";"))
    assert english[0][0] == "Institution" and english[1][0] == "SSCC Riga"
    assert english[4][0] == "Total"


def test_xlsx_holds_numbers_in_euro_with_the_title_period_and_territory() -> None:
    book = load_workbook(io.BytesIO(exports.xlsx_file(made_by_hand(), "lv", "Viss")))
    sheet = book.active
    assert sheet is not None
    assert sheet["A1"].value == "Līdzmaksājumi ilgstošajā aprūpē (P8)"
    assert sheet["B2"].value == "2025 (01.01.2025–31.12.2025)"
    assert sheet["B3"].value == "Viss"
    assert [c.value for c in sheet[5]] == ["Iestāde", "Mēnesis", "Klienti", "Ienākumi",
                                           "Personīgajiem izdevumiem", "Līdzmaksājums"]
    assert [c.value for c in sheet[7]] == ["VSAC «Rīga»", "2025-02", 2, 1234.56, 185.18, 1049.38]
    assert sheet["D7"].number_format == '#,##0.00 "€"'
    assert [c.value for c in sheet[9]] == ["Kopā", None, 3, 1734.61, 260.18, 1474.43]
    assert sheet["F9"].font.bold


def test_average_figures_keep_their_decimal_and_money_is_never_a_float() -> None:
    assert exports.number_text(Decimal("28.3"), "days", "lv") == "28,3"
    assert exports.number_text(Decimal("28.3"), "days", "en") == "28.3"
    assert exports.number_text(1234567, "tasks", "lv") == "1\u00a0234\u00a0567"
    assert exports.exact_value(123456, "eur_cents") == Decimal("1234.56")
    assert exports.number_text(None, "days", "lv") == "—"
    chart = exports.chart_data(made_by_hand(), "lv")
    # Strings, which Chart.js reads as numbers; a missing figure is a gap (null), not 0.
    assert [d["data"] for d in chart.for_chartjs()] == [["1", None], ["2", "1"]]


def test_the_chart_puts_the_last_dimension_in_the_datasets() -> None:
    chart = exports.chart_data(made_by_hand(), "lv")
    # Institutions along the axis, a dataset per month, counting residents.
    assert chart.labels == ["VSAC «Rīga»", "—"]
    assert [(d.label, d.values) for d in chart.datasets] == [("2025-01", (1, None)),
                                                             ("2025-02", (2, 1))]
    assert chart.axis == "Klienti"


def test_the_svg_chart_draws_a_bar_per_figure_scaled_to_a_round_top() -> None:
    svg = charts.svg_chart("bar", ["A", "B", "C"],
                           [charts.Dataset("x", (Decimal(10), Decimal(40), None)),
                            charts.Dataset("y", (5, 20, 30))], title="T")
    root = ET.fromstring(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if float(r.get("height", 0)) > 0
            and r.get("width") != "10"]  # the legend's squares are 10 wide
    heights = sorted(float(r.get("height", 0)) for r in bars)
    assert len(bars) == 5  # the missing figure draws nothing
    # 40 is the top of a 0..40 scale in steps of 10: the bar of 40 is the plot's full height
    plot = charts.HEIGHT - 40 - 92
    assert heights[-1] == pytest.approx(plot, abs=0.1)
    assert heights[0] == pytest.approx(plot * 5 / 40, abs=0.1)
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"
             and not t.get("transform")]
    assert ticks == ["0", "10", "20", "30", "40"]


def test_a_stacked_bar_stacks_and_a_line_joins_its_points() -> None:
    stacked = ET.fromstring(charts.svg_chart(
        "stacked_bar", ["A"], [charts.Dataset("x", (3,)), charts.Dataset("y", (2,))]))
    bars = [r for r in stacked.iter(f"{SVG}rect") if r.get("width") != "10"]
    assert len(bars) == 2
    # 3 + 2 = 5 on a 0..5 scale: the two stacked bars fill the plot's height together
    assert sum(float(r.get("height", 0)) for r in bars) == pytest.approx(charts.HEIGHT - 132,
                                                                         abs=0.2)
    line = ET.fromstring(charts.svg_chart(
        "line", ["2025-01", "2025-02", "2025-03"], [charts.Dataset("x", (1, 2, 3))]))
    points = next(line.iter(f"{SVG}polyline")).get("points", "").split()
    assert len(points) == 3
    assert charts.nice_step(Decimal(7)) == Decimal(2)
    assert charts.nice_step(Decimal(1234)) == Decimal(500)


def test_the_pdf_has_the_figures_and_the_chart() -> None:
    result = made_by_hand()
    shown = exports.table(result, "lv")
    chart = exports.chart_data(result, "lv")
    html = ("<html><body><h1>P8</h1>" + charts.svg_chart(chart.kind, chart.labels, chart.datasets)
            + "<table>" + "".join("<tr>" + "".join(f"<td>{f.text}</td>" for f in row.figures)
                                  + "</tr>" for row in shown.rows) + "</table></body></html>")
    pdf = PdfReader(io.BytesIO(exports.render_pdf(html)))
    text = flat("".join(page.extract_text() for page in pdf.pages))
    assert "1 234,56 €" in text and "1 474,43 €" in text
    assert "2025-02" in text  # the chart's legend, drawn as SVG text


# --- downloaded -----------------------------------------------------------------------------------


def test_the_downloads_open_and_carry_the_readers_figures_only(
        reader: Callable[[str], FlaskClient], data: dict[str, str], web_services: Services,
        app: Flask) -> None:
    ministry = reader("LM")
    response = ministry.get("/reports/co_payments.csv?period=2025")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "private, no-store"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs then read Latvian letters
    assert "Kopā;;2;1420,00;213,00;1207,00" in text

    book = load_workbook(io.BytesIO(ministry.get("/reports/co_payments.xlsx?period=2025").data))
    sheet = book.active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["Kopā", None, 2, 1420, 213, 1207] in values

    pdf = ministry.get("/reports/co_payments.pdf?period=2025")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = flat("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    assert "Līdzmaksājumi ilgstošajā aprūpē (P8)" in text
    assert "1 207,00 €" in text and "340,00 €" in text  # the total and Zemgale's
    assert "01.01.2025–31.12.2025" in text

    # Riga's social service: its own figures, in every file.
    riga = reader("RIGA")
    riga_csv = riga.get("/reports/co_payments.csv?period=2025").data.decode("utf-8")
    assert "Kopā;;1;1020,00;153,00;867,00" in riga_csv and "Zemgale" not in riga_csv
    riga_pdf = riga.get("/reports/co_payments.pdf?period=2025&territory=RIGA")
    riga_text = flat("".join(p.extract_text() for p in PdfReader(io.BytesIO(riga_pdf.data)).pages))
    assert "867,00 €" in riga_text and "1 207,00 €" not in riga_text and "340,00" not in riga_text
    assert riga_pdf.headers["Content-Disposition"].endswith('co_payments-2025-RIGA.pdf')

    with web_services.sessions() as session:
        exported = session.scalars(select(AccessLogEntry.path).where(
            AccessLogEntry.action == "export", AccessLogEntry.record_type == "report")).all()
    assert sorted(exported) == ["/reports/co_payments.csv", "/reports/co_payments.csv",
                                "/reports/co_payments.pdf", "/reports/co_payments.pdf",
                                "/reports/co_payments.xlsx"]
