"""P8 pages of a VSAC: the residents whose stay has no co-payment case yet, and the admission
form that starts the case (from that list or from the resident's case file)."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app import services_of
from app.access.request import current_viewer, deny, log_view
from app.access.scope import VSAC
from app.areas import MenuItem
from app.domain.calendar import today_in_latvia
from app.texts import N_

from . import admission

bp = Blueprint("co_payment", __name__)

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@bp.get("/co-payment/residents")
@login_required
def residents() -> ResponseReturnValue:
    viewer = current_viewer()
    if viewer.organisation_kind != VSAC:
        abort(403)
    with services_of(current_app).sessions() as db:
        people = admission.residents_without_case(db, viewer)
    log_view("person_list", None)
    return render_template("co_payment/residents.html", residents=people,
                           may_register=admission.may_register(viewer))


@bp.route("/co-payment/persons/<int:person_id>/admission", methods=["GET", "POST"])
@login_required
def admit(person_id: int) -> ResponseReturnValue:
    services = services_of(current_app)
    viewer = current_viewer()
    if not admission.may_register(viewer):
        abort(403)
    today = today_in_latvia()
    typed = request.form.get("admission_date", "").strip() if request.method == "POST" else ""
    error = None
    if request.method == "POST":
        admitted = parse_day(typed)
        if admitted is None:
            error = _("Write the admission date as DD.MM.YYYY.")
        else:
            with services.sessions() as db:
                try:
                    started = admission.register(services.engine, db, viewer, person_id,
                                                 admitted, today)
                except LookupError:
                    deny("person", person_id)
                except admission.AdmissionRefused as err:
                    error = _(err.message, **err.values)
                else:
                    db.commit()  # ends the transaction that held the person's lock
                    flash(_("The admission was registered; co-payment case %(reference)s "
                            "started.", reference=started.reference), "success")
                    return redirect(url_for("cases.person", person_id=person_id))
    with services.sessions() as db:
        person = admission.resident(db, viewer, person_id)
        if person is None:
            deny("person", person_id)
        running = admission.running_case(db, person_id)
    log_view("person", person_id)
    shown = typed if request.method == "POST" else today.strftime("%d.%m.%Y")
    return render_template("co_payment/admission.html", person=person, running=running,
                           error=error, value=shown, today=today), (422 if error else 200)


def parse_day(text: str) -> date | None:
    """DD.MM.YYYY as shown; YYYY-MM-DD too (what a date control sends)."""
    try:
        if _ISO.match(text):
            return date.fromisoformat(text)
        return datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        return None


MENU = (MenuItem("co_payment.residents", N_("Co-payment: admissions"), frozenset({VSAC})),)
