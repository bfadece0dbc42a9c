"""Service-record pages (/service-records): a municipality submits its records (CSV upload or one
by one), reads the per-record error report (page and CSV), corrects or withdraws rejected
records and starts the month's submission cycle; a planning region reads its region's records,
the ministry all. Every list goes through ``records.visible_records`` (app.access.scope). HTTP only."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers.response import Response as BaseResponse

from app import services_of
from app.access import log as access_log
from app.access.request import current_viewer, deny, log_view, private_download
from app.access.scope import MINISTRY, MUNICIPALITY, PLANNING_REGION, Viewer
from app.areas import MenuItem
from app.cases.service import NotAllowed
from app.db import transaction
from app.db.models import ProcessInstance, ServiceRecord
from app.documents.service import format_eur
from app.domain.calendar import today_in_latvia
from app.domain.community_services import UNITS, unit_name, volume_text
from app.domain.service_types import ADULT_SERVICE_TYPES, service_type_name
from app.texts import N_
from app.web import current_language

from . import records
from .providers import registered_providers
from .service import P3_KEY, cycle_key, month_period, start_submission_cycle

bp = Blueprint("community_services", __name__)


def _register_filters(state: BlueprintSetupState) -> None:
    # Amounts in cents shown as the documents show them (1 234,50 €), units in words.
    state.app.jinja_env.filters.setdefault("eur", format_eur)
    state.app.jinja_env.filters.setdefault(
        "service_unit", lambda code: unit_name(code, current_language()))
    state.app.jinja_env.filters.setdefault("service_volume", volume_text)


bp.record_once(_register_filters)

STATUSES = ("pending", "accepted", "rejected", "corrected", "withdrawn")
LIST_LIMIT = 500


def may_submit(viewer: Viewer) -> bool:
    """Only a municipality's social service submits and corrects its own records."""
    return viewer.works_on_cases and viewer.organisation_kind == MUNICIPALITY \
        and bool(viewer.municipality_code)


def _month(value: str | None) -> date:
    try:
        return date.fromisoformat(f"{value}-01") if value else today_in_latvia().replace(day=1)
    except ValueError:
        return today_in_latvia().replace(day=1)


def _cycle_of(session: Any, municipality: str, period_from: date) -> int | None:
    return session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.process_key == P3_KEY,
        ProcessInstance.business_key == cycle_key(municipality, period_from)))


def _common() -> dict[str, Any]:
    lang = current_language()
    return {"service_types": [(code, service_type_name(code, lang)) for code in ADULT_SERVICE_TYPES],
            "service_name": lambda code: service_type_name(code, lang), "units": UNITS,
            "lang": lang, "providers": sorted(registered_providers().values(), key=lambda p: p.code)}


@bp.get("/service-records")
@login_required
def index() -> str:
    viewer = current_viewer()
    month = _month(request.args.get("month"))
    period_from, period_to = month_period(month)
    status = request.args.get("status", "")
    with services_of(current_app).sessions() as session:
        query = records.visible_records(viewer).where(ServiceRecord.period_from <= period_to,
                                                      ServiceRecord.period_to >= period_from)
        if status in STATUSES:
            query = query.where(ServiceRecord.status == status)
        rows = list(session.scalars(query.order_by(ServiceRecord.municipality_code, ServiceRecord.id)
                                    .limit(LIST_LIMIT)))
        cycle_id = (_cycle_of(session, viewer.municipality_code or "", period_from)
                    if may_submit(viewer) else None)
        counts = {s: sum(1 for r in rows if r.status == s) for s in STATUSES}
    log_view("service_records", None, access_log.SEARCH)
    return render_template("community_services/index.html", rows=rows, month=period_from,
                           period_to=period_to, status=status, statuses=STATUSES, counts=counts,
                           may_submit=may_submit(viewer), cycle_id=cycle_id, limit=LIST_LIMIT,
                           **_common())


def _back(month: date) -> BaseResponse:
    return redirect(url_for("community_services.index", month=f"{month:%Y-%m}"))


def _submitter() -> Viewer:
    viewer = current_viewer()
    if not may_submit(viewer):
        deny("service_records", None)
    return viewer


@bp.post("/service-records/upload")
@login_required
def upload() -> BaseResponse:
    viewer = _submitter()
    month = _month(request.form.get("month"))
    period_from, period_to = month_period(month)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a CSV file to upload."), "error")
        return _back(month)
    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash(_("The file is not UTF-8 text."), "error")
        return _back(month)
    rows, problems = records.parse_csv(text)
    for line, problem in problems[:20]:
        flash(_("Line %(line)s was not read: %(problem)s", line=line, problem=problem), "error")
    if rows:
        _store(viewer, period_from, period_to, "PORTAL_CSV", rows)
        flash(_("%(count)s records received; they are validated when you submit the month.",
                count=len(rows)), "success")
    return _back(month)


def _store(viewer: Viewer, period_from: date, period_to: date, source: str,
           rows: list[dict[str, Any]]) -> None:
    municipality = viewer.municipality_code or ""
    with transaction(services_of(current_app).sessions) as session:
        records.submit_batch(session, municipality_code=municipality, period_from=period_from,
                             period_to=period_to, source=source, rows=rows,
                             submitted_by=viewer.username,
                             instance_id=_cycle_of(session, municipality, period_from))


@bp.post("/service-records/add")
@login_required
def add() -> BaseResponse:
    viewer = _submitter()
    month = _month(request.form.get("month"))
    try:
        row = records.read_row(request.form)
    except records.RecordError as err:
        flash(_("The record was not read: %(problem)s", problem=str(err)), "error")
        return _back(month)
    period_from, period_to = month_period(row["period_from"])
    _store(viewer, period_from, period_to, "PORTAL_FORM", [row])
    flash(_("The record is received; it is validated when you submit the month."), "success")
    return _back(period_from)


@bp.post("/service-records/cycle")
@login_required
def start_cycle() -> BaseResponse:
    viewer = _submitter()
    month = _month(request.form.get("month"))
    services = services_of(current_app)
    try:
        with services.sessions() as session:
            start_submission_cycle(services.engine, session, viewer, viewer.municipality_code or "",
                                   month)
    except NotAllowed:
        deny("service_records", None)
    flash(_("The month's submission is open in your inbox."), "success")
    return _back(month)


@bp.get("/service-records/errors")
@login_required
def errors() -> str:
    viewer = current_viewer()
    month = _month(request.args.get("month"))
    period_from, period_to = month_period(month)
    with services_of(current_app).sessions() as session:
        rows = list(session.scalars(_rejected(viewer, period_from, period_to)))
    log_view("service_records", None, access_log.SEARCH)
    return render_template("community_services/errors.html", rows=rows, month=period_from,
                           may_submit=may_submit(viewer), **_common())


def _rejected(viewer: Viewer, period_from: date, period_to: date) -> Any:
    return (records.visible_records(viewer)
            .where(ServiceRecord.status == "rejected", ServiceRecord.period_from <= period_to,
                   ServiceRecord.period_to >= period_from)
            .order_by(ServiceRecord.id))


@bp.get("/service-records/errors.csv")
@login_required
def errors_csv() -> Response:
    viewer = current_viewer()
    month = _month(request.args.get("month"))
    period_from, period_to = month_period(month)
    with services_of(current_app).sessions() as session:
        text = records.error_report_csv(session.scalars(_rejected(viewer, period_from, period_to)),
                                        current_language())
    log_view("service_records", None, access_log.EXPORT)
    return private_download(text, "text/csv", f"service-record-errors-{period_from:%Y-%m}.csv")


def _own_rejected(session: Any, viewer: Viewer, record_id: int) -> ServiceRecord:
    record = session.scalars(records.visible_records(viewer).where(
        ServiceRecord.id == record_id)).first()
    if record is None or not may_submit(viewer) or record.status != "rejected":
        deny("service_record", record_id)
    return record  # type: ignore[no-any-return]


@bp.get("/service-records/<int:record_id>/correct")
@login_required
def correct_form(record_id: int) -> str:
    viewer = current_viewer()
    with services_of(current_app).sessions() as session:
        record = _own_rejected(session, viewer, record_id)
    log_view("service_record", record_id)
    return render_template("community_services/correct.html", record=record, **_common())


@bp.post("/service-records/<int:record_id>/correct")
@login_required
def correct(record_id: int) -> BaseResponse:
    viewer = current_viewer()
    with services_of(current_app).sessions() as session:
        # Refused before the write transaction: on SQLite the refusal's access-log line could
        # not be written while that transaction holds the database's write lock.
        _own_rejected(session, viewer, record_id)
    with transaction(services_of(current_app).sessions) as session:
        record = _own_rejected(session, viewer, record_id)
        month = record.period_from
        if request.form.get("action") == "withdraw":
            records.withdraw_record(record)
            flash(_("The record is withdrawn."), "success")
        else:
            try:
                row = records.read_row(request.form)
            except records.RecordError as err:
                flash(_("The record was not read: %(problem)s", problem=str(err)), "error")
                return redirect(url_for("community_services.correct_form", record_id=record_id))
            records.correct_record(session, record, row, viewer.username)
            flash(_("The corrected record is received; it is validated when you complete the correction task."),
                  "success")
    return redirect(url_for("community_services.errors", month=f"{month:%Y-%m}"))


MENU = (MenuItem("community_services.index", N_("Service records"),
                 frozenset({MUNICIPALITY, PLANNING_REGION, MINISTRY})),)
