"""The monthly group-home reports a viewer may read: the list, each report's PDF (through the
documents download) and its CSV."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import services_of
from app.access import log as access_log
from app.access.request import current_viewer, log_view, private_download
from app.access.scope import MINISTRY, MUNICIPALITY, record_filter
from app.areas import MenuItem
from app.db.models import CaseDocument, ProcessInstance
from app.documents.service import format_eur
from app.domain import group_homes as rules
from app.monthly_reports import latest_documents
from app.texts import N_

from . import service

bp = Blueprint("group_homes", __name__)
REPORT_KIND = "group_home_report"


def _register_filters(state: BlueprintSetupState) -> None:
    # Amounts in cents shown as the documents show them (1 234,50 €).
    state.app.jinja_env.filters.setdefault("eur", format_eur)


bp.record_once(_register_filters)


def _latest_documents(db: Session, instance_ids: list[int]) -> dict[int, CaseDocument]:
    return latest_documents(db, instance_ids, REPORT_KIND)


@bp.get("/group-homes/reports")
@login_required
def reports() -> ResponseReturnValue:
    viewer = current_viewer()
    with services_of(current_app).sessions() as db:
        instances = list(db.scalars(select(ProcessInstance).where(
            ProcessInstance.process_key == service.REPORT_PROCESS,
            record_filter(viewer, ProcessInstance))
            .order_by(ProcessInstance.business_key.desc()).limit(500)))
        documents = _latest_documents(db, [i.id for i in instances])
    log_view("group_home_report", None)
    return render_template("group_homes/reports.html", instances=instances, documents=documents,
                           homes=sorted(rules.register().values(),
                                        key=lambda h: (h.municipality_code, h.code)))


@bp.get("/group-homes/reports/<int:instance_id>.csv")
@login_required
def report_csv(instance_id: int) -> Response:
    services = services_of(current_app)
    viewer = current_viewer()
    with services.sessions() as db:
        instance = db.scalars(select(ProcessInstance).where(
            ProcessInstance.id == instance_id,
            ProcessInstance.process_key == service.REPORT_PROCESS,
            record_filter(viewer, ProcessInstance))).first()
        document = _latest_documents(db, [instance_id]).get(instance_id) if instance else None
    if instance is None or document is None:
        access_log.record_access(services.sessions, viewer, access_log.DENIED,
                                 "group_home_report", instance_id, request.path)
        abort(404)
    access_log.record_access(services.sessions, viewer, access_log.DOWNLOAD, "group_home_report",
                             instance_id, request.path)
    data = document.data
    name = f"grupu-majas-{data.get('municipality_code')}-{data.get('period')}-v{document.version}.csv"
    return private_download(service.report_csv(data), "text/csv", name)


MENU = (MenuItem("group_homes.reports", N_("Group-home reports"),
                 frozenset({MUNICIPALITY, MINISTRY})),)
