"""The inbox and the task page. Every task is looked up through ``app.access.scope`` (via the
inbox service), so a task the person may not see answers 404 whether or not it exists, and the
refusal is written to the access log."""
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
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app import services_of
from app.access.request import current_viewer, deny, log_view
from app.access.scope import Viewer, readable_task
from app.auth.service import SignedInUser
from app.db import transaction
from app.db.models import HumanTask, utcnow
from app.engine.errors import EngineError, NotYourTask, ScriptFailed
from app.engine.runtime import Actor
from app.forms import service as forms
from app.forms import views as task_forms
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
    viewer = current_viewer()
    query = service.InboxQuery.from_args(request.args)
    with _services().sessions() as db:
        page = service.inbox_page(db, viewer, query, utcnow(), tab_chosen="tab" in request.args,
                                  locale=current_language())
        filters = service.saved_filters(db, viewer.username)
    query = page.query
    # htmx asks for the list only when a filter, tab or page changes; without JavaScript the
    # same URL renders the whole page.
    template = "_inbox_list.html" if request.headers.get("HX-Request") else "inbox.html"
    return render_template(template, page=page, query=query, saved_filters=filters,
                           tabs=service.TABS, due_filters=service.DUE_FILTERS,
                           sorts=service.SORTS)


@bp.post("/inbox/filters")
@login_required
def save_filter() -> Response:
    viewer = current_viewer()
    query = service.InboxQuery.from_args(request.form)
    name = request.form.get("name", "")
    try:
        with transaction(_services().sessions) as db:
            service.save_filter(db, viewer.username, name, query)
    except ValueError:
        flash(gettext("Give the filter a name to save it."), "error")
    else:
        flash(gettext("Filter “%(name)s” saved.", name=name.strip()), "success")
    return redirect(url_for("inbox.index", **query.args()))


@bp.post("/inbox/filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int) -> Response:
    with transaction(_services().sessions) as db:
        found = service.delete_filter(db, current_viewer().username, filter_id)
    if not found:
        abort(404)
    flash(gettext("Filter deleted."), "info")
    return redirect(url_for("inbox.index"))


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int) -> Response | tuple[str, int]:
    user, services, viewer = _user(), _services(), current_viewer()
    with services.sessions() as db:
        row = _readable_or_404(db, viewer, task_id)
        described = service.describe_one(db, row, utcnow())
        actionable = service.find_actionable_task(db, viewer, task_id) is not None
        colleagues = _colleague_choices(db, viewer, row)
    log_view("task", row.id)
    schema = forms.load_schema(services.settings.forms_dir, row.form_key) if row.form_key else None
    page: dict[str, Any] = {"actionable": actionable, "colleagues": colleagues}
    if request.method == "GET":
        starting = task_forms.starting_values(services, row, schema, user.username) if schema \
            else {}
        return _task_page(described, schema, starting, **page)
    if not actionable:
        abort(404)

    data: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if schema is not None:
        posted = task_forms.read_task_form(services, row, schema, user.username)
        if posted.response is not None:
            return posted.response
        data, values = posted.data, posted.values
        if not posted.ready:
            return _task_page(described, schema, values, errors=posted.errors,
                              focus=posted.focus, status=posted.status, **page)
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
        return _task_page(described, schema, values, alert=message, status=err.http_status,
                          **page)
    task_forms.forget_forms(services, row.id)
    flash(gettext("Task “%(name)s” is done.", name=row.element_name), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int) -> Response:
    user, services = _user(), _services()
    with services.sessions() as db:
        row = _actionable_or_404(db, current_viewer(), task_id)
    services.engine.claim(row.id, _actor(user))
    flash(gettext("You claimed the task “%(name)s”.", name=row.element_name), "success")
    return _back(row)


@bp.post("/tasks/<int:task_id>/release")
@login_required
def release(task_id: int) -> Response:
    user, services = _user(), _services()
    with services.sessions() as db:
        row = _actionable_or_404(db, current_viewer(), task_id)
    services.engine.unclaim(row.id, _actor(user))
    flash(gettext("You released the task “%(name)s”; your group can claim it now.",
                  name=row.element_name), "info")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/assign")
@login_required
def assign(task_id: int) -> Response:
    """A supervisor gives the task to a colleague, or back to the group."""
    user, services, viewer = _user(), _services(), current_viewer()
    with services.sessions() as db:
        row = service.find_supervised_task(db, viewer, task_id)
        if row is None:
            deny("task", task_id)
        assignee = request.form.get("assignee", "")
        allowed = {u.username for u in service.colleagues_for(db, viewer, row)} | {user.username}
    if assignee and assignee not in allowed:
        flash(gettext("The task cannot be given to that person."), "error")
        return _back(row)
    services.engine.assign(row.id, _actor(user), assignee or None)
    if assignee:
        flash(gettext("The task “%(name)s” is now with %(who)s.", name=row.element_name,
                      who=person_name(assignee)), "success")
    else:
        flash(gettext("The task “%(name)s” is back with the group.", name=row.element_name),
              "info")
    return _back(row)


@bp.post("/tasks/<int:task_id>/delegate")
@login_required
def delegate(task_id: int) -> Response:
    """The assignee asks a colleague to do the task for now; they can take it back."""
    user, services, viewer = _user(), _services(), current_viewer()
    with services.sessions() as db:
        row = _actionable_or_404(db, viewer, task_id)
        allowed = {u.username for u in service.colleagues_for(db, viewer, row)}
    delegate_to = request.form.get("delegate", "")
    if delegate_to not in allowed:
        flash(gettext("The task cannot be given to that person."), "error")
        return _back(row)
    services.engine.delegate(row.id, _actor(user), delegate_to)
    flash(gettext("You delegated “%(name)s” to %(who)s. You can take it back at any time.",
                  name=row.element_name, who=person_name(delegate_to)), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/take-back")
@login_required
def take_back(task_id: int) -> Response:
    user, services, viewer = _user(), _services(), current_viewer()
    with services.sessions() as db:
        row = service.find_delegated_task(db, viewer, task_id)
        if row is None:
            deny("task", task_id)
    services.engine.take_back(row.id, _actor(user))
    flash(gettext("You took back the task “%(name)s”.", name=row.element_name), "success")
    return _back(row)


def _back(row: HumanTask) -> Response:
    if request.form.get("back") == "task":
        return redirect(url_for("inbox.task", task_id=row.id))
    return redirect(url_for("inbox.index"))


def _task_page(described: service.InboxRow, schema: forms.Schema | None, values: dict[str, Any],
               *, errors: dict[str, list[str]] | None = None, alert: str | None = None,
               status: int = 200, actionable: bool = True,
               colleagues: list[tuple[str, str]] | None = None,
               focus: str | None = None) -> tuple[str, int]:
    return render_template(
        "task.html", row=described, task=described.task,
        **task_forms.page_context(_services(), described.task, schema, values, errors=errors,
                                  focus=focus),
        alert=alert, actionable=actionable, colleagues=colleagues or [],
    ), status


def _colleague_choices(db: Session, viewer: Viewer, row: HumanTask) -> list[tuple[str, str]]:
    if not viewer.works_on_cases:
        return []
    return [(u.username, u.display_name) for u in service.colleagues_for(db, viewer, row)]


def _readable_or_404(db: Session, viewer: Viewer, task_id: int) -> HumanTask:
    row = readable_task(db, viewer, task_id)
    if row is None:
        deny("task", task_id)
    return row


def _actionable_or_404(db: Session, viewer: Viewer, task_id: int) -> HumanTask:
    row = service.find_actionable_task(db, viewer, task_id)
    if row is None:
        deny("task", task_id)
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
