"""The mentor's log of daily activities: the residents being prepared, and a quick page per
resident to add entries and read them back."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app import services_of
from app.access.request import current_viewer, log_view
from app.access.scope import VSAC
from app.areas import MenuItem
from app.db import transaction
from app.domain import community_preparation as rules
from app.domain.calendar import today_in_latvia
from app.texts import N_

from . import service

bp = Blueprint("community_preparation", __name__, static_folder="static",
               static_url_path="/static/community_preparation")


@bp.get("/community-preparation/residents")
@login_required
def residents() -> ResponseReturnValue:
    viewer = current_viewer()
    with services_of(current_app).sessions() as db:
        people = service.residents(db, viewer)
    log_view("person_list", None)
    return render_template("community_preparation/residents.html", residents=people)


@bp.route("/community-preparation/residents/<int:person_id>/log", methods=["GET", "POST"])
@login_required
def activity_log(person_id: int) -> ResponseReturnValue:
    services = services_of(current_app)
    viewer = current_viewer()
    errors: list[str] = []
    if request.method == "POST":
        if not viewer.works_on_cases:
            abort(403)
        form = request.form
        try:
            entry_date = date.fromisoformat(form.get("entry_date", ""))
            minutes = int(form.get("duration_minutes", ""))
            level = int(form.get("independence_level", ""))
        except ValueError:
            errors.append(_("Give a date, a duration in minutes and a level."))
        if not errors:
            try:
                with transaction(services.sessions) as db:
                    person = service.resident(db, viewer, person_id)
                    if person is None:
                        abort(404)
                    service.add_log_entry(db, viewer, person, entry_date=entry_date,
                                          today=today_in_latvia(), activity=form.get("activity", ""),
                                          duration_minutes=minutes, independence_level=level,
                                          notes=form.get("notes", ""))
            except service.PreparationError as err:
                errors.append(str(err))
            else:
                flash(_("The entry was added."), "success")
                return redirect(url_for(".activity_log", person_id=person_id))
    with services.sessions() as db:
        person = service.resident(db, viewer, person_id)
        if person is None:
            abort(404)
        entries = service.log_entries(db, viewer, person_id)
    log_view("person", person_id)
    return render_template("community_preparation/log.html", person=person, entries=entries,
                           errors=errors, today=today_in_latvia().isoformat(),
                           levels=rules.INDEPENDENCE_LEVELS, form=request.form), \
        (422 if errors else 200)


MENU = (MenuItem("community_preparation.residents", N_("Daily activity log"),
                 frozenset({VSAC})),)
