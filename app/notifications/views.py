"""The notifications page (reminders and escalations of tasks, and messages to the person's
organisation from the outbox), and the count shown beside it in the navigation."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import services_of
from app.access.request import current_viewer
from app.db import transaction
from app.outbox import service as outbox

from . import service

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index() -> str:
    viewer = current_viewer()
    with services_of(current_app).sessions() as db:
        shown = service.for_viewer(db, viewer)
        messages = outbox.for_organisation(db, viewer)
    return render_template("notifications/index.html", notifications=shown, messages=messages)


@bp.post("/notifications/messages/<int:message_id>/received")
@login_required
def received(message_id: int) -> Response:
    """A user of the addressed organisation confirms the message: acknowledged, with who and
    when, on the case's history."""
    viewer = current_viewer()
    try:
        with transaction(services_of(current_app).sessions) as db:
            outbox.confirm(db, viewer, message_id)
    except outbox.NotAllowed:
        abort(404)
    flash(gettext("Marked as received."), "success")
    return redirect(url_for("notifications.index", _anchor="organisation-messages"))


@bp.app_context_processor
def _notification_count() -> dict[str, Any]:
    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        with services_of(current_app).sessions() as db:
            return service.count_for_viewer(db, current_viewer())

    return {"notification_count": count}
