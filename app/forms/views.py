"""The web side of task forms: what the task page's form shows, what a posted form means (submit,
save a draft, add or remove a row, attach files), attachment downloads, and keeping a form that
arrives after the person's sign-in has ended.

The task page itself (GET/POST ``/tasks/<id>``) belongs to the inbox; it calls
``starting_values``, ``read_task_form``, ``page_context`` and ``forget_forms`` from here.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import get_translations, gettext
from flask_login import current_user, login_required, user_logged_in
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from app import services_of
from app.access import log as access_log
from app.access.request import current_viewer, private_download
from app.access.scope import can_read_instance, viewer_of
from app.db import transaction
from app.db.models import Attachment, HumanTask, utcnow
from app.domain.calendar import RIGA, format_lv
from app.forms import attachments, drafts, summaries
from app.forms import service as forms
from app.services import Services
from app.web import CSRF_FIELD, current_language

log = logging.getLogger(__name__)

bp = Blueprint("forms", __name__)

# The signed session cookie's key for the token a form kept after sign-in ended is found by.
KEPT_FORM_TOKEN = "kept_form_token"
_TASK_ENDPOINT = "inbox.task"


def attachment_max_bytes() -> int:
    """The largest file a form accepts (DICASE_ATTACHMENT_MAX_BYTES, 10 MB unless set)."""
    return services_of(current_app).settings.attachment_max_bytes


# --- the task page's form ------------------------------------------------------------------------


def starting_values(services: Services, task: HumanTask, schema: forms.Schema,
                    username: str) -> dict[str, Any]:
    """What the form shows when opened: the person's draft if they saved one, else what the case
    already holds (and the schema's defaults)."""
    with services.sessions() as db:
        draft = drafts.load_draft(db, task.id, username)
    if draft is not None:
        return dict(draft.data)
    known = services.engine.task_data(task.id)
    return forms.initial_values(schema, known, current_language())


@dataclass
class PostedForm:
    """What a posted task form asks for. ``ready`` when the task can be completed with ``data``;
    otherwise the page is shown again with ``errors`` and ``status`` (or ``response`` is a
    redirect: a draft was saved)."""

    data: dict[str, Any]
    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)
    status: int = 200
    focus: str | None = None
    response: Response | None = None
    ready: bool = False


def read_task_form(services: Services, task: HumanTask, schema: forms.Schema,
                   username: str) -> PostedForm:
    action = request.form.get(forms.ACTION_FIELD, "submit")
    values = forms.posted_values(schema, request.form)
    removed = set(request.form.getlist(forms.REMOVE_FILE_FIELD))
    with services.sessions() as db:
        kept = attachments.task_attachments(
            db, task.id, [value for _, value in forms.file_values(schema, values)])
    for path, value in forms.file_values(schema, values):
        if path in removed or value not in kept:
            forms.set_value(values, path, "")

    refused = _store_uploads(services, task, schema, values, username)
    if refused:
        return PostedForm({}, values, errors=refused, status=422)

    row_action = forms.row_action(action)
    if row_action is not None:
        focus = forms.apply_row_action(schema, values, row_action)
        return PostedForm({}, values, focus=focus)

    if action == "draft":
        with transaction(services.sessions) as db:
            drafts.save_draft(db, task.id, username, values, utcnow())
        flash(gettext("Draft saved. You can come back to it later; it is visible only to you."),
              "success")
        return PostedForm({}, values, response=redirect(url_for(_TASK_ENDPOINT,
                                                                task_id=task.id)))

    submission = forms.submission_from_values(schema, values)
    errors = forms.validate_submission(schema, submission, get_translations(),
                                       current_language())
    if errors:
        return PostedForm(submission.data, values, errors=errors, status=422)
    return PostedForm(submission.data, values, ready=True)


def _store_uploads(services: Services, task: HumanTask, schema: forms.Schema,
                   values: dict[str, Any], username: str) -> dict[str, list[str]]:
    """Check every file sent with the form and store them all, or none if any is refused; the
    new attachment ids go into ``values``. Messages per field for the refused ones."""
    limit = attachment_max_bytes()
    checked: dict[str, tuple[attachments.Upload, str]] = {}
    refused: dict[str, list[str]] = {}
    for path, prop in forms.file_fields(schema, values):
        storage = request.files.get(path)
        if not isinstance(storage, FileStorage) or not storage.filename:
            continue
        upload = attachments.Upload(path, storage.filename, storage.stream.read(limit + 1))
        try:
            checked[path] = (upload, attachments.check_upload(upload, forms.accepted_types(prop),
                                                              limit))
        except attachments.AttachmentRefused as refusal:
            # The task id and the reason only: a file name may name the child.
            log.info("attachment refused on task %s: %s", task.id, refusal.reason)
            refused[path] = [_refusal_message(refusal.reason, prop, limit)]
    if refused or not checked:
        return refused
    with transaction(services.sessions) as db:
        stored = attachments.store_uploads(db, checked, instance_id=task.instance_id,
                                           task_id=task.id, username=username)
        for path, row in stored.items():
            forms.set_value(values, path, str(row.id))
    return {}


def _refusal_message(reason: str, prop: dict[str, Any], limit: int) -> str:
    if reason == "too_large":
        return gettext("The file is larger than %(size)s, so it was not attached. "
                       "Nothing was saved; choose a smaller file.",
                       size=attachments.format_size(limit, current_language()))
    if reason == "empty":
        return gettext("The file is empty, so it was not attached. Nothing was saved.")
    kinds = ", ".join(attachments.TYPE_NAMES.get(kind, kind) for kind in forms.accepted_types(prop))
    return gettext("This kind of file cannot be attached here (allowed: %(kinds)s). "
                   "Nothing was saved.", kinds=kinds)


def forget_forms(services: Services, task_id: int) -> None:
    """After the task is completed: its drafts (and forms kept for it) are no longer needed."""
    with transaction(services.sessions) as db:
        drafts.forget_task_forms(db, task_id)


def page_context(services: Services, task: HumanTask, schema: forms.Schema | None,
                 values: dict[str, Any], *, errors: dict[str, list[str]] | None = None,
                 focus: str | None = None) -> dict[str, Any]:
    """Everything ``task.html`` needs for the form, the draft notice and the earlier tasks'
    summaries."""
    lang = current_language()
    username = current_user.username
    with services.sessions() as db:
        draft = drafts.load_draft(db, task.id, username)
        files: dict[str, forms.FileInfo] = {}
        if schema is not None:
            ids = [value for _, value in forms.file_values(schema, values)]
            files = {key: forms.FileInfo(row.id, row.file_name, row.content_type, row.size)
                     for key, row in attachments.task_attachments(db, task.id, ids).items()}
        earlier = summaries.completed_task_summaries(
            db, task.instance_id, lang, forms_dir=services.settings.forms_dir,
            translations=get_translations())
    form = forms.build_form(schema, lang, values, errors, files=files, focus=focus,
                            translations=get_translations()) if schema is not None else None
    shown_notices = forms.notices(schema, services.engine.task_data(task.id)) \
        if schema is not None and schema.get("x-notice") else []
    return {
        "form": form,
        "notices": shown_notices,
        "draft_saved_at": _when(draft.saved_at) if draft is not None else "",
        "summaries": earlier,
        "file_size": lambda size: attachments.format_size(size, lang),
        "attachment_max": attachments.format_size(attachment_max_bytes(), lang),
    }


def _when(moment: Any) -> str:
    return f"{format_lv(moment)} {moment.astimezone(RIGA).strftime('%H:%M')}"


@bp.post("/tasks/<int:task_id>/draft/discard")
@login_required
def discard_draft(task_id: int) -> Response:
    with transaction(services_of(current_app).sessions) as db:
        found = drafts.delete_draft(db, task_id, current_user.username)
    if found:
        flash(gettext("Draft discarded. The form shows the case data again."), "info")
    return redirect(url_for(_TASK_ENDPOINT, task_id=task_id))


# --- attachments ---------------------------------------------------------------------------------


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    """An attached file, for whoever may read its case (``app.access.scope``)."""
    services = services_of(current_app)
    viewer = current_viewer()
    with services.sessions() as db:
        row = db.get(Attachment, attachment_id)
        allowed = row is not None and can_read_instance(db, viewer, row.instance_id)
        content = row.content if row is not None and allowed else b""
    if row is None or not allowed:
        access_log.record_access(services.sessions, viewer, access_log.DENIED, "attachment",
                                 attachment_id, request.path)
        abort(404)
    access_log.record_access(services.sessions, viewer, access_log.DOWNLOAD, "attachment",
                             attachment_id, request.path)
    return private_download(content, row.content_type, row.file_name)


# --- a form that arrives after the sign-in ended -------------------------------------------------


@bp.record_once
def _connect_sign_in(state: Any) -> None:
    app: Flask = state.app
    user_logged_in.connect(_restore_kept_forms, app)


@bp.before_app_request
def _remember_kept_token() -> None:
    # Signing in (with a password or through single sign-on) starts a fresh session, so the
    # token is taken before the sign-in clears it.
    token = session.get(KEPT_FORM_TOKEN)
    if token:
        g.kept_form_token = token


@bp.after_app_request
def _keep_unsigned_form(response: Response) -> Response:
    """A task form posted without a valid sign-in (the session ended, or its cookie is gone):
    keep what was entered, and send the person to sign in; afterwards it is their draft."""
    if request.method != "POST" or request.endpoint != _TASK_ENDPOINT:
        return response
    if current_user.is_authenticated or not (_is_sign_in_redirect(response)
                                             or response.status_code == 400):
        return response
    task_id = (request.view_args or {}).get("task_id")
    if not isinstance(task_id, int) or not _same_origin():
        return response
    fields = {name: request.form.getlist(name) for name in request.form
              if name not in (CSRF_FIELD, forms.ACTION_FIELD)}
    if not fields:
        return response
    token = session.get(KEPT_FORM_TOKEN) or drafts.new_token()
    with transaction(services_of(current_app).sessions) as db:
        kept = drafts.keep_form(db, str(token), task_id, fields, utcnow())
    if not kept:
        return response
    session[KEPT_FORM_TOKEN] = token
    flash(gettext("Your sign-in had ended, so the form was not sent. What you entered is kept: "
                  "sign in again and you will find it in the form as a draft. "
                  "Attached files need to be chosen again."), "info")
    if _is_sign_in_redirect(response):
        return response
    return redirect(url_for("auth.login", next=url_for(_TASK_ENDPOINT, task_id=task_id)))


def _is_sign_in_redirect(response: Response) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code in (301, 302, 303) and \
        urlsplit(location).path == url_for("auth.login")


def _same_origin() -> bool:
    """Only a form sent from our own pages is kept: another site cannot plant a draft."""
    origin = request.headers.get("Origin")
    ours = request.host_url.rstrip("/")
    if origin:
        return origin.rstrip("/") == ours
    referrer = request.headers.get("Referer", "")
    return referrer == ours or referrer.startswith(ours + "/")


def _restore_kept_forms(app: Flask, user: Any, **_: Any) -> None:
    token = g.pop("kept_form_token", None)
    if not token:
        return
    services = services_of(app)
    with transaction(services.sessions) as db:
        viewer = viewer_of(db, user.username, user.roles, user.groups, user.organisation_code)
        restored = drafts.restore_kept_forms(db, str(token), viewer, services.settings.forms_dir,
                                             utcnow())
    if restored:
        names = ", ".join(f"“{task.element_name}”" for task in restored)
        flash(gettext("What you entered before your sign-in ended is now your draft of: "
                      "%(names)s.", names=names), "success")

