"""P1 pages: start an assessment from the case file, and compare two IAP versions."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from app import services_of
from app.access.request import current_viewer, deny, log_view
from app.access.scope import readable_person
from app.domain.calendar import today_in_latvia
from app.domain.service_types import service_type_name
from app.web import current_language

from .panels import STARTING_GROUPS, visible_versions
from .plans import diff_plans
from .service import AssessmentError, start_assessment

bp = Blueprint("assessment", __name__, url_prefix="/assessment")


@bp.post("/persons/<int:person_id>/start")
@login_required
def start(person_id: int) -> Response:
    viewer = current_viewer()
    if not (viewer.works_on_cases and STARTING_GROUPS & set(viewer.groups)):
        abort(403)
    services = services_of(current_app)
    with services.sessions() as db:
        if readable_person(db, viewer, person_id) is None:
            deny("person", person_id)
        try:
            _iid, reference = start_assessment(services.engine, db, viewer, person_id, today_in_latvia(),
                                               applicant=viewer.username)
        except AssessmentError as err:
            flash(str(err), "error")
            return redirect(url_for("cases.person", person_id=person_id))
    flash(_("Needs assessment %(reference)s started.", reference=reference), "success")
    return redirect(url_for("cases.person", person_id=person_id))


@bp.get("/persons/<int:person_id>/plans/compare")
@login_required
def compare(person_id: int) -> str:
    viewer = current_viewer()
    with services_of(current_app).sessions() as db:
        person = readable_person(db, viewer, person_id)
        if person is None:
            deny("person", person_id)
        versions = {v.version: v for v in visible_versions(db, viewer, person_id)}
    if not versions:
        abort(404)
    numbers = sorted(versions)
    old_number = request.args.get("from", type=int) or (numbers[-2] if len(numbers) > 1
                                                         else numbers[0])
    new_number = request.args.get("to", type=int) or numbers[-1]
    if old_number not in versions or new_number not in versions:
        abort(404)
    old, new = versions[old_number], versions[new_number]
    log_view("person", person_id)
    lang = current_language()
    return render_template("assessment/compare.html", person=person, numbers=numbers, old=old,
                           new=new, change=diff_plans(old.content, new.content),
                           service_name=lambda code: service_type_name(str(code), lang))
