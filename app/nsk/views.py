"""NSK pages: the monthly compensation reports (list, one report with its lines, CSV), the
payment instructions, and starting a person's eligibility check from the case file."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from app import services_of
from app.access import log as access_log
from app.access.request import current_viewer, deny, log_view, private_download
from app.access.scope import MINISTRY, MUNICIPALITY, actionable_filter, record_filter
from app.areas import MenuItem
from app.cases.service import NotAllowed, readable_person
from app.db.models import HumanTask, NskPayment, NskReport, ProcessInstance
from app.documents.service import format_eur
from app.domain import nsk as rules
from app.domain.calendar import parse_date, today_in_latvia
from app.monthly_reports import latest_documents
from app.texts import N_

from . import service

bp = Blueprint("nsk", __name__)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_LV_DAY = re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")


def _register_filters(state: BlueprintSetupState) -> None:
    state.app.jinja_env.filters.setdefault("eur", format_eur)


bp.record_once(_register_filters)


@bp.get("/nsk/reports")
@login_required
def reports() -> ResponseReturnValue:
    viewer = current_viewer()
    period = (request.args.get("period") or "").strip()
    period_error = None
    if period:
        try:
            rules.period_bounds(period)
        except ValueError:
            # A mistyped month shows the message and every report, never an empty list that
            # would look like a month without reports.
            period_error, period = _("The month must be written YYYY-MM, e.g. 2026-09."), ""
    query = select(ProcessInstance).where(ProcessInstance.process_key == service.REPORT_PROCESS,
                                          record_filter(viewer, ProcessInstance))
    if period:
        query = query.where(ProcessInstance.business_key.endswith(f"-{period}"))
    with services_of(current_app).sessions() as db:
        instances = list(db.scalars(query.order_by(ProcessInstance.business_key.desc()).limit(500)))
        latest = service.latest_reports(db, [i.id for i in instances])
    log_view("nsk_report", None)
    return render_template("nsk/reports.html", instances=instances, latest=latest, period=period,
                           period_error=period_error, entered=request.args.get("period", ""))


def _readable_report(db: object, instance_id: int) -> ProcessInstance | None:
    viewer = current_viewer()
    return db.scalars(select(ProcessInstance).where(  # type: ignore[attr-defined,no-any-return]
        ProcessInstance.id == instance_id, ProcessInstance.process_key == service.REPORT_PROCESS,
        record_filter(viewer, ProcessInstance))).first()


@bp.get("/nsk/reports/<int:instance_id>")
@login_required
def report(instance_id: int) -> ResponseReturnValue:
    services = services_of(current_app)
    viewer = current_viewer()
    with services.sessions() as db:
        instance = _readable_report(db, instance_id)
        if instance is None:
            access_log.record_access(services.sessions, viewer, access_log.DENIED, "nsk_report",
                                     instance_id, request.path)
            abort(404)
        versions = list(db.scalars(select(NskReport).where(NskReport.instance_id == instance_id)
                                   .order_by(NskReport.version.desc())))
        data = _shown(service.report_data(db, versions[0])) if versions else None
        payment = db.scalars(select(NskPayment).where(NskPayment.instance_id == instance_id)).first()
        document = latest_documents(db, [instance_id], service.REPORT_KIND).get(instance_id)
        # Only a task the viewer may work on gets a button (the municipality cannot approve).
        open_task = db.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, actionable_filter(viewer))).first()
    log_view("nsk_report", instance_id)
    return render_template("nsk/report.html", instance=instance, versions=versions, data=data,
                           payment=payment, document=document, open_task=open_task)


def _shown(data: dict[str, Any]) -> dict[str, Any]:
    """The report's data with its ISO date strings (JSON-ready for the PDF and the CSV) as
    dates, for the page's DD.MM.YYYY filter."""
    rows = [dict(row, **{key: parse_date(row[key]) for key in ("from", "to")})
            for row in data["rows"]]
    return dict(data, rows=rows, period_from=parse_date(data["period_from"]),
                period_to=parse_date(data["period_to"]))


@bp.get("/nsk/reports/<int:instance_id>.csv")
@login_required
def report_csv(instance_id: int) -> Response:
    services = services_of(current_app)
    viewer = current_viewer()
    with services.sessions() as db:
        instance = _readable_report(db, instance_id)
        document = latest_documents(db, [instance_id], service.REPORT_KIND).get(instance_id) \
            if instance else None
    if instance is None or document is None:
        access_log.record_access(services.sessions, viewer, access_log.DENIED, "nsk_report",
                                 instance_id, request.path)
        abort(404)
    access_log.record_access(services.sessions, viewer, access_log.DOWNLOAD, "nsk_report",
                             instance_id, request.path)
    data = document.data
    name = f"nsk-{data.get('municipality_code')}-{data.get('period')}-v{document.version}.csv"
    return private_download(service.report_csv(data), "text/csv", name)


@bp.get("/nsk/payments")
@login_required
def payments() -> ResponseReturnValue:
    viewer = current_viewer()
    with services_of(current_app).sessions() as db:
        rows = list(db.scalars(select(NskPayment).where(record_filter(viewer, NskPayment))
                               .order_by(NskPayment.period.desc(), NskPayment.id.desc()).limit(500)))
    log_view("nsk_payment", None)
    return render_template("nsk/payments.html", payments=rows)


def _check_date(text: str) -> date:
    """The date input sends YYYY-MM-DD; a typed DD.MM.YYYY is read too; empty is today."""
    text = text.strip()
    if not text:
        return today_in_latvia()
    if _LV_DAY.fullmatch(text):
        return datetime.strptime(text, "%d.%m.%Y").date()
    if not _ISO_DAY.fullmatch(text):
        raise ValueError(text)
    return parse_date(text)


@bp.post("/nsk/persons/<int:person_id>/check")
@login_required
def start_check(person_id: int) -> ResponseReturnValue:
    services = services_of(current_app)
    viewer = current_viewer()
    try:
        on = _check_date(request.form.get("check_date", ""))
    except ValueError:
        flash(_("The date is not valid (DD.MM.YYYY)."), "error")
        return redirect(url_for("cases.person", person_id=person_id))
    with services.sessions() as db:
        if readable_person(db, viewer, person_id) is None:
            deny("person", person_id)
        try:
            service.start_eligibility_check(services.engine, db, viewer, person_id, on)
        except service.NskError:
            flash(_("The person has no personal code: the check cannot ask the state registers."),
                  "error")
            return redirect(url_for("cases.person", person_id=person_id))
        except NotAllowed:
            flash(_("You may read this case file but not start a check in it."), "error")
            return redirect(url_for("cases.person", person_id=person_id))
    flash(_("The NSK eligibility check has started; its result appears here when it is done."),
          "success")
    return redirect(url_for("cases.person", person_id=person_id))


MENU = (MenuItem("nsk.reports", N_("NSK compensation reports"),
                 frozenset({MUNICIPALITY, MINISTRY})),
        MenuItem("nsk.payments", N_("NSK payment instructions"), frozenset({MINISTRY})))
