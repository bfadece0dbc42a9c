"""The process owners' pages: the process catalogue, the BPMN modeler, the decision table editor
and the form editor, and the JSON calls the modeler makes (validate, save a draft, deploy).

Process owners and administrators change processes; auditors read the catalogue and download
models; everyone else gets 403. The logic is in ``service`` and ``validation``.
"""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_translations, gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as Redirect

from app import services_of
from app.access.request import current_viewer
from app.config import PROJECT_ROOT
from app.db import transaction
from app.forms import attachments
from app.forms import service as forms
from app.forms.service import FormNotFound
from app.services import Services
from app.web import current_language

from . import service
from .diagram_texts import diagram_texts
from .validation import Problem

bp = Blueprint("modeler", __name__, url_prefix="/processes")

MANAGING_ROLES = frozenset({"process_owner", "admin"})
DOCS_DIR = PROJECT_ROOT / "docs" / "processes"
_XML = "application/xml"


def may_manage() -> bool:
    return bool(MANAGING_ROLES.intersection(current_user.roles))


def may_read() -> bool:
    return may_manage() or current_viewer().is_auditor


def _require_read() -> None:
    if not may_read():
        abort(403)


def _require_manage() -> None:
    if not may_manage():
        abort(403)


def _services() -> Services:
    return services_of(current_app)


# --- catalogue and downloads ---------------------------------------------------------------------


@bp.get("")
@login_required
def catalogue() -> str:
    _require_read()
    with _services().sessions() as db:
        entries = service.catalogue(db, DOCS_DIR)
        dmn_drafts = service.drafts(db, service.DMN_DRAFT)
        form_drafts = service.drafts(db, service.FORM_DRAFT)
    forms_dir = _services().settings.forms_dir
    return render_template("modeler/catalogue.html", entries=entries, may_manage=may_manage(),
                           forms=service.form_names(forms_dir), dmn_drafts=dmn_drafts,
                           form_drafts=form_drafts)


@bp.get("/<key>/versions/<int:version>.bpmn")
@login_required
def download_version(key: str, version: int) -> Response:
    _require_read()
    with _services().sessions() as db:
        found = service.definition(db, key, version)
        if found is None:
            abort(404)
        source = found.source_xml
    return _attachment(source, f"{key}-v{version}.bpmn", _XML)


@bp.get("/decisions/<name>")
@login_required
def download_decisions(name: str) -> Response:
    _require_read()
    with _services().sessions() as db:
        source = service.dmn_file(db, name, _services().settings.processes_dir)
    if source is None:
        abort(404)
    return _attachment(source, name, _XML)


@bp.get("/drafts/<int:draft_id>")
@login_required
def download_draft(draft_id: int) -> Response:
    _require_manage()
    with _services().sessions() as db:
        draft = service.draft_by_id(db, draft_id)
        if draft is None:
            abort(404)
        kind, key, source = draft.kind, draft.process_key, draft.source
    if kind == service.FORM_DRAFT:
        return _attachment(source, key, "application/json")
    return _attachment(source, key if kind == service.DMN_DRAFT else f"{key}-draft.bpmn", _XML)


def _attachment(text: str, file_name: str, mimetype: str) -> Response:
    response = Response(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


# --- the BPMN modeler ----------------------------------------------------------------------------


@bp.get("/<key>/modeler")
@login_required
def modeler(key: str) -> str:
    """The modeler on a version (``?version=N``, else the latest) or on the person's draft
    (``?draft=1``)."""
    _require_manage()
    version = request.args.get("version", type=int)
    with _services().sessions() as db:
        draft = service.load_draft(db, service.BPMN_DRAFT, key, current_user.username)
        if request.args.get("draft") and draft is not None:
            source, based_on, opened = draft.source, draft.based_on_version, "draft"
        else:
            found = service.definition(db, key, version)
            if found is None:
                abort(404)
            source, based_on, opened = found.source_xml, found.version, "version"
        draft_saved_at = draft.saved_at if draft is not None else None
    return _modeler_page(key, source, based_on, opened, draft_saved_at)


@bp.get("/new")
@login_required
def new_process() -> str | Redirect:
    _require_manage()
    key = (request.args.get("key") or "").strip()
    name = (request.args.get("name") or "").strip() or key
    if not service.is_key(key):
        flash(gettext("A process key is letters, digits and underscores, starting with a "
                      "letter (for example p12_respite_care)."), "error")
        return redirect(url_for("modeler.catalogue"))
    return _modeler_page(key, service.new_process_xml(key, name), None, "new", None)


def _modeler_page(key: str, source: str, based_on: int | None, opened: str,
                  draft_saved_at: Any) -> str:
    config = {
        "xml": source, "processKey": key, "basedOnVersion": based_on,
        "formsUrl": url_for("modeler.forms_list"),
        "operationsUrl": url_for("modeler.operations_list"),
        "validateUrl": url_for("modeler.validate"), "saveUrl": url_for("modeler.save_draft"),
        "deployUrl": url_for("modeler.deploy"), "catalogueUrl": url_for("modeler.catalogue"),
        "texts": _modeler_texts(), "diagramTexts": diagram_texts(),
    }
    return render_template("modeler/modeler.html", key=key, based_on=based_on, opened=opened,
                           draft_saved_at=draft_saved_at, config=config)


def _modeler_texts() -> dict[str, str]:
    return {
        "saved": gettext("Draft saved."),
        "deployed": gettext("Deployed as version %(version)s of %(key)s. Instances started from "
                            "now on run on it; running instances keep their version."),
        "unchanged": gettext("This model is already deployed as version %(version)s; nothing "
                             "changed."),
        "noProblems": gettext("No problems found."),
        "problemsFound": gettext("Errors: %(errors)s, warnings: %(warnings)s. Select one to see "
                                 "the element."),
        "onlyWarnings": gettext("No errors. Warnings: %(warnings)s."),
        "refused": gettext("Not deployed: correct the problems marked on the diagram."),
        "failed": gettext("The server did not answer. Nothing was changed; try again."),
        "importFailed": gettext("The file could not be opened as a BPMN diagram: %(reason)s"),
        "imported": gettext("Opened %(name)s. Validate it, then save or deploy."),
        "wholeModel": gettext("Whole model"),
        "lint": gettext("Modelling rule"),
        "warning": gettext("Warning"),
        "error": gettext("Error"),
        "confirmDeploy": gettext("Deploy this model as a new version?"),
        # The properties panel's groups and fields for the spiffworkflow extensions.
        "groupTask": gettext("Form and assignment"),
        "form": gettext("Form"),
        "noForm": gettext("(no form)"),
        "candidateGroups": gettext("Candidate groups"),
        "candidateGroupsHelp": gettext("Groups offered the task, separated by spaces; "
                                       "without them, the task's lane."),
        "dueDate": gettext("Due date (expression)"),
        "followUpDate": gettext("Follow-up date (expression)"),
        "expressionHelp": gettext("A Python expression, e.g. report_due or add_months(today(), 1)."),
        "groupService": gettext("Operation"),
        "operation": gettext("Operation"),
        "noOperation": gettext("(choose an operation)"),
        "resultVariable": gettext("Result variable"),
        "groupParameters": gettext("Parameters"),
        "parameterId": gettext("Name"),
        "parameterType": gettext("Type"),
        "parameterValue": gettext("Value (expression)"),
        "groupTimer": gettext("Timer"),
        "timerType": gettext("Kind of timer"),
        "timeDate": gettext("Date"),
        "timeDuration": gettext("Duration"),
        "timeCycle": gettext("Cycle"),
        "timerExpression": gettext("Timer expression"),
        "timerHelp": gettext("A Python expression: write \"P3M\" with the quotes, or name a "
                             "variable that holds an ISO 8601 date."),
        "groupMessage": gettext("Message and correlation"),
        "messageName": gettext("Message name"),
        "correlationKey": gettext("Correlation key (expression)"),
        "correlationHelp": gettext("Matched against the waiting instance's business key; "
                                   "e.g. case_number."),
        "groupCondition": gettext("Condition"),
        "condition": gettext("Condition (expression)"),
        "groupScript": gettext("Script"),
        "script": gettext("Script (Python)"),
    }


@bp.get("/api/forms")
@login_required
def forms_list() -> Response:
    _require_manage()
    return jsonify(service.form_choices(_services().settings.forms_dir, current_language()))


@bp.get("/api/operations")
@login_required
def operations_list() -> Response:
    _require_manage()
    return jsonify(service.operation_choices())


def _posted_source() -> str:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
        abort(400)
    return str(body["xml"])


@bp.post("/api/validate")
@login_required
def validate() -> Response:
    _require_manage()
    source = _posted_source()
    settings = _services().settings
    with _services().sessions() as db:
        checked = service.check_model(db, source, forms_dir=settings.forms_dir,
                                      processes_dir=settings.processes_dir,
                                      saved_by=current_user.username,
                                      translations=get_translations())
    return jsonify(process_key=checked.process_key, problems=_json(checked.problems))


@bp.post("/api/drafts")
@login_required
def save_draft() -> Response | tuple[Response, int]:
    _require_manage()
    body = request.get_json(silent=True) or {}
    source = _posted_source()
    kind = body.get("kind", service.BPMN_DRAFT)
    based_on = body.get("basedOnVersion")
    try:
        if kind == service.BPMN_DRAFT:
            key = service.process_key_of(source, get_translations())
        elif kind == service.DMN_DRAFT:
            key = service.dmn_key_of(source, get_translations())
        else:
            abort(400)
        with transaction(_services().sessions) as db:
            draft = service.save_draft(db, kind, key, source, current_user.username,
                                       based_on if isinstance(based_on, int) else None)
            answer = {"id": draft.id, "key": key, "saved_at": draft.saved_at.isoformat()}
    except service.ModelRefused as err:
        return jsonify(problems=_json(err.problems)), 422
    except ValueError:
        abort(413)
    return jsonify(answer)


@bp.post("/api/deploy")
@login_required
def deploy() -> Response | tuple[Response, int]:
    _require_manage()
    source = _posted_source()
    settings = _services().settings
    try:
        with transaction(_services().sessions) as db:
            deployed, warnings = service.deploy_model(
                db, source, current_user.username, forms_dir=settings.forms_dir,
                processes_dir=settings.processes_dir, translations=get_translations())
    except service.ModelRefused as err:
        return jsonify(problems=_json(err.problems)), 422
    return jsonify(process_key=deployed.process_key, version=deployed.version,
                   created=deployed.created, problems=_json(warnings))


def _json(problems: list[Problem]) -> list[dict[str, str]]:
    return [problem.as_json() for problem in problems]


# --- decision tables -----------------------------------------------------------------------------


@bp.get("/decisions/<name>/edit")
@login_required
def decision_editor(name: str) -> str:
    _require_manage()
    with _services().sessions() as db:
        draft = service.load_draft(db, service.DMN_DRAFT, name, current_user.username)
        if draft is not None and request.args.get("draft"):
            source = draft.source
        else:
            found = service.dmn_file(db, name, _services().settings.processes_dir)
            if found is None:
                if not (name.endswith(".dmn") and service.is_key(name)):
                    abort(404)
                found = service.new_dmn_xml(name.removesuffix(".dmn"))
            source = found
        draft_saved_at = draft.saved_at if draft is not None else None
    config = {"xml": source, "name": name, "saveUrl": url_for("modeler.save_draft"),
              "texts": {"saved": gettext("Draft saved."),
                        "failed": gettext("The server did not answer. Nothing was changed; "
                                          "try again."),
                        "importFailed": gettext("The file could not be opened as a DMN "
                                                "model: %(reason)s")}}
    return render_template("modeler/decisions.html", name=name, config=config,
                           draft_saved_at=draft_saved_at)


# --- the form editor -----------------------------------------------------------------------------


@bp.get("/forms/<name>/edit")
@login_required
def form_editor(name: str) -> str:
    _require_manage()
    forms_dir = _services().settings.forms_dir
    with _services().sessions() as db:
        draft = service.load_draft(db, service.FORM_DRAFT, name, current_user.username)
        draft_saved_at = draft.saved_at if draft is not None else None
        draft_source = draft.source if draft is not None else None
    source = service.form_source(forms_dir, name)
    if draft_source is not None and (request.args.get("draft") or source is None):
        source = draft_source
    if source is None:
        if not (name.endswith(".json") and service.is_key(name)):
            abort(404)
        source = _NEW_FORM
    return _form_editor_page(name, source, draft_saved_at)


_NEW_FORM = ('{\n  "$schema": "https://json-schema.org/draft/2020-12/schema",\n'
             '  "title": "Jauna veidlapa",\n  "x-title-en": "New form",\n'
             '  "type": "object",\n  "required": [],\n  "properties": {}\n}\n')


def _form_editor_page(name: str, source: str, draft_saved_at: Any) -> str:
    preview = _preview(source)
    return render_template("modeler/form_editor.html", name=name, source=source,
                           draft_saved_at=draft_saved_at, **preview)


def _preview(source: str) -> dict[str, Any]:
    """The form as a caseworker will see it, drawn by the task page's own macros."""
    lang = current_language()
    try:
        schema = service.read_form_schema(source)
    except FormNotFound as err:
        return {"preview_form": None, "preview_error": str(err).split(": ", 1)[-1],
                **_field_context(lang)}
    form = forms.build_form(schema, lang, forms.initial_values(schema, {}, lang),
                            translations=get_translations())
    return {"preview_form": form, "preview_error": "", **_field_context(lang)}


def _field_context(lang: str) -> dict[str, Any]:
    limit = _services().settings.attachment_max_bytes
    return {"file_size": lambda size: attachments.format_size(size, lang),
            "attachment_max": attachments.format_size(limit, lang)}


@bp.post("/forms/<name>/preview")
@login_required
def form_preview(name: str) -> str:
    _require_manage()
    source = request.form.get("schema", "")
    if request.headers.get("HX-Request"):
        return render_template("modeler/_form_preview.html", **_preview(source))
    return render_template("modeler/form_editor.html", name=name, source=source,
                           draft_saved_at=None, **_preview(source))


@bp.post("/forms/<name>/draft")
@login_required
def save_form_draft(name: str) -> Redirect:
    _require_manage()
    if not (name.endswith(".json") and service.is_key(name)):
        abort(404)
    source = request.form.get("schema", "")
    try:
        with transaction(_services().sessions) as db:
            service.save_draft(db, service.FORM_DRAFT, name, source, current_user.username)
    except ValueError:
        abort(413)
    flash(gettext("Draft of the form %(name)s saved.", name=name), "success")
    return redirect(url_for("modeler.form_editor", name=name, draft=1))
