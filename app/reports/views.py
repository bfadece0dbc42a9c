"""Report pages (/reports): the catalogue by topic (only the reports the person may see), each
report's dashboard (period and territory chosen by the reader, a chart and a table whose figures
link to the records behind them), the lists behind the figures, and the CSV, XLSX and PDF files.

The dashboard answers at once and its figures follow (htmx asks for them with a spinner in
their place), so a slow report never leaves a blank page. A report the person may not see, a
period or territory that is not theirs, and a tampered figure link all answer 404 with a message
that says which. HTTP only: the figures come from ``engine``, the files from ``exports``."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app import services_of
from app.access import log as access_log
from app.access.request import current_viewer, log_view, private_download
from app.areas import MenuItem
from app.db.models import Organisation
from app.domain.calendar import format_lv, parse_date, today_in_latvia
from app.texts import N_
from app.web import current_language, error_page

from . import charts, engine, exports
from .definitions import REPORTS, TOPICS, ReportDefinition
from .subscription_views import bp as subscriptions_bp

bp = Blueprint("reports", __name__, static_folder="static", static_url_path="/static/reports")
# The monthly pack's page and downloads (/reports/subscriptions, /reports/packs/<id>).
bp.register_blueprint(subscriptions_bp)

# The query arguments that are not a figure's dimension values.
_NOT_A_CELL = frozenset({"period", "territory", "lang"})
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- what the reader asked for ------------------------------------------------------------------


class _Refused(Exception):
    """The request names something the reader may not have; ``message`` says what."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _lang() -> str:
    return current_language()


def _refuse(error: _Refused) -> ResponseReturnValue:
    access_log.record_access(services_of(current_app).sessions, current_viewer(),
                             access_log.DENIED, "report", None, request.path)
    return error_page(404, error.message)


def _definition(report_id: str) -> ReportDefinition:
    try:
        return engine.definition_for(current_viewer(), report_id)
    except engine.ReportNotFound:
        raise _Refused(_("There is no report “%(id)s”, or it is not available to you. Choose "
                         "a report from the list of reports.", id=report_id[:60])) from None


def _choices(definition: ReportDefinition) -> dict[str, Any]:
    """The periods and territories the reader may choose, and the ones chosen (checked)."""
    lang = _lang()
    offered = engine.periods(definition, today_in_latvia())
    period = (request.args.get("period") or "").strip() or offered[0]
    try:
        engine.period_bounds(definition.period, period)
    except engine.InvalidFilter:
        kinds = {"month": _("a month, e.g. 2025-10"), "quarter": _("a quarter, e.g. 2025-Q3"),
                 "year": _("a year, e.g. 2025")}
        raise _Refused(_("“%(period)s” is not a period of this report: it is counted by "
                         "%(kind)s. Choose a period from the list.", period=period[:20],
                         kind=kinds[definition.period])) from None
    if period not in offered:
        offered = sorted([*offered, period], reverse=True)
    with services_of(current_app).sessions() as db:
        territories = engine.territory_choices(db, current_viewer())
    territory = (request.args.get("territory") or "").strip()
    labels = {code: (en if lang == "en" else lv) for code, lv, en in territories}
    if territory and territory not in labels:
        raise _Refused(_("“%(code)s” is not a territory you may choose. Choose one from the "
                         "list, or everything available to you.", code=territory[:40]))
    return {"periods": offered, "period": period, "territories": territories,
            "territory": territory or None,
            "territory_label": labels.get(territory) or exports.word("everything", lang)}


def _run(definition: ReportDefinition, chosen: dict[str, Any]) -> engine.ReportResult:
    with services_of(current_app).sessions() as db:
        return engine.run(db, definition.id, current_viewer(), period=chosen["period"],
                          territory=chosen["territory"])


def _page(definition: ReportDefinition, chosen: dict[str, Any]) -> dict[str, Any]:
    lang = _lang()
    return {"definition": definition, "lang": lang, "title": definition.title(lang),
            "topic": TOPICS[definition.topic][1 if lang == "en" else 0], **chosen}


def _figures_context(definition: ReportDefinition, chosen: dict[str, Any]) -> dict[str, Any]:
    lang = _lang()
    result = _run(definition, chosen)
    chart = exports.chart_data(result, lang)
    return {"result": result, "shown": exports.table(result, lang), "chart": chart,
            "chart_datasets": chart.for_chartjs(), "period_text": exports.period_text(result),
            "drilldown": definition.drilldown}


# --- pages --------------------------------------------------------------------------------------


@bp.get("/reports")
@login_required
def catalogue() -> ResponseReturnValue:
    lang = _lang()
    visible = engine.visible_reports(current_viewer())
    topics = [(topic, titles[1] if lang == "en" else titles[0],
               [r for r in visible if r.topic == topic]) for topic, titles in TOPICS.items()]
    return render_template("reports/catalogue.html", lang=lang,
                           topics=[t for t in topics if t[2]])


@bp.get("/reports/<report_id>")
@login_required
def dashboard(report_id: str) -> ResponseReturnValue:
    try:
        definition = _definition(report_id)
        chosen = _choices(definition)
    except _Refused as refused:
        return _refuse(refused)
    return render_template("reports/dashboard.html", **_page(definition, chosen))


@bp.get("/reports/<report_id>/figures")
@login_required
def figures(report_id: str) -> ResponseReturnValue:
    """The dashboard's table and chart: alone when htmx asks for them, else as a whole page
    (the link a reader without JavaScript follows)."""
    try:
        definition = _definition(report_id)
        chosen = _choices(definition)
        context = _figures_context(definition, chosen)
    except _Refused as refused:
        return _refuse(refused)
    page = _page(definition, chosen) | context
    if request.headers.get("HX-Request") == "true":
        return render_template("reports/_figures.html", **page)
    return render_template("reports/figures.html", **page)


@bp.get("/reports/<report_id>/records")
@login_required
def records(report_id: str) -> ResponseReturnValue:
    """The records behind one figure: the figure's dimension values are the query's other
    arguments (an empty one is "none recorded")."""
    lang = _lang()
    cell = {k: v for k, v in request.args.items() if k not in _NOT_A_CELL}
    try:
        definition = _definition(report_id)
        chosen = _choices(definition)
        if not definition.drilldown:
            raise _Refused(_("The figures of this report do not link to a list of records."))
        try:
            with services_of(current_app).sessions() as db:
                rows = engine.drilldown(db, definition.id, current_viewer(),
                                        period=chosen["period"], territory=chosen["territory"],
                                        cell=cell)
        except engine.ReportNotFound:
            raise _Refused(_("This link does not name a figure of the report. Open the list "
                             "from a figure in the report's table.")) from None
    except _Refused as refused:
        return _refuse(refused)
    # A list of persons' records: logged like every other list.
    log_view("report_records", None, access_log.SEARCH)
    labels = []
    for dimension in definition.dimensions:
        if dimension.name in cell:
            value = cell[dimension.name] or None
            shown = dimension.label(value, lang) if value else None
            labels.append((dimension.title_en if lang == "en" else dimension.title_lv,
                           shown or _organisation_name(value, lang) or (value or "—")))
    for row in rows:
        row["date_text"] = _date_text(row["fact_date"])
    return render_template("reports/records.html", **_page(definition, chosen), rows=rows,
                           cell=cell, cell_labels=labels, limit=engine.DRILLDOWN_LIMIT)


def _organisation_name(code: str | None, lang: str) -> str | None:
    """The name of an organisation a figure is of (a region, municipality, institution, court)."""
    if not code:
        return None
    with services_of(current_app).sessions() as db:
        found = db.get(Organisation, code)
    if found is None:
        return None
    return found.name_en if lang == "en" else found.name_lv


def _date_text(value: str) -> str:
    """A fact's ISO date as DD.MM.YYYY; a month (``YYYY-MM``) stays as it is."""
    if len(value) == 10:
        try:
            return format_lv(parse_date(value))
        except ValueError:
            return value
    return value


# --- files --------------------------------------------------------------------------------------


def _export(report_id: str, extension: str) -> ResponseReturnValue:
    lang = _lang()
    try:
        definition = _definition(report_id)
        chosen = _choices(definition)
        result = _run(definition, chosen)
    except _Refused as refused:
        return _refuse(refused)
    log_view("report", None, access_log.EXPORT)
    name = exports.file_name(result, extension)
    if extension == "csv":
        return private_download(exports.csv_file(result, lang), "text/csv", name)
    if extension == "xlsx":
        return private_download(exports.xlsx_file(result, lang, chosen["territory_label"]),
                                _XLSX, name)
    chart = exports.chart_data(result, lang)
    svg = charts.svg_chart(chart.kind, chart.labels, chart.datasets, axis_title=chart.axis)
    html = render_template("reports/report_pdf.html", **_page(definition, chosen),
                           result=result, shown=exports.table(result, lang), chart_svg=Markup(svg),
                           period_text=exports.period_text(result),
                           made_by=current_user.display_name,
                           made_on=format_lv(today_in_latvia()))
    return private_download(exports.render_pdf(html), "application/pdf", name)


@bp.get("/reports/<report_id>.csv")
@login_required
def export_csv(report_id: str) -> ResponseReturnValue:
    return _export(report_id, "csv")


@bp.get("/reports/<report_id>.xlsx")
@login_required
def export_xlsx(report_id: str) -> ResponseReturnValue:
    return _export(report_id, "xlsx")


@bp.get("/reports/<report_id>.pdf")
@login_required
def export_pdf(report_id: str) -> ResponseReturnValue:
    return _export(report_id, "pdf")


# Every organisation kind some report is for; the page lists only what the person may open.
MENU = (MenuItem("reports.catalogue", N_("Reports"),
                 frozenset(kind for r in REPORTS.values()
                           for kind in r.audience.organisation_kinds)),)
