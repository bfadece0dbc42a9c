"""The orphan-court decisions page: the separations and returns in the person's records, each
with the child, the case and how far it got, for social workers, orphan courts and the
ministry."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from app import services_of
from app.access.request import current_viewer, log_view
from app.access.scope import MINISTRY, MUNICIPALITY, ORPHAN_COURT
from app.areas import MenuItem
from app.texts import N_

from . import service

bp = Blueprint("child_protection", __name__)


@bp.get("/child-protection/decisions")
@login_required
def decisions() -> ResponseReturnValue:
    viewer = current_viewer()
    with services_of(current_app).sessions() as db:
        rows = service.decision_rows(db, viewer)
        names = service.organisation_names(db, [r.decision.orphan_court_code for r in rows])
    # The page names children: it is logged as a look at a list of persons.
    log_view("person_list", None)
    return render_template("child_protection/decisions.html", rows=rows, names=names)


MENU = (MenuItem("child_protection.decisions", N_("Orphan-court decisions"),
                 frozenset({MUNICIPALITY, ORPHAN_COURT, MINISTRY})),)
