"""The inbox and the task page. Every task is looked up through ``workable_tasks``, so a task the
person may not work on answers 404 whether or not it exists."""
from __future__ import annotations

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
from flask_babel import get_translations, gettext
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app import services_of
from app.auth.service import SignedInUser
from app.db.models import HumanTask, utcnow
from app.engine.errors import EngineError, NotYourTask, ScriptFailed
from app.engine.runtime import Actor
from app.forms import service as forms
from app.inbox import service
from app.services import Services
from app.web import current_language, engine_error_message, log_engine_refusal, person_name

bp = Blueprint("inbox", __name__)


@bp.get("/")
@login_required
def home() -> Response:
    return redirect(url_for("inbox.index"))


@bp.get("/inbox")
@login_required
def index() -> str:
    user = _user()
    with _services().sessions() as db:
        rows = service.inbox(db, user.username, user.groups, utcnow())
    return render_template("inbox.html", rows=rows)


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int) -> Response | tuple[str, int]:
    user, services = _user(), _services()
    with services.sessions() as db:
        row = _workable_or_404(db, user, task_id)
        described = service.describe(row, service.process_name(db, row), utcnow())
    schema = forms.load_schema(services.settings.forms_dir, row.form_key) if row.form_key else None
    if request.method == "GET":
        known = services.engine.task_data(row.id) if schema else {}
        return _task_page(described, schema, forms.initial_values(schema, known) if schema else {})

    data: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if schema is not None:
        submission = forms.read_submission(schema, request.form)
        data, values = submission.data, submission.values
        errors = forms.validate(schema, data, get_translations())
        if errors:
            return _task_page(described, schema, values, errors=errors, status=422)
    try:
        services.engine.complete_task(row.id, _actor(user), data)
    except EngineError as err:
        log_engine_refusal(err)
        message = engine_error_message(err)
        holder = _assignee_now(row.id) if isinstance(err, NotYourTask) else None
        if holder and holder != user.username:
            message = gettext("%(who)s has taken this task in the meantime, "
                              "so you cannot complete it.", who=person_name(holder))
        if isinstance(err, ScriptFailed):
            message += " " + gettext("Your entries are kept below.")
        return _task_page(described, schema, values, alert=message, status=err.http_status)
    flash(gettext("Task “%(name)s” is done.", name=row.element_name), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int) -> Response:
    user, services = _user(), _services()
    with services.sessions() as db:
        row = _workable_or_404(db, user, task_id)
    services.engine.claim(row.id, _actor(user))
    flash(gettext("You claimed the task “%(name)s”.", name=row.element_name), "success")
    if request.form.get("back") == "task":
        return redirect(url_for("inbox.task", task_id=row.id))
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/release")
@login_required
def release(task_id: int) -> Response:
    user, services = _user(), _services()
    with services.sessions() as db:
        row = _workable_or_404(db, user, task_id)
    services.engine.unclaim(row.id, _actor(user))
    flash(gettext("You released the task “%(name)s”; your group can claim it now.",
                  name=row.element_name), "info")
    return redirect(url_for("inbox.index"))


def _task_page(described: service.InboxRow, schema: forms.Schema | None, values: dict[str, Any],
               *, errors: dict[str, list[str]] | None = None, alert: str | None = None,
               status: int = 200) -> tuple[str, int]:
    lang = current_language()
    return render_template(
        "task.html", row=described, task=described.task,
        form_title=forms.form_title(schema, lang) if schema else "",
        form_description=forms.form_description(schema, lang) if schema else "",
        fields=forms.fields(schema, lang) if schema else [],
        values=values, errors=errors or {}, form_errors=(errors or {}).get(forms.FORM_ERRORS, []),
        alert=alert,
    ), status


def _workable_or_404(db: Session, user: SignedInUser, task_id: int) -> HumanTask:
    row = service.find_workable_task(db, user.username, user.groups, task_id)
    if row is None:
        abort(404)
    return row


def _assignee_now(task_id: int) -> str | None:
    with _services().sessions() as db:
        row = db.get(HumanTask, task_id)
        return row.assignee if row is not None else None


def _user() -> SignedInUser:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    assert isinstance(user, SignedInUser)
    return user


def _actor(user: SignedInUser) -> Actor:
    return Actor(user.username, frozenset(user.groups))


def _services() -> Services:
    return services_of(current_app)
