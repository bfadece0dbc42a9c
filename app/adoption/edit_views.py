"""The adoption register unit's forms: the child card (from a person already in DI Case, or a
new person) and its corrections; the adopter's application, preferences, renewal of the
suitability decision and withdrawal.

Only the unit's specialists change the register (``service.may_change``): auditors, who read
every page, get 403 here; anyone else the logged 404 of a missing record. A form with a
mistake is shown again with what was typed and a message on each wrong field (status 422), and
nothing is written. Every form that shows a record's data logs the look like the pages do."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app import services_of
from app.access.request import log_view
from app.access.scope import MUNICIPALITY, ORPHAN_COURT, VSAC, Viewer
from app.cases import personal_codes
from app.cases.service import CaseError, register_person
from app.db import transaction
from app.domain.calendar import today_in_latvia

from . import forms, prefill, service
from .views import _reader, bp, readable_adopter, readable_child


def _changer(record_type: str = "adoption", record_id: int | None = None) -> Viewer:
    viewer = _reader(record_type, record_id)
    if not service.may_change(viewer):
        abort(403)
    return viewer


def _lists(db: Any) -> dict[str, list[tuple[str, str]]]:
    return {"courts": service.organisations_of(db, ORPHAN_COURT),
            "carers": service.organisations_of(db, VSAC),
            "municipalities": service.organisations_of(db, MUNICIPALITY),
            "regions": service.planning_regions(db)}


def _codes(pairs: list[tuple[str, str]]) -> set[str]:
    return {code for code, _name in pairs}


def _common() -> dict[str, Any]:
    return {"health_options": [(code, _(label)) for code, label in forms.HEALTH_LABELS.items()],
            "sex_options": [(code, _(label))
                            for code, label in forms.SEX_PREFERENCE_LABELS.items()],
            "shown": forms.shown, "today": today_in_latvia()}


# --- the child card -----------------------------------------------------------------------

@bp.route("/adoption/children/new", methods=["GET", "POST"])
@login_required
def new_child() -> ResponseReturnValue:
    """Step one finds the child in DI Case by the personal code of the orphan court's decision
    (the form is then pre-filled); a child not in DI Case is registered as a new person."""
    viewer = _changer()
    services = services_of(current_app)
    today = today_in_latvia()
    typed = str(request.values.get("code", "")).strip()
    code_errors: list[str] = []
    code = ""
    if typed:
        try:
            code = personal_codes.normalise(typed)
        except personal_codes.InvalidPersonalCode:
            code_errors.append(_("This is not a valid Latvian personal code."))
    with services.sessions() as db:
        lists = _lists(db)
        person = service.find_person(db, code) if code else None
        known = service.prefill_child(db, person.id) if person is not None else None
        existing = service.children_of_person(db, viewer, person.id) if person else []
    if person is not None:
        log_view("person", person.id)
    health = prefill.ask_vdeavk(services.settings, code or None, today) \
        if code and request.method == "GET" else prefill.HealthAnswer(False)
    read = forms.Read(request.form)
    if request.method == "POST" and not code_errors:
        born = known["birth_date"] if known else None
        card = forms.read_card(request.form, today=today, born=born,
                               courts=_codes(lists["courts"]), carers=_codes(lists["carers"]),
                               with_parents=service.sees_parents(viewer))
        who = forms.Read(request.form) if person is not None else forms.read_new_person(
            request.form, today=today, municipalities=_codes(lists["municipalities"]))
        read = forms.merged(card, who)
        free_on, born_new = card.values.get("free_for_adoption_on"), who.values.get("birth_date")
        if person is None and isinstance(free_on, date) and isinstance(born_new, date) \
                and free_on < born_new:
            read.fail("free_for_adoption_on", _("The child cannot be free for adoption before "
                                                "the birth date (%(born)s).",
                                                born=forms.shown(born_new)))
        if existing:
            read.fail("code", _("This child already has a card in the register."))
        if not read.errors:
            try:
                child_id = _create_card(services, viewer, person.id if person else None,
                                        read.values)
            except (service.AdoptionError, CaseError) as err:
                read.fail("free_for_adoption_on" if isinstance(err, service.AdoptionError)
                          else "personal_code", _translated(err))
            else:
                flash(_("The child card was registered."), "success")
                return redirect(url_for("adoption.child", child_id=child_id))
    if code_errors:
        read.errors.setdefault("code", code_errors)
    if existing and request.method == "GET":
        read.fail("code", _("This child already has a card in the register."))
    if request.method == "GET" and known is not None:
        read.values.update(health_conditions=health.conditions,
                           carer_name=known["carer_name"])
    if request.method == "GET" and person is None and code:
        read.values["personal_code"] = typed
    return render_template(
        "adoption/child_new.html", typed=typed, code=code,
        show_form=not existing and not code_errors and (
            bool(code) or request.method == "POST" or request.args.get("new") == "1"), person=person, known=known,
        existing=existing, health=health, read=read, lists=lists,
        names=dict(lists["courts"] + lists["carers"]), sees_parents=service.sees_parents(viewer),
        **_common()), 422 if read.errors and request.method == "POST" else 200


def _translated(err: Exception) -> str:
    if isinstance(err, CaseError):
        return _("A person with this personal code is already in DI Case: find the child by "
                 "the code.")
    return str(err)  # the service's messages are Latvian already


def _create_card(services: Any, viewer: Viewer, person_id: int | None,
                 values: dict[str, Any]) -> int:
    with transaction(services.sessions) as db:
        if person_id is None:
            # the unit's own person row is confidential (only the unit and auditors see it)
            person = register_person(
                db, viewer, given_name=values["given_name"], family_name=values["family_name"],
                personal_code=values.get("code"), birth_date=values["birth_date"],
                sex=values["sex"], municipality_code=values.get("municipality_code"),
                orphan_court_code=values.get("deciding_court_code"),
                institution_code=values.get("carer_code"), confidential=True)
            person_id = person.id
        card = service.register_child(
            db, viewer, person_id=person_id,
            free_for_adoption_on=values["free_for_adoption_on"],
            sibling_group=values["sibling_group"] or None,
            siblings_together=values["siblings_together"],
            health_conditions=values["health_conditions"], health_notes=values["health_notes"],
            special_needs=values["special_needs"],
            parents_info=values.get("parents_info", "") if service.sees_parents(viewer) else "",
            carer_name=values["carer_name"] or None)
        # what the specialist chose over the pre-filled court or carer
        changes = {name: values[name] for name in ("deciding_court_code", "carer_code")
                   if values.get(name)}
        if changes:
            service.update_child(db, viewer, card, dict(changes, carer_name=card.carer_name if
                                                        values["carer_name"] else ""))
        return card.id


@bp.route("/adoption/children/<int:child_id>/edit", methods=["GET", "POST"])
@login_required
def edit_child(child_id: int) -> ResponseReturnValue:
    viewer = _changer("adoption_child", child_id)
    services = services_of(current_app)
    today = today_in_latvia()
    parents = service.sees_parents(viewer)
    with services.sessions() as db:
        card = readable_child(db, viewer, child_id)
        if card.archived_on is not None:
            abort(403)
        lists = _lists(db)
        person = service.persons_of(db, [card]).get(card.person_id or 0)
        born = card.birth_date
        current = {name: getattr(card, name) for name in service.CARD_FIELDS}
        current.update(free_for_adoption_on=forms.shown(card.free_for_adoption_on),
                       sibling_group=card.sibling_group or "",
                       health_conditions=list(card.health_conditions or ()))
        if parents:
            current["parents_info"] = card.parents_info
    log_view("adoption_child", child_id)
    read = forms.Read(request.form, values=current)
    if request.method == "POST":
        read = forms.read_card(request.form, today=today, born=born,
                               courts=_codes(lists["courts"]), carers=_codes(lists["carers"]),
                               with_parents=parents)
        if not read.errors:
            try:
                with transaction(services.sessions) as db:
                    found = service.child(db, viewer, child_id)
                    assert found is not None
                    values = dict(read.values)
                    values["deciding_court_code"] = values["deciding_court_code"] or None
                    values["carer_code"] = values["carer_code"] or None
                    service.update_child(db, viewer, found, values)
            except service.AdoptionError as err:
                read.fail("sibling_group", str(err))
            else:
                flash(_("The child card was saved."), "success")
                return redirect(url_for("adoption.child", child_id=child_id))
    return render_template("adoption/child_edit.html", card_id=child_id, person=person,
                           born=born, read=read, lists=lists, sees_parents=parents,
                           **_common()), 422 if read.errors else 200


# --- the adopter --------------------------------------------------------------------------

@bp.route("/adoption/adopters/new", methods=["GET", "POST"])
@login_required
def new_adopter() -> ResponseReturnValue:
    viewer = _changer()
    services = services_of(current_app)
    today = today_in_latvia()
    with services.sessions() as db:
        lists = _lists(db)
    # No default registration date: it is the day the unit registered the application (it
    # orders the queue), often earlier than the day the file is typed in.
    read = forms.Read(request.form, values={"kind": "single", "children_max": 1, "age_min": 0,
                                            "age_max": 17, "sex_preference": "any",
                                            "country": "LV"})
    if request.method == "POST":
        read = forms.merged(
            forms.read_applicants(request.form),
            forms.read_suitability(request.form, today=today, courts=_codes(lists["courts"])),
            forms.read_preferences(request.form, regions=_codes(lists["regions"])),
            forms.read_contact(request.form))
        if not read.errors:
            v = read.values
            try:
                with transaction(services.sessions) as db:
                    row = service.register_adopter(
                        db, viewer, applicants=v["applicants"],
                        suitability_court_code=v["suitability_court_code"],
                        suitability_decision_on=v["suitability_decision_on"],
                        suitability_until=v["suitability_until"], registered_on=v["registered_on"],
                        children_max=v["children_max"], age_min=v["age_min"],
                        age_max=v["age_max"], sex_preference=v["sex_preference"],
                        siblings_accepted=v["siblings_accepted"],
                        health_accepted=v["health_accepted"], regions=v["regions"],
                        abroad=v["abroad"], country=v["country"], address=v["address"],
                        phone=v["phone"], email=v["email"])
                    adopter_id = row.id
            except service.AdoptionError as err:
                read.fail("kind", str(err))
            else:
                flash(_("The adopter was registered with register number %(number)s.",
                        number=adopter_id), "success")
                return redirect(url_for("adoption.adopter", adopter_id=adopter_id))
    return render_template("adoption/adopter_new.html", read=read, lists=lists,
                           **_common()), 422 if read.errors else 200


def _adopter_for_change(viewer: Viewer, adopter_id: int) -> dict[str, Any]:
    with services_of(current_app).sessions() as db:
        row = readable_adopter(db, viewer, adopter_id)
        if row.archived_on is not None:
            abort(403)
        found = {name: getattr(row, name) for name in service.ADOPTER_FIELDS}
        found.update(name=service.adopter_name(row), status=row.status,
                     registered_on=row.registered_on, suitability_until=row.suitability_until,
                     suitability_decision_on=row.suitability_decision_on,
                     renewed_on=row.renewed_on, lists=_lists(db))
    log_view("adoption_adopter", adopter_id)
    return found


@bp.route("/adoption/adopters/<int:adopter_id>/edit", methods=["GET", "POST"])
@login_required
def edit_adopter(adopter_id: int) -> ResponseReturnValue:
    """Preferences, residence and contact details."""
    viewer = _changer("adoption_adopter", adopter_id)
    services = services_of(current_app)
    found = _adopter_for_change(viewer, adopter_id)
    lists = found.pop("lists")
    read = forms.Read(request.form, values=dict(found))
    if request.method == "POST":
        read = forms.merged(forms.read_preferences(request.form,
                                                   regions=_codes(lists["regions"])),
                            forms.read_contact(request.form))
        if not read.errors:
            try:
                with transaction(services.sessions) as db:
                    row = service.adopter(db, viewer, adopter_id)
                    assert row is not None
                    service.update_adopter(db, viewer, row, {
                        name: read.values[name] for name in service.ADOPTER_FIELDS})
            except service.AdoptionError as err:
                read.fail("children_max", str(err))
            else:
                flash(_("The adopter's file was saved."), "success")
                return redirect(url_for("adoption.adopter", adopter_id=adopter_id))
    return render_template("adoption/adopter_edit.html", adopter_id=adopter_id, found=found,
                           read=read, lists=lists, **_common()), 422 if read.errors else 200


@bp.route("/adoption/adopters/<int:adopter_id>/renew", methods=["GET", "POST"])
@login_required
def renew_adopter(adopter_id: int) -> ResponseReturnValue:
    """The orphan court renewed its suitability decision: the new last day of validity."""
    viewer = _changer("adoption_adopter", adopter_id)
    services = services_of(current_app)
    today = today_in_latvia()
    found = _adopter_for_change(viewer, adopter_id)
    found.pop("lists")
    read = forms.Read(request.form)
    if request.method == "POST":
        renewed = read.day("renewed_on", today=today)
        until = read.day("until")
        if renewed and until and until < renewed:
            read.fail("until", _("The decision cannot be valid until a day before it was "
                                 "taken."))
        if renewed and renewed < found["suitability_decision_on"]:
            read.fail("renewed_on", _("A renewal cannot be earlier than the first decision "
                                      "(%(day)s).",
                                      day=forms.shown(found["suitability_decision_on"])))
        if found["status"] != "active":
            read.fail("renewed_on", _("The adopter is no longer in the register."))
        if not read.errors and renewed and until:
            try:
                with transaction(services.sessions) as db:
                    row = service.adopter(db, viewer, adopter_id)
                    assert row is not None
                    service.renew_suitability(db, viewer, row, renewed_on=renewed, until=until)
            except service.AdoptionError as err:
                read.fail("until", str(err))
            else:
                flash(_("The renewed suitability decision was recorded."), "success")
                return redirect(url_for("adoption.adopter", adopter_id=adopter_id))
    return render_template("adoption/adopter_renew.html", adopter_id=adopter_id, found=found,
                           read=read, **_common()), 422 if read.errors else 200


@bp.route("/adoption/adopters/<int:adopter_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw_adopter(adopter_id: int) -> ResponseReturnValue:
    """The adopter leaves the register, on a day and for a reason (the adopter's own words or the
    orphan court's decision)."""
    viewer = _changer("adoption_adopter", adopter_id)
    services = services_of(current_app)
    today = today_in_latvia()
    found = _adopter_for_change(viewer, adopter_id)
    found.pop("lists")
    read = forms.Read(request.form)
    if request.method == "POST":
        on = read.day("withdrawn_on", today=today)
        reason = read.text("withdrawal_reason", required=True)
        if on and on < found["registered_on"]:
            read.fail("withdrawn_on", _("Not before the registration (%(day)s).",
                                        day=forms.shown(found["registered_on"])))
        if found["status"] != "active":
            read.fail("withdrawn_on", _("The adopter is no longer in the register."))
        if not read.errors and on:
            try:
                with transaction(services.sessions) as db:
                    row = service.adopter(db, viewer, adopter_id)
                    assert row is not None
                    service.withdraw(db, viewer, row, on, reason)
            except service.AdoptionError as err:
                read.fail("withdrawn_on", str(err))
            else:
                flash(_("The withdrawal was recorded: the adopter is no longer proposed "
                        "children."), "success")
                return redirect(url_for("adoption.adopter", adopter_id=adopter_id))
    return render_template("adoption/adopter_withdraw.html", adopter_id=adopter_id,
                           found=found, read=read, **_common()), 422 if read.errors else 200
