"""The outbox page for operators (/outbox, roles admin and operator): messages that failed,
with their reason and a retry, and those still waiting to go."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import services_of
from app.access.request import current_viewer
from app.db import transaction
from app.operations.service import may_operate

from . import service

bp = Blueprint("outbox", __name__)


@bp.before_request
@login_required
def _operators_only() -> None:
    if not may_operate(current_user.roles, current_viewer().is_auditor):
        abort(403)


@bp.get("/outbox")
def index() -> str:
    with services_of(current_app).sessions() as db:
        failed = service.for_operator(db, (service.FAILED,))
        waiting = service.for_operator(db, (service.QUEUED,))
        counts = service.counts(db)
        hidden = service.hidden_from(db, current_viewer(), failed + waiting)
    return render_template("outbox/index.html", failed=failed, waiting=waiting, counts=counts,
                           hidden=hidden)


@bp.post("/outbox/retry")
def retry() -> Response:
    wanted = [int(v) for v in request.form.getlist("message_ids") if v.isdigit()]
    one = request.form.get("one", "")
    if one.isdigit():
        wanted = [int(one)]
    if not wanted:
        flash(gettext("Choose the messages to send again."), "error")
        return redirect(url_for("outbox.index"))
    done: list[int] = []
    refused: list[int] = []
    for message_id in wanted:
        with transaction(services_of(current_app).sessions) as db:
            (done if service.retry(db, message_id, current_user.username) else refused).append(
                message_id)
    if done:
        flash(gettext("Queued again: %(ids)s.", ids=", ".join(f"#{i}" for i in done)), "success")
    if refused:
        flash(gettext("Not queued again (not failed or not found): %(ids)s.",
                      ids=", ".join(f"#{i}" for i in refused)), "error")
    return redirect(url_for("outbox.index"))
