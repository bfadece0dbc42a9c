"""The monthly report pack, for the person signed in (/reports/subscriptions): which of the reports
they may see they want each month, where the e-mail goes, and their packs to download. HTTP only;
the rules are in ``subscriptions`` and ``pack``."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import services_of
from app.access.request import current_viewer, private_download
from app.db import transaction
from app.db.models import User

from . import pack, subscriptions
from .definitions import TOPICS
from .engine import visible_reports

bp = Blueprint("report_subscriptions", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here is the person's own; nothing to see without signing in."""


@bp.get("/reports/subscriptions")
def page() -> str:
    viewer = current_viewer()
    by_topic: dict[str, list[object]] = {}
    for definition in visible_reports(viewer):
        by_topic.setdefault(definition.topic, []).append(definition)
    with services_of(current_app).sessions() as db:
        chosen = subscriptions.subscriptions_of(db, current_user.id)
        packs = pack.packs_of(db, current_user.id)
    return render_template("reports/subscriptions.html", by_topic=by_topic, topics=TOPICS,
                           chosen=chosen, packs=packs,
                           email=chosen.email)


@bp.post("/reports/subscriptions")
def save() -> Response:
    viewer = current_viewer()
    stop = request.form.get("action") == "unsubscribe"
    wanted = [] if stop else request.form.getlist("report_ids")
    try:
        with transaction(services_of(current_app).sessions) as db:
            user = db.get(User, current_user.id)
            if user is None:
                abort(404)
            saved = subscriptions.save(db, user, viewer, request.form.get("email", ""), wanted)
    except subscriptions.SubscriptionError as err:
        flash(gettext(str(err)), "error")
        return redirect(url_for(".page"))
    if saved.report_ids:
        flash(gettext("Saved: %(count)s report(s) each month to %(email)s.",
                      count=len(saved.report_ids), email=saved.email), "success")
    else:
        flash(gettext("You will get no monthly report pack."), "success")
    return redirect(url_for(".page"))


@bp.get("/reports/packs/<int:pack_id>")
def download(pack_id: int) -> Response:
    """The person's own pack; anyone else's is not found (404), whoever asks."""
    with services_of(current_app).sessions() as db:
        found = pack.pack_of(db, pack_id, current_user.id)
        if found is None:
            abort(404)
        body, month = found.content, found.period
    return private_download(body, "application/pdf", f"DI-parskati-{month}.pdf")
