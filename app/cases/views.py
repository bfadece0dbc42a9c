"""Person search and the case file page. Both go through ``app.access.scope``; every view of a
case file, and every refused one, is written to the access log."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import login_required

from app import services_of
from app.access import log as access_log
from app.access.organisations import organisation_names
from app.access.request import current_viewer, deny, log_view
from app.forms.attachments import format_size
from app.forms.summaries import completed_task_summaries
from app.web import current_language

from . import personal_codes, service

bp = Blueprint("cases", __name__)


@bp.get("/persons")
@login_required
def search() -> str:
    viewer = current_viewer()
    term = request.args.get("q", "").strip()[:120]
    found = []
    if term:
        with services_of(current_app).sessions() as db:
            found = service.find_persons(db, viewer, term)
        # A search by personal code reveals whether the person is known: log it like a view.
        log_view("person", None, access_log.SEARCH)
    return render_template("persons.html", term=term, persons=found, masked=personal_codes.masked,
                           searched=bool(term))


@bp.get("/persons/<int:person_id>")
@login_required
def person(person_id: int) -> str:
    viewer = current_viewer()
    with services_of(current_app).sessions() as db:
        file = service.case_file(db, viewer, person_id)
        if file is None:
            deny("person", person_id)
        lang = current_language()
        names = organisation_names(db, lang)
        forms_dir = services_of(current_app).settings.forms_dir
        summaries = {item.instance.id: completed_task_summaries(db, item.instance.id, lang,
                                                                forms_dir=forms_dir)
                     for item in file.instances}
    log_view("person", person_id)
    code = file.person.personal_code
    shown_code = code if file.may_change else personal_codes.masked(code)
    return render_template("case_file.html", file=file, person=file.person, shown_code=shown_code,
                           org_names=names, summaries=summaries, file_size=format_size, lang=lang)
