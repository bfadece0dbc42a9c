"""A report's figures as people read them and take them away: the table as shown (labels, numbers
in the reader's language, euro from cents), the chart's data, and the CSV, XLSX and PDF files.
No Flask here: the view renders the PDF's HTML and hands it over, as for the history PDF.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from app.domain.calendar import format_lv
from app.forms.service import format_money
from app.monthly_reports import csv_text, euro_text

from .charts import Dataset
from .engine import Column, ReportResult, period_bounds

MONEY_UNIT = "eur_cents"
PDF_STYLESHEET = Path(__file__).resolve().parent / "static" / "report-pdf.css"
# The words the files need in both languages (the pages take theirs from the catalog).
_WORDS = {
    "total": ("Kopā", "Total"),
    "period": ("Periods", "Period"),
    "territory": ("Teritorija", "Territory"),
    "everything": ("Viss, kas jums pieejams", "Everything available to you"),
    "made": ("Sagatavots", "Prepared"),
    "report": ("Pārskats", "Report"),
}


def word(name: str, lang: str) -> str:
    lv, en = _WORDS[name]
    return en if lang == "en" else lv


@dataclass(frozen=True)
class ShownCell:
    """One figure: as text, its exact value (euro for money, never a float), and the
    dimension values that select the records behind it (for the drill-down link)."""

    text: str
    value: int | Decimal | None
    unit: str | None
    cell: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ShownRow:
    labels: tuple[str, ...]
    figures: tuple[ShownCell, ...]
    is_total: bool


@dataclass(frozen=True)
class ShownTable:
    headers: tuple[str, ...]  # the dimensions' titles, then the measures'
    dimension_count: int
    units: tuple[str | None, ...]  # per measure
    rows: tuple[ShownRow, ...]  # the report's rows, then the totals row


# --- numbers and labels -------------------------------------------------------------------------

def exact_value(value: Any, unit: str | None) -> int | Decimal | None:
    """The figure as a number to compute with: euro (Decimal) for amounts held in cents."""
    if value is None:
        return None
    if unit == MONEY_UNIT:
        return Decimal(int(value)) / 100
    return value if isinstance(value, Decimal) else int(value)


def number_text(value: Any, unit: str | None, lang: str) -> str:
    """A figure as the reader writes it: 1 234 and 12,5 in Latvian (1,234 and 12.5 in English);
    amounts in euro from cents (1 234,50 €, €1,234.50)."""
    if value is None:
        return "—"
    if unit == MONEY_UNIT:
        return format_money(Decimal(int(value)) / 100, lang)
    if isinstance(value, Decimal):
        places = max(0, -int(value.as_tuple().exponent))  # type: ignore[operator]
        text = f"{value:,.{places}f}"
    else:
        text = f"{int(value):,}"
    return text if lang == "en" else text.replace(",", "\u00a0").replace(".", ",")


def spreadsheet_text(value: Any, unit: str | None) -> str:
    """A figure as a CSV cell of the product's Latvian convention: decimal comma, euro from
    cents (``1234,50``), no thousands separator, empty where there is no figure."""
    if value is None:
        return ""
    if unit == MONEY_UNIT:
        return euro_text(int(value))
    return str(value).replace(".", ",")


def period_days(result: ReportResult) -> tuple[date, date]:
    """The period's first and last day."""
    start, after = period_bounds(result.definition.period, result.period)
    return start, after - timedelta(days=1)


def period_text(result: ReportResult) -> str:
    start, last = period_days(result)
    return f"{result.period} ({format_lv(start)}–{format_lv(last)})"


def table(result: ReportResult, lang: str) -> ShownTable:
    """The report's rows and totals as shown on the dashboard and in every file."""
    dimensions = result.dimensions
    measures = result.measures
    rows = []
    for row in result.rows:
        key = {d.name: row[d.name] or "" for d in dimensions}
        rows.append(ShownRow(
            tuple(result.label(d.name, row[d.name], lang) for d in dimensions),
            tuple(ShownCell(number_text(row[m.name], m.unit, lang), exact_value(row[m.name], m.unit),
                            m.unit, key) for m in measures),
            False))
    if result.totals:
        labels = tuple([word("total", lang)] + [""] * max(len(dimensions) - 1, 0))
        rows.append(ShownRow(labels, tuple(
            ShownCell(number_text(result.totals.get(m.name), m.unit, lang),
                      exact_value(result.totals.get(m.name), m.unit), m.unit, {})
            for m in measures), True))
    return ShownTable(tuple(c.title(lang) for c in [*dimensions, *measures]), len(dimensions),
                      tuple(m.unit for m in measures), tuple(rows))


# --- the chart's data ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartData:
    kind: str  # bar | line | stacked_bar
    labels: list[str]
    datasets: list[Dataset]
    axis: str  # what the values count

    def for_chartjs(self) -> list[dict[str, Any]]:
        """Datasets for Chart.js; numbers as decimal strings (Chart.js reads them), so money
        never passes through a float on its way to the page."""
        return [{"label": d.label, "data": [None if v is None else str(v) for v in d.values]}
                for d in self.datasets]


def chart_data(result: ReportResult, lang: str) -> ChartData:
    """What the chart draws. With two or more dimensions: one bar (or point) per combination of
    all but the last, one dataset per value of the last (the stacks of a stacked bar), counting
    the first measure. With one dimension: one per value, a dataset per measure of the first
    measure's unit (days and persons do not share an axis). Without dimensions: the totals."""
    dimensions = result.dimensions
    measures = result.measures
    first = measures[0]
    axis = f"{first.title(lang)}{_unit_suffix(first, lang)}"
    if len(dimensions) >= 2:
        *outer, inner = dimensions
        labels: list[str] = []
        keys: list[tuple[Any, ...]] = []
        stacks: dict[Any, str] = {}
        for row in result.rows:
            key = tuple(row[d.name] for d in outer)
            if key not in keys:
                keys.append(key)
                labels.append(" · ".join(result.label(d.name, row[d.name], lang) for d in outer))
            stacks.setdefault(row[inner.name], result.label(inner.name, row[inner.name], lang))
        figures = {(tuple(row[d.name] for d in outer), row[inner.name]): row[first.name]
                   for row in result.rows}
        datasets = [Dataset(label, tuple(exact_value(figures.get((key, code)), first.unit)
                                         for key in keys))
                    for code, label in stacks.items()]
        return ChartData(result.definition.chart, labels, datasets, axis)
    same_unit = [m for m in measures if m.unit == first.unit]
    if dimensions:
        only = dimensions[0]
        labels = [result.label(only.name, row[only.name], lang) for row in result.rows]
        datasets = [Dataset(m.title(lang), tuple(exact_value(row[m.name], m.unit)
                                                 for row in result.rows)) for m in same_unit]
    else:
        labels = [word("total", lang)]
        datasets = [Dataset(m.title(lang), (exact_value(result.totals.get(m.name), m.unit),))
                    for m in same_unit]
    return ChartData(result.definition.chart, labels, datasets, axis)


def _unit_suffix(measure: Column, lang: str) -> str:
    if measure.unit == MONEY_UNIT:
        return ", €" if lang == "en" else ", EUR"
    return ""


# --- files --------------------------------------------------------------------------------------

def file_name(result: ReportResult, extension: str) -> str:
    territory = f"-{result.territory}" if result.territory else ""
    return f"{result.definition.id}-{result.period}{territory}.{extension}"


def csv_file(result: ReportResult, lang: str) -> str:
    """The table as semicolon-separated text with decimal commas (app.monthly_reports's
    convention, which Latvian spreadsheets open), the totals as its last line."""
    shown = table(result, lang)
    headers = list(shown.headers)
    dimensions = result.dimensions
    measures = result.measures
    lines = []
    for row in result.rows:
        line = {h: result.label(d.name, row[d.name], lang) if row[d.name] is not None else ""
                for h, d in zip(headers, dimensions, strict=False)}
        line.update({h: spreadsheet_text(row[m.name], m.unit)
                     for h, m in zip(headers[len(dimensions):], measures, strict=True)})
        lines.append(line)
    totals = None
    if result.totals:
        totals = ([word("total", lang)] + [""] * max(len(dimensions) - 1, 0)
                  + [spreadsheet_text(result.totals.get(m.name), m.unit) for m in measures])
    return csv_text(headers, lines, totals)


def _sheet_title(text: str) -> str:
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in text).strip()
    return (cleaned or "Report")[:31]


def xlsx_file(result: ReportResult, lang: str, territory_label: str) -> bytes:
    """The table as a workbook: the title, period and territory above it, numbers as numbers
    (euro with two places, averages with one) so the reader can compute with them."""
    shown = table(result, lang)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_title(result.definition.title(lang))
    sheet.append([result.definition.title(lang)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([word("period", lang), period_text(result)])
    sheet.append([word("territory", lang), territory_label])
    sheet.append([])
    sheet.append(list(shown.headers))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in shown.rows:
        sheet.append([*row.labels, *(f.value for f in row.figures)])
        current = sheet.max_row
        for offset, figure in enumerate(row.figures):
            cell = sheet.cell(row=current, column=shown.dimension_count + offset + 1)
            if figure.unit == MONEY_UNIT:
                cell.number_format = '#,##0.00 "€"'
            elif isinstance(figure.value, Decimal):
                cell.number_format = "0.0"
            if row.is_total:
                cell.font = Font(bold=True)
        if row.is_total and shown.dimension_count:
            sheet.cell(row=current, column=1).font = Font(bold=True)
    for index, header in enumerate(shown.headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(len(header) + 4, 40))
    sheet.column_dimensions["A"].width = 32
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_pdf(html: str) -> bytes:
    """A4 PDF of the report's HTML (table and SVG chart); fonts from the system, nothing
    fetched from anywhere."""
    from weasyprint import CSS, HTML  # heavy: loaded when a PDF is asked for

    pdf = HTML(string=html, url_fetcher=_refuse_fetch).write_pdf(
        stylesheets=[CSS(filename=str(PDF_STYLESHEET))])
    assert pdf is not None
    return pdf


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # The report's figures are in the HTML and the chart is inline SVG: nothing is loaded.
    raise ValueError(f"the report PDF loads no resources ({url[:40]})")


__all__ = ["ChartData", "ShownCell", "ShownRow", "ShownTable", "chart_data", "csv_file",
           "file_name", "number_text", "period_text", "render_pdf", "table", "xlsx_file"]

