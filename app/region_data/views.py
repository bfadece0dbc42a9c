"""The data selection page (/region-data) and its CSV and XLSX exports. HTTP only."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from app import services_of
from app.access import log as access_log
from app.access.request import current_viewer, deny
from app.access.scope import MINISTRY, PLANNING_REGION
from app.areas import MenuItem
from app.domain.child_assessment import child_group_name, service_name
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


def _rows(filters: service.Filters, limit: int | None) -> list[service.Row]:
    viewer = current_viewer()
    if not service.may_select(viewer):
        deny("region_data", None)
    try:
        with services_of(current_app).sessions() as session:
            return service.select_rows(session, viewer, filters, limit)
    except service.OutsideScope:
        deny("region_data", None)


@bp.get("/region-data")
@login_required
def index() -> str:
    filters = _filters()
    rows = _rows(filters, service.ROW_LIMIT)
    viewer = current_viewer()
    access_log.record_access(services_of(current_app).sessions, viewer, access_log.SEARCH,
                             "region_data", None, request.path)
    with services_of(current_app).sessions() as session:
        municipalities = [(m.code, m.name_lv if current_language() == "lv" else m.name_en)
                          for m in service.selectable_municipalities(session, viewer)]
    lang = current_language()
    return render_template(
        "region_data/index.html", filters=filters, rows=rows, municipalities=municipalities,
        processes=service.PROCESSES[filters.tab], tabs=service.TABS,
        service_types=[(code, service_name(code, lang)) for code in service.service_type_codes()],
        group_name=lambda code: child_group_name(code, lang) if code else "",
        service_name=lambda code: service_name(code, lang), limit=service.ROW_LIMIT,
        export_args={k: v for k, v in request.args.items() if v})


def _titles() -> list[str]:
    return [_(service.COLUMN_TITLES[column]) for column in service.COLUMNS]


@bp.get("/region-data/export.csv")
@login_required
def export_csv() -> Response:
    filters = _filters()
    rows = _rows(filters, None)
    access_log.record_access(services_of(current_app).sessions, current_viewer(),
                             access_log.EXPORT, "region_data", None, request.path)
    return _download(service.to_csv(rows, _titles()), "text/csv; charset=utf-8",
                     f"region-data-{filters.tab}.csv")


@bp.get("/region-data/export.xlsx")
@login_required
def export_xlsx() -> Response:
    filters = _filters()
    rows = _rows(filters, None)
    access_log.record_access(services_of(current_app).sessions, current_viewer(),
                             access_log.EXPORT, "region_data", None, request.path)
    sheet = _("Persons assessed") if filters.tab == service.ASSESSMENTS else _("Services delivered")
    return _download(service.to_xlsx(rows, _titles(), sheet),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"region-data-{filters.tab}.xlsx")


def _download(content: bytes, mimetype: str, name: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


MENU = (MenuItem("region_data.index", N_("Regional data"),
                 frozenset({PLANNING_REGION, MINISTRY})),)
