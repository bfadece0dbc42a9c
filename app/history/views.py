"""Instance history pages (diagram, timeline, chain check, PDF and JSON exports) and the access
log search for auditors. Reads only: nothing here changes a case. Every instance is looked up
through ``app.access.scope``; every view, export and search is written to the access log."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext
from flask_login import current_user, login_required

from app import services_of
from app.access import log as access_log
from app.access.organisations import organisation_names
from app.access.request import current_viewer, deny, log_view, private_download
from app.access.scope import readable_person
from app.cases import personal_codes
from app.cases.service import find_persons
from app.db.models import Person, utcnow
from app.domain.calendar import format_lv_datetime
from app.web import current_language

from . import access_log as access_search
from . import export, service

bp = Blueprint("history", __name__)

LIST_LIMIT = 100


@bp.get("/instances")
@login_required
def instances() -> str:
    """Processes in the viewer's scope, found by case number or by the person they are about."""
    viewer = current_viewer()
    term = request.args.get("q", "").strip()[:120]
    with services_of(current_app).sessions() as db:
        found = service.find_instances(db, viewer, term, LIST_LIMIT)
    if term:
        # A search by personal code tells whether the person is known: logged like a view.
        log_view("person", None, access_log.SEARCH)
    return render_template("history/instances.html", term=term, rows=found, limit=LIST_LIMIT)


@bp.get("/instances/<int:instance_id>")
@login_required
def instance(instance_id: int) -> str:
    history = _history_or_404(instance_id)
    log_view("instance", instance_id)
    return render_template("history/instance.html", history=history,
                           diagram_json=json.dumps(history.diagram_data(), ensure_ascii=False),
                           **_page_helpers())


@bp.get("/instances/<int:instance_id>/history.pdf")
@login_required
def export_pdf(instance_id: int) -> Response:
    history = _history_or_404(instance_id)
    log_view("instance", instance_id, access_log.EXPORT)
    html = render_template("history/history_pdf.html", history=history,
                           generated_at=utcnow(), generated_by=current_user.display_name,
                           generated_by_username=current_user.username, **_page_helpers())
    pdf = export.render_pdf(html)
    return private_download(pdf, "application/pdf", f"vesture-{instance_id}.pdf")


@bp.get("/instances/<int:instance_id>/history.json")
@login_required
def export_json(instance_id: int) -> Response:
    history = _history_or_404(instance_id)
    log_view("instance", instance_id, access_log.EXPORT)
    body = export.history_json(history, generated_by=current_user.username,
                               generated_at=utcnow())
    text = json.dumps(body, ensure_ascii=False, indent=2, default=str)
    return private_download(text.encode("utf-8"), "application/json", f"vesture-{instance_id}.json")


@bp.get("/audit/access")
@login_required
def access() -> str:
    """Who looked at a person's records, or what a user looked at; auditors only."""
    viewer = current_viewer()
    if not viewer.is_auditor:
        abort(403)
    term = request.args.get("q", "").strip()[:120]
    query = access_search.AccessQuery.from_args(request.args)
    persons: list[Person] = []
    person: Person | None = None
    page = None
    with services_of(current_app).sessions() as db:
        if term:
            persons = find_persons(db, viewer, term)
        if query.person_id is not None:
            # Auditors read every person; the lookup still goes through the scope.
            found = readable_person(db, viewer, query.person_id)
            if found is None:
                deny("person", query.person_id)
            person = found
        if query.asks:
            page = access_search.access_page(db, query)
        org_names = organisation_names(db, current_language())
    if term:
        log_view("person", None, access_log.SEARCH)
    if query.person_id is not None:
        log_view(access_search.ACCESS_LOG_RECORD, query.person_id)
    elif query.username:
        log_view(access_search.ACCESS_LOG_RECORD, None, access_log.SEARCH)
    return render_template("history/access_log.html", term=term, persons=persons,
                           person=person, query=query, page=page, org_names=org_names,
                           masked=personal_codes.masked)


# --- helpers -------------------------------------------------------------------------------------


def _history_or_404(instance_id: int) -> service.InstanceHistory:
    viewer = current_viewer()
    services = services_of(current_app)
    with services.sessions() as db:
        history = service.instance_history(db, viewer, instance_id,
                                           forms_dir=services.settings.forms_dir,
                                           lang=current_language())
    if history is None:
        deny("instance", instance_id)
    return history


def _page_helpers() -> dict[str, Callable[..., str]]:
    mask = not current_viewer().works_on_cases
    yes, no = gettext("Yes"), gettext("No")

    def show(value: Any) -> str:
        return service.display_value(value, mask_codes=mask, yes=yes, no=no)

    return {"show": show, "when": format_lv_datetime}


