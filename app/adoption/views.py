"""The adoption register's pages, for the adoption register unit (auditors read them). Every
page checks the organisation first and reads rows through ``record_filter``; every look at a
child card or an adopter file, every export and download is in the access log."""
from __future__ import annotations

import csv
import io
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import services_of
from app.access import log as access_log
from app.access.request import current_viewer, deny, log_view, private_download
from app.access.scope import ADOPTION_REGISTER, AUDITOR, Viewer
from app.areas import MenuItem
from app.db.models import Adopter, AdoptionChild
from app.domain import adoption as rules
from app.domain.calendar import parse_date, today_in_latvia
from app.texts import N_

from . import service

bp = Blueprint("adoption", __name__)
READERS = frozenset({ADOPTION_REGISTER, AUDITOR})


def _reader(record_type: str = "adoption", record_id: int | None = None) -> Viewer:
    """The viewer, if of the unit or an auditor; anyone else gets the 404 of a missing record
    (logged as a refused look at the record asked for)."""
    viewer = current_viewer()
    if viewer.organisation_kind not in READERS and not viewer.is_auditor:
        deny(record_type, record_id)
    return viewer


@bp.get("/adoption/children")
@login_required
def children() -> ResponseReturnValue:
    viewer = _reader()
    archived = request.args.get("archived") == "1"
    with services_of(current_app).sessions() as db:
        rows = service.children(db, viewer, archived=archived)
        persons = service.persons_of(db, rows)
    log_view("adoption_child", None, access_log.SEARCH)
    return render_template("adoption/children.html", rows=rows, persons=persons,
                           archived=archived, may_change=service.may_change(viewer))


def readable_child(db: Any, viewer: Viewer, child_id: int) -> AdoptionChild:
    """The child card in the viewer's scope, or the logged 404 a missing one gets."""
    card = service.child(db, viewer, child_id)
    if card is None:
        deny("adoption_child", child_id)
    return card


def readable_adopter(db: Any, viewer: Viewer, adopter_id: int) -> Adopter:
    """The adopter in the viewer's scope, or the logged 404 a missing one gets."""
    row = service.adopter(db, viewer, adopter_id)
    if row is None:
        deny("adoption_adopter", adopter_id)
    return row


@bp.get("/adoption/children/<int:child_id>")
@login_required
def child(child_id: int) -> ResponseReturnValue:
    viewer = _reader("adoption_child", child_id)
    with services_of(current_app).sessions() as db:
        card = readable_child(db, viewer, child_id)
        person = service.persons_of(db, [card]).get(card.person_id or 0)
        siblings = [c for c in service.children(db, viewer) if card.sibling_group
                    and c.sibling_group == card.sibling_group and c.id != card.id]
        names = service.organisation_names(db, [card.deciding_court_code, card.carer_code])
    log_view("adoption_child", child_id)
    return render_template("adoption/child.html", card=card, person=person, siblings=siblings,
                           names=names, sees_parents=service.sees_parents(viewer),
                           may_change=service.may_change(viewer) and card.archived_on is None)


@bp.post("/adoption/children/<int:child_id>/match")
@login_required
def start_match(child_id: int) -> ResponseReturnValue:
    viewer = _reader("adoption_child", child_id)
    if not service.may_change(viewer):
        abort(403)  # auditors read the register but never start a search
    services = services_of(current_app)
    with services.sessions() as db:
        card = readable_child(db, viewer, child_id)
        group = [card.id]
        if card.sibling_group and request.form.get("with_siblings") == "1":
            group = [c.id for c in service.children(db, viewer)
                     if c.sibling_group == card.sibling_group]
    try:
        started = service.start_match(services, viewer, group, today_in_latvia())
    except service.AdoptionError as err:
        flash(str(err), "error")
        return redirect(url_for("adoption.child", child_id=child_id))
    return redirect(url_for("adoption.match", match_id=started.match_id))


@bp.get("/adoption/adopters")
@login_required
def adopters() -> ResponseReturnValue:
    viewer = _reader()
    archived = request.args.get("archived") == "1"
    with services_of(current_app).sessions() as db:
        rows = service.adopters(db, viewer, archived=archived)
    log_view("adoption_adopter", None, access_log.SEARCH)
    return render_template("adoption/adopters.html", rows=rows, archived=archived,
                           today=today_in_latvia(), name_of=service.adopter_name,
                           may_change=service.may_change(viewer))


@bp.get("/adoption/adopters/<int:adopter_id>")
@login_required
def adopter(adopter_id: int) -> ResponseReturnValue:
    viewer = _reader("adoption_adopter", adopter_id)
    with services_of(current_app).sessions() as db:
        row = readable_adopter(db, viewer, adopter_id)
        names = service.organisation_names(db, [row.suitability_court_code])
    log_view("adoption_adopter", adopter_id)
    return render_template("adoption/adopter.html", row=row, names=names,
                           name=service.adopter_name(row), today=today_in_latvia(),
                           may_change=service.may_change(viewer) and row.archived_on is None
                           and row.status == rules.ACTIVE)


@bp.get("/adoption/adopters/<int:adopter_id>/extract.pdf")
@login_required
def extract(adopter_id: int) -> ResponseReturnValue:
    viewer = _reader("adoption_adopter", adopter_id)
    with services_of(current_app).sessions() as db:
        row = readable_adopter(db, viewer, adopter_id)
        names = service.organisation_names(db, [row.suitability_court_code])
        data = {"register_number": row.id, "adopter_name": service.adopter_name(row),
                "registered_on": row.registered_on.isoformat(),
                "suitability_court": names.get(row.suitability_court_code,
                                               row.suitability_court_code),
                "suitability_decision_on": row.suitability_decision_on.isoformat(),
                "suitability_until": row.suitability_until.isoformat(), "abroad": row.abroad,
                "status": row.status, "children_max": row.children_max, "age_min": row.age_min,
                "age_max": row.age_max, "siblings_accepted": row.siblings_accepted,
                "extract_date": today_in_latvia().isoformat()}
    from app.documents.service import render_pdf

    pdf = render_pdf("documents/adoption_register_extract.html", data,
                     "Izraksts no adopcijas reģistra")
    log_view("adoption_adopter", adopter_id, access_log.DOWNLOAD)
    return private_download(pdf, "application/pdf", f"adopcijas-registrs-{adopter_id}.pdf")


@bp.get("/adoption/contacts.csv")
@login_required
def contacts() -> ResponseReturnValue:
    """The contact list for notifying the active adopters (e.g. of a change in the rules)."""
    viewer = _reader()
    if not service.may_change(viewer):
        abort(403)
    with services_of(current_app).sessions() as db:
        rows = [r for r in service.adopters(db, viewer) if r.status == rules.ACTIVE]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Reģistra Nr.", "Adoptētājs", "Adrese", "Tālrunis", "E-pasts", "Valsts"])
    for row in rows:
        writer.writerow([row.id, service.adopter_name(row), row.address, row.phone, row.email,
                         row.country])
    log_view("adoption_adopter", None, access_log.EXPORT)
    return private_download(out.getvalue(), "text/csv", "adoptetaju-kontakti.csv")


@bp.get("/adoption/matches")
@login_required
def matches() -> ResponseReturnValue:
    viewer = _reader()
    with services_of(current_app).sessions() as db:
        rows = service.matches(db, viewer)
    return render_template("adoption/matches.html", rows=rows)


@bp.get("/adoption/matches/<int:match_id>")
@login_required
def match(match_id: int) -> ResponseReturnValue:
    viewer = _reader("adoption_match", match_id)
    with services_of(current_app).sessions() as db:
        row = service.match(db, viewer, match_id)
        if row is None:
            deny("adoption_match", match_id)
        cards = [db.get(AdoptionChild, child_id) for child_id in row.child_ids]
        found = [c for c in cards if c is not None]
        persons = service.persons_of(db, found)
        everyone = {a.id: a for a in service.adopters(db, viewer)}
        everyone.update({a.id: a for a in service.adopters(db, viewer, archived=True)})
        proposals = service.proposals_of(db, row.id)
    log_view("adoption_match", match_id)
    ranked = [dict(r, registered_on=parse_date(str(r["registered_on"]))) for r in row.ranked]
    return render_template("adoption/match.html", row=row, ranked=ranked, cards=found,
                           persons=persons,
                           adopters=everyone, proposals=proposals,
                           reason_texts=rules.REASON_TEXTS, name_of=service.adopter_name)


MENU = (MenuItem("adoption.children", N_("Adoption register"), frozenset({ADOPTION_REGISTER})),
        MenuItem("adoption.adopters", N_("Adopters"), frozenset({ADOPTION_REGISTER})))
from . import edit_views  # noqa: F401  (the forms: routes on the same blueprint)
