"""``/api/v1``: the operations of the web inbox and the case file as JSON, for municipal systems
and service providers' software.

Every request is authenticated by header (``app.api.auth``), every record is looked up through
``app.access.scope`` (via the inbox and case services), a record outside the caller's scope
answers 404 exactly like a missing one and is written to the access log as a refused look, and
every view of a task or a person's file is logged as the web pages log it.
"""
from __future__ import annotations

import gettext
import json
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import force_locale, get_translations
from sqlalchemy.orm import Session

from app import services_of
from app.access import log as access_log
from app.access.scope import Viewer, readable_person, readable_task
from app.auth.oidc import OidcClient
from app.auth.views import OIDC_EXTENSION
from app.cases import service as cases
from app.db import transaction
from app.db.models import HumanTask, utcnow
from app.engine.errors import EngineError, TaskAlreadyCompleted, TaskNoLongerOpen
from app.engine.runtime import Actor
from app.forms import service as forms
from app.inbox import service as inbox
from app.services import Services
from app.web import engine_error_message, log_engine_refusal

from . import auth, openapi, service
from .errors import (
    ApiError,
    api_error_response,
    engine_error_code,
    error_response,
    language,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

TaskFinder = Callable[[Session, Viewer, int], HumanTask | None]
MAX_BODY_BYTES = 1024 * 1024
NOT_A_COLLEAGUE = ("The task cannot be given to this person: they are not an active colleague "
                   "in one of the task's groups.")


# --- the frame of every request ------------------------------------------------------------------


@bp.before_request
def _authenticate() -> None:
    if request.endpoint == "api.openapi_document":
        return
    g.api_client = auth.authenticate(_services(), request, _oidc())


@bp.after_request
def _not_cached(response: Response) -> Response:
    # Answers carry case data: no shared or browser cache may keep them.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_errorhandler(ApiError)
def _api_error(err: ApiError) -> Response:
    return api_error_response(err)


@bp.errorhandler(service.InvalidRequest)
def _invalid_request(err: service.InvalidRequest) -> Response:
    return error_response(422, "invalid_data", err.message, err.fields)


@bp.errorhandler(EngineError)
def _engine_error(err: EngineError) -> Response:
    log_engine_refusal(err)
    with force_locale(language()):
        message = engine_error_message(err)
    return error_response(err.http_status, engine_error_code(err), message)


@bp.errorhandler(forms.FormNotFound)
def _form_not_found(err: forms.FormNotFound) -> Response:
    current_app.logger.error("%s", err)
    return error_response(500, "form_unavailable",
                          "The form of this task cannot be used; the process owner has to fix it.")


# --- the document --------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_document() -> Response:
    response = jsonify(openapi.document())
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- tasks ---------------------------------------------------------------------------------------


@bp.get("/tasks")
def list_tasks() -> Response:
    query, page_size = service.task_list_query(request.args)
    with _services().sessions() as db:
        page = inbox.inbox_page(db, _viewer(), query, utcnow(), page_size, tab_chosen=True)
    return jsonify(service.task_page_json(page))


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> Response:
    services, viewer = _services(), _viewer()
    with services.sessions() as db:
        row = _readable_task(db, viewer, task_id)
        body = _task_body(db, viewer, row)
    _log(access_log.VIEW, "task", row.id)
    schema = _schema_of(row)
    known = services.engine.task_data(row.id) if schema is not None else {}
    body["form_url"] = url_for("api.get_task_form", task_id=row.id) if schema is not None else None
    body["data"] = service.form_data(schema, known)
    return jsonify(body)


@bp.get("/tasks/<int:task_id>/form")
def get_task_form(task_id: int) -> Response:
    with _services().sessions() as db:
        row = _readable_task(db, _viewer(), task_id)
    schema = _schema_of(row)
    if schema is None:
        raise ApiError(404, "no_form", "This task has no form: complete it without data.")
    return jsonify(schema)


@bp.post("/tasks/<int:task_id>/claim")
def claim_task(task_id: int) -> Response:
    row = _task_for_change(task_id, inbox.find_actionable_task,
                           "The task is assigned to someone else, or offered to groups this "
                           "client is not in.")
    _services().engine.claim(row.id, _actor())
    return _task_now(row.id)


@bp.post("/tasks/<int:task_id>/release")
def release_task(task_id: int) -> Response:
    row = _task_for_change(task_id, inbox.find_actionable_task,
                           "Only the one the task is assigned to can release it.")
    _services().engine.unclaim(row.id, _actor())
    return _task_now(row.id)


@bp.post("/tasks/<int:task_id>/assign")
def assign_task(task_id: int) -> Response:
    """A supervisor gives the task to a colleague, or back to the group with ``null``."""
    viewer = _viewer()
    row = _task_for_change(task_id, inbox.find_supervised_task,
                           "Only a supervisor of the groups the task is offered to may assign it.")
    body = _json_body()
    assignee = service.assignee_of(body, "assignee", optional=True, translations=_translations())
    if assignee is not None:
        with _services().sessions() as db:
            allowed = {u.username for u in inbox.colleagues_for(db, viewer, row)}
        if assignee not in allowed | {viewer.username}:
            raise service.InvalidRequest({"assignee": [NOT_A_COLLEAGUE]})
    _services().engine.assign(row.id, _actor(), assignee)
    return _task_now(row.id)


@bp.post("/tasks/<int:task_id>/delegate")
def delegate_task(task_id: int) -> Response:
    """The assignee hands the task to a colleague for a while, and may take it back."""
    viewer = _viewer()
    row = _task_for_change(task_id, inbox.find_actionable_task,
                           "Only the one the task is assigned to can delegate it.")
    body = _json_body()
    delegate = service.assignee_of(body, "delegate", optional=False, translations=_translations())
    with _services().sessions() as db:
        allowed = {u.username for u in inbox.colleagues_for(db, viewer, row)}
    if delegate not in allowed:
        raise service.InvalidRequest({"delegate": [NOT_A_COLLEAGUE]})
    _services().engine.delegate(row.id, _actor(), delegate)
    return _task_now(row.id)


@bp.post("/tasks/<int:task_id>/take-back")
def take_back_task(task_id: int) -> Response:
    row = _task_for_change(task_id, inbox.find_delegated_task,
                           "Only the one who delegated the task can take it back.")
    _services().engine.take_back(row.id, _actor())
    return _task_now(row.id)


@bp.post("/tasks/<int:task_id>/complete")
def complete_task(task_id: int) -> Response:
    """Complete the task with ``data`` validated against its form; nothing is saved on 422."""
    services, viewer = _services(), _viewer()
    row = _task_for_change(task_id, inbox.find_actionable_task,
                           "The task is assigned to someone else, or offered to groups this "
                           "client is not in.")
    body = _json_body()
    data = service.completion_data(body, _schema_of(row), _translations())
    services.engine.complete_task(row.id, _actor(), data)
    with services.sessions() as db:
        done = db.get(HumanTask, row.id)
        assert done is not None
        result = {"task": service.task_json(inbox.describe_one(db, done, utcnow())),
                  "instance": service.started_instance_json(db, viewer, row.instance_id)}
    return jsonify(result)


# --- persons -------------------------------------------------------------------------------------


@bp.get("/persons")
def search_persons() -> Response:
    viewer = _viewer()
    term = request.args.get("q", "").strip()[:120]
    found = []
    if term:
        with _services().sessions() as db:
            found = cases.find_persons(db, viewer, term)
        # A search by personal code tells whether the person is known: logged like a view.
        _log(access_log.SEARCH, "person", None)
    return jsonify(items=[service.person_json(person, viewer.works_on_cases) for person in found],
                   count=len(found))


@bp.get("/persons/<int:person_id>")
def get_person(person_id: int) -> Response:
    viewer = _viewer()
    with _services().sessions() as db:
        file = cases.case_file(db, viewer, person_id)
        if file is None:
            _deny("person", person_id)
    _log(access_log.VIEW, "person", person_id)
    return jsonify(service.case_file_json(file))


@bp.post("/persons")
def register_person() -> Response:
    viewer = _viewer()
    _require_working(viewer)
    body = _json_body()
    try:
        with transaction(_services().sessions) as db:
            person = service.register_from_body(db, viewer, body, _translations())
            result = service.person_json(person, full_code=True)
    except cases.NotAllowed as err:
        raise ApiError(403, "outside_scope", str(err).capitalize() + ".") from None
    except cases.CaseError as err:
        raise ApiError(409, "duplicate_person", str(err).capitalize() + ".") from None
    response = jsonify(result)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_person", person_id=result["id"])
    return response


@bp.post("/persons/<int:person_id>/processes")
def start_process(person_id: int) -> Response:
    services, viewer = _services(), _viewer()
    _require_working(viewer)
    body = _json_body()
    process_key, data, business_key = service.start_request(body, _translations())
    with services.sessions() as db:
        if readable_person(db, viewer, person_id) is None:
            _deny("person", person_id)
        try:
            instance_id = cases.start_process_for(services.engine, db, viewer, person_id,
                                                  process_key, data, business_key=business_key)
        except cases.NotAllowed as err:
            raise ApiError(403, "not_allowed", str(err).capitalize() + ".") from None
    with services.sessions() as db:
        result = service.started_instance_json(db, viewer, instance_id)
    response = jsonify(result)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_person", person_id=person_id)
    return response


# --- support-plan versions from the municipalities (SOPA through the integration bus) -------------


@bp.post("/support-plans/<case_reference>/versions")
def deliver_support_plan_version(case_reference: str) -> Response:
    from app.assessment import inbound

    services, viewer = _services(), _viewer()
    _require_working(viewer)
    body = _json_body()
    with services.sessions() as db:
        try:
            delivery = inbound.deliver_version(services.engine, db, viewer, case_reference, body)
        except inbound.UnknownCase:
            raise ApiError(404, "unknown_case",
                           "No needs-assessment case with this reference is available to you."
                           ) from None
        except inbound.InvalidVersion as err:
            raise ApiError(422, "invalid_data", "The support-plan version is malformed.",
                           err.fields) from None
        except inbound.CaseNotWaiting:
            raise ApiError(409, "case_not_waiting",
                           "The case does not take plan versions now: its first plan is not "
                           "approved yet, or the case has ended.") from None
    response = jsonify({"status": delivery.status, "case_reference": delivery.case_reference,
                        "version": delivery.version})
    response.status_code = 200 if delivery.status == "duplicate" else 202
    return response


# --- orphan-court decisions from NPAIS (P10) -------------------------------------------------------


@bp.post("/orphan-court-decisions")
def deliver_orphan_court_decision() -> Response:
    from app.child_protection import inbound as decisions

    malformed = "The orphan-court decision is malformed."
    delivery = _inbound(decisions.SCHEMA_NAME, malformed, decisions.deliver, {
        decisions.InvalidDecision: (422, "invalid_data", malformed),
        decisions.NotAllowed: (403, "outside_scope", ("This client may not deliver decisions of "
                               "this orphan court (only the court itself or the ministry's "
                               "NPAIS link may).")),
        decisions.UnknownCase: (404, "unknown_case", ("No child-protection case of this child "
                                "and orphan court is available to you.")),
        decisions.CaseNotWaiting: (409, "case_not_waiting", ("The child-protection case has "
                                   "ended; it takes no return decision.")),
        decisions.ConflictingDuplicate: (409, "conflicting_duplicate", ("This decision id was "
                                         "delivered before with different content; nothing was "
                                         "changed.")),
        decisions.DecisionInProgress: (409, "decision_in_progress", ("This decision is being "
                                       "applied by an earlier delivery; send it again in a "
                                       "minute.")),
    })
    return _accepted(delivery.status, decision_id=delivery.decision_id, kind=delivery.kind,
                     case_number=delivery.case_number)


# --- corrections SAIS reports for a co-payment month (P8) ----------------------------------------


@bp.post("/co-payment-corrections")
def deliver_co_payment_correction() -> Response:
    from app.co_payment import corrections

    malformed = "The co-payment correction is malformed."
    delivery = _inbound(corrections.SCHEMA_NAME, malformed, corrections.deliver, {
        corrections.NotAllowed: (403, "outside_scope", ("Only SAIS or the ministry's integration "
                                 "link may report co-payment corrections.")),
        corrections.InvalidCorrection: (422, "invalid_data", malformed),
        corrections.UnknownCase: (404, "unknown_case", ("No co-payment case matches the "
                                  "reference, or the personal code and institution.")),
        corrections.CaseNotWaiting: (409, "case_not_waiting", ("The case is confirming a month "
                                     "now, or has ended; send the correction again later.")),
        corrections.ConflictingDuplicate: (409, "conflicting_duplicate", ("This correction id "
                                           "was delivered before for another month; nothing "
                                           "was changed.")),
    })
    return _accepted(delivery.status, correction_id=delivery.correction_id,
                     case_reference=delivery.case_reference, period=delivery.period)


def _inbound(schema_name: str, malformed: str, deliver: Callable[..., Any],
             refusals: Mapping[type[Exception], tuple[int, str, str]]) -> Any:
    """A message another system delivers: the body checked against its schema (422 naming the
    fields), then ``deliver(engine, sessions, viewer, body, language)``, whose refusals answer
    with their status, code and message (an error with ``fields`` names them too)."""
    services, viewer = _services(), _viewer()
    _require_working(viewer)
    body = _json_body()
    errors = service.body_errors(schema_name, body, _translations())
    if errors:
        raise ApiError(422, "invalid_data", malformed, errors)
    try:
        return deliver(services.engine, services.sessions, viewer, body, language())
    except tuple(refusals) as err:
        status, code, message = next(answer for kind, answer in refusals.items()
                                     if isinstance(err, kind))
        raise ApiError(status, code, message, getattr(err, "fields", None)) from None


def _accepted(status: str, **fields: Any) -> Response:
    """202 for a message applied now, 200 for one applied before (a repeated delivery)."""
    response = jsonify({"status": status, **fields})
    response.status_code = 200 if status == "duplicate" else 202
    return response


# --- helpers -------------------------------------------------------------------------------------


def _task_for_change(task_id: int, finder: TaskFinder, refusal: str) -> HumanTask:
    """The task a write acts on. A read-only client is refused (403) before anything is looked
    up; a task outside the scope is 404 (and logged); a task no longer open is 409; a task the
    client may read but not act on in this way is 403."""
    viewer = _viewer()
    _require_working(viewer)
    with _services().sessions() as db:
        row = _readable_task(db, viewer, task_id)
        if row.status == "completed":
            raise TaskAlreadyCompleted(row.id, row.completed_by, row.completed_at)
        if row.status != "open":
            raise TaskNoLongerOpen(row.id, row.status)
        found = finder(db, viewer, task_id)
    if found is None:
        raise ApiError(403, "not_allowed", refusal)
    return found


def _require_working(viewer: Viewer) -> None:
    if not viewer.works_on_cases:
        raise ApiError(403, "read_only",
                       "This client may read records but not change them (its roles do not "
                       "include caseworker, interviewer or supervisor).")


def _readable_task(db: Session, viewer: Viewer, task_id: int) -> HumanTask:
    row = readable_task(db, viewer, task_id)
    if row is None:
        _deny("task", task_id)
    return row


def _task_body(db: Session, viewer: Viewer, row: HumanTask) -> dict[str, Any]:
    body = service.task_json(inbox.describe_one(db, row, utcnow()))
    body["actions"] = service.allowed_actions(db, viewer, row)
    return body


def _task_now(task_id: int) -> Response:
    """The task after a change, as the caller now sees it."""
    with _services().sessions() as db:
        row = _readable_task(db, _viewer(), task_id)
        return jsonify(_task_body(db, _viewer(), row))


def _schema_of(row: HumanTask) -> forms.Schema | None:
    if not row.form_key:
        return None
    return forms.load_schema(_services().settings.forms_dir, row.form_key)


def _json_body() -> Any:
    # Bodies are form data and person records, never files: a larger one is refused (413).
    request.max_content_length = MAX_BODY_BYTES
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(422, "invalid_json", "The body is not valid JSON.") from None
    if _holds_nul(body):
        # PostgreSQL refuses NUL in text: refused here, in words, before anything is written.
        raise ApiError(422, "invalid_json", "A text in the body contains a NUL character "
                       "(\\u0000), which no field may hold.")
    return body


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _deny(record_type: str, record_id: int) -> NoReturn:
    """Out of scope or missing: the same 404 either way, and a line in the access log."""
    _log(access_log.DENIED, record_type, record_id)
    raise ApiError(404, "not_found", "Not found, or not available to you.")


def _log(action: str, record_type: str, record_id: int | None) -> None:
    access_log.record_access(_services().sessions, _viewer(), action, record_type, record_id,
                             request.path)


def _translations() -> gettext.NullTranslations:
    """The catalog of the client's language, for validation messages."""
    with force_locale(language()):
        return get_translations()


def _viewer() -> Viewer:
    client: auth.ApiClient = g.api_client
    return client.viewer


def _actor() -> Actor:
    viewer = _viewer()
    return Actor(viewer.username, frozenset(viewer.groups))


def _services() -> Services:
    return services_of(current_app)


def _oidc() -> OidcClient | None:
    client = current_app.extensions.get(OIDC_EXTENSION)
    return client if isinstance(client, OidcClient) else None
