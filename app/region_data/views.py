"""The data selection page (/region-data) and its CSV and XLSX exports. HTTP only."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from app import services_of
from app.access import log as access_log
from app.access.request import current_viewer, deny, private_download
from app.access.scope import MINISTRY, PLANNING_REGION
from app.areas import MenuItem
from app.documents.service import format_eur
from app.domain.child_assessment import child_group_name, service_name
from app.domain.service_types import service_type_name
from app.texts import N_
from app.web import current_language

from . import service

bp = Blueprint("region_data", __name__)


def _filters() -> service.Filters:
    args = request.args
    tab = args.get("tab", service.ASSESSMENTS)
    process = args.get("process", "")
    return service.Filters(tab=tab, municipality=args.get("municipality", "").strip(),
                           process=int(process) if process.isdigit() else None,
                           service_type=args.get("service_type", "").strip(),
                           period_from=_day(args.get("from")), period_to=_day(args.get("to")))


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _select(filters: service.Filters, limit: int | None) -> list[service.Row] | service.Delivered:
    """The tab's selection; anything outside the viewer's choices is a logged 404."""
    viewer = current_viewer()
    if not service.may_select(viewer):
        deny("region_data", None)
    try:
        with services_of(current_app).sessions() as session:
            if filters.tab == service.DELIVERED:
                return service.select_delivered(session, viewer, filters, limit)
            return service.select_rows(session, viewer, filters, limit)
    except service.OutsideScope:
        deny("region_data", None)


@bp.get("/region-data")
@login_required
def index() -> str:
    filters = _filters()
    selected = _select(filters, service.ROW_LIMIT)
    viewer = current_viewer()
    access_log.record_access(services_of(current_app).sessions, viewer, access_log.SEARCH,
                             "region_data", None, request.path)
    with services_of(current_app).sessions() as session:
        municipalities = [(m.code, m.name_lv if current_language() == "lv" else m.name_en)
                          for m in service.selectable_municipalities(session, viewer)]
    lang = current_language()
    delivered = selected if isinstance(selected, service.Delivered) else None
    rows = delivered.rows if delivered else selected
    name_of = (lambda code: service_type_name(code, lang)) if delivered else (
        lambda code: service_name(code, lang))
    return render_template(
        "region_data/index.html", filters=filters, rows=rows, totals=delivered.totals if delivered else None,
        municipalities=municipalities, processes=service.PROCESSES[filters.tab],
        service_types=[(code, name_of(code)) for code in service.service_type_codes(filters.tab)],
        group_name=lambda code: child_group_name(code, lang) if code else "",
        service_name=name_of, euro=lambda amount: format_eur(amount.cents),
        limit=service.ROW_LIMIT,
        export_args={k: v for k, v in request.args.items() if v})


def _export(filters: service.Filters) -> tuple[list[str], list[list[object]]]:
    """The export's translated header and typed lines; the access log records the export."""
    selected = _select(filters, None)
    access_log.record_access(services_of(current_app).sessions, current_viewer(),
                             access_log.EXPORT, "region_data", None, request.path)
    lang = current_language()
    if isinstance(selected, service.Delivered):
        lines = [service.delivered_cells(row, lang) for row in selected.rows]
    else:
        lines = [service.instance_cells(row) for row in selected]
    return [_(title) for title in service.COLUMN_TITLES[filters.tab]], lines


@bp.get("/region-data/export.csv")
@login_required
def export_csv() -> Response:
    filters = _filters()
    titles, lines = _export(filters)
    return private_download(service.to_csv(titles, lines), "text/csv; charset=utf-8",
                     f"region-data-{filters.tab}.csv")


@bp.get("/region-data/export.xlsx")
@login_required
def export_xlsx() -> Response:
    filters = _filters()
    titles, lines = _export(filters)
    return private_download(service.to_xlsx(titles, lines, _(service.SHEET_TITLES[filters.tab])),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"region-data-{filters.tab}.xlsx")




MENU = (MenuItem("region_data.index", N_("Regional data"),
                 frozenset({PLANNING_REGION, MINISTRY})),)
