"""The institution's start screen for a child placed in its care (P9), and the "placement ended"
form on the case. Both go through ``service`` (I2), the same path an NPAIS message or P10 takes."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import services_of
from app.access.request import current_viewer, deny, log_view
from app.access.scope import (
    ORPHAN_COURT,
    SERVICE_PROVIDER,
    VSAC,
    Viewer,
    can_read_instance,
    readable_person,
    visible_persons,
)
from app.areas import MenuItem
from app.cases.personal_codes import InvalidPersonalCode
from app.cases.service import CaseError, NotAllowed, register_person
from app.db import transaction
from app.db.models import Organisation, Person, ProcessInstance
from app.domain.calendar import today_in_latvia
from app.engine.errors import EngineError
from app.engine.runtime import Actor
from app.texts import N_

from . import service

bp = Blueprint("out_of_family_care", __name__)
INSTITUTION_KINDS = frozenset({VSAC, SERVICE_PROVIDER})
CHILD_AGE_YEARS = 18


def _institution_viewer() -> Viewer:
    viewer = current_viewer()
    if viewer.organisation_kind not in INSTITUTION_KINDS or not viewer.works_on_cases:
        abort(403)
    return viewer


def _children(db: Session, viewer: Viewer, today: date) -> list[Person]:
    """Children in the viewer's records (under 18 today), for the "pick a child" list."""
    oldest = today.replace(year=today.year - CHILD_AGE_YEARS)
    return list(db.scalars(visible_persons(viewer).where(Person.birth_date > oldest)
                           .order_by(Person.family_name, Person.given_name).limit(500)))


def _choices(db: Session) -> dict[str, list[Organisation]]:
    rows = db.scalars(select(Organisation).where(Organisation.active.is_(True))
                      .order_by(Organisation.name_lv))
    found: dict[str, list[Organisation]] = {"orphan_courts": [], "municipalities": []}
    for row in rows:
        if row.kind == ORPHAN_COURT:
            found["orphan_courts"].append(row)
        elif row.kind == "municipality":
            found["municipalities"].append(row)
    return found


def _day(value: str, label: str, errors: list[str]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(_("%(field)s: give a date.", field=label))
        return None


@bp.route("/out-of-family-care/placements/new", methods=["GET", "POST"])
@login_required
def new_placement() -> ResponseReturnValue:
    services = services_of(current_app)
    viewer = _institution_viewer()
    today = today_in_latvia()
    errors: list[str] = []
    form = request.form
    with services.sessions() as db:
        choices = _choices(db)
    if request.method == "POST":
        placed = _day(form.get("placement_date", ""), _("Date of placement"), errors)
        if placed is not None and placed > today:
            errors.append(_("The placement date cannot be in the future."))
        court = form.get("orphan_court_code", "")
        if court not in {c.code for c in choices["orphan_courts"]}:
            errors.append(_("Choose the orphan court."))
        # The whole form is checked before a new child is registered: a refused form leaves no
        # half-registered child behind to collide with when it is sent again.
        person_id = _person_for(services, viewer, form, today, placed,
                                {m.code for m in choices["municipalities"]}, errors)
        if person_id is not None and placed is not None and not errors:
            try:
                instance_id = service.start_placement(
                    services, person_id=person_id, placement_date=placed,
                    institution_code=str(viewer.organisation_code), orphan_court_code=court,
                    actor=Actor(viewer.username, frozenset(viewer.groups)),
                    source="institution",
                    decision_reference=form.get("decision_reference", "").strip() or None)
            except (service.PlacementError, EngineError) as err:
                errors.append(str(err))
            else:
                log_view("person", person_id)
                flash(_("The placement was registered; the first report is due as shown."),
                      "success")
                return redirect(url_for("cases.person", person_id=person_id,
                                        _anchor=f"placement-{instance_id}"))
    with services.sessions() as db:
        children = _children(db, viewer, today)
    log_view("person_list", None)
    return render_template("out_of_family_care/new_placement.html", children=children,
                           errors=errors, form=form, today=today.isoformat(), **choices), \
        (422 if errors else 200)


def _person_for(services: Any, viewer: Viewer, form: Any, today: date, placed: date | None,
                municipalities: set[str], errors: list[str]) -> int | None:
    """The chosen child, or the child registered from the form's fields, only when nothing
    else in the form (``errors`` so far) was refused."""
    chosen = form.get("person_id", "")
    if chosen:
        with services.sessions() as db:
            person = readable_person(db, viewer, int(chosen)) if chosen.isdigit() else None
        if person is None:
            errors.append(_("Choose a child from the list."))
            return None
        if not person.municipality_code:
            # Each report goes to the social service of this municipality (SOPA).
            errors.append(_("The child's file names no responsible municipality: add it there "
                            "first."))
            return None
        return person.id
    given, family = form.get("given_name", "").strip(), form.get("family_name", "").strip()
    if not given or not family:
        errors.append(_("Choose a child from the list or give the new child's name."))
        return None
    birth = _day(form.get("birth_date", ""), _("Date of birth"), errors)
    if birth is not None and (birth > today or
                              birth <= today.replace(year=today.year - CHILD_AGE_YEARS)):
        errors.append(_("The child's date of birth must be within the last 18 years."))
    elif birth is not None and placed is not None and placed < birth:
        errors.append(_("The placement date cannot be before the child's date of birth."))
    if form.get("municipality_code", "") not in municipalities:
        errors.append(_("Choose the municipality responsible for the child."))
    if errors:
        return None
    try:
        with transaction(services.sessions) as db:
            person = register_person(
                db, viewer, given_name=given, family_name=family,
                personal_code=form.get("personal_code", "").strip() or None, birth_date=birth,
                municipality_code=form.get("municipality_code", "") or None,
                institution_code=viewer.organisation_code)
            new_id: int = person.id
            return new_id
    except InvalidPersonalCode:
        errors.append(_("The personal code is not valid."))
    except NotAllowed:
        errors.append(_("You cannot register this child in your institution."))
    except CaseError:
        errors.append(_("A person with this personal code is already registered: choose the "
                        "child from the list."))
    return None


@bp.post("/out-of-family-care/placements/<int:instance_id>/end")
@login_required
def end_placement(instance_id: int) -> ResponseReturnValue:
    services = services_of(current_app)
    viewer = _institution_viewer()
    with services.sessions() as db:
        instance = db.get(ProcessInstance, instance_id)
        if instance is None or instance.process_key != service.PROCESS_KEY or \
                not can_read_instance(db, viewer, instance_id):
            deny("process_instance", instance_id)
        person_id = instance.person_id
    target = url_for("cases.person", person_id=person_id, _anchor=f"placement-{instance_id}")
    errors: list[str] = []
    ended = _day(request.form.get("end_date", ""), _("End date"), errors)
    if ended is not None and ended > today_in_latvia():
        errors.append(_("The end date cannot be in the future."))
    if not errors and ended is not None:
        try:
            service.end_placement(services, instance_id=instance_id, end_date=ended,
                                  reason=request.form.get("reason", ""),
                                  actor=Actor(viewer.username, frozenset(viewer.groups)))
        except (service.PlacementError, EngineError) as err:
            errors.append(str(err))
    for error in errors:
        flash(error, "error")
    if not errors:
        flash(_("The placement has ended; the orphan court and the social service are told."),
              "success")
    return redirect(target)


MENU = (MenuItem("out_of_family_care.new_placement", N_("Child placed in care"),
                 INSTITUTION_KINDS),)
