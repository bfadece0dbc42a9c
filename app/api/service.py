"""What the API adds to the services the web inbox and the case file use: reading its query
parameters and bodies strictly, and turning tasks, persons and case files into JSON.

No Flask here. Every record comes from ``app.inbox.service`` or ``app.cases.service``, which
query through ``app.access.scope``; this module only shapes what they return.
"""
from __future__ import annotations

import gettext
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, record_filter
from app.cases import personal_codes
from app.cases.service import CaseError, CaseFile, register_person
from app.db.models import HumanTask, Organisation, Person, ProcessDefinition, ProcessInstance
from app.forms import service as forms
from app.inbox import service as inbox

from . import openapi

MAX_PAGE_SIZE = 100
_ENGLISH = gettext.NullTranslations()


class InvalidRequest(ValueError):
    """Parameters or a body the API refuses (422), with messages per field."""

    def __init__(self, fields: Mapping[str, list[str]], message: str = "The data is not valid.") -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields)


# --- values --------------------------------------------------------------------------------------


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601: dates as ``2026-01-10``, times in UTC as ``2026-01-10T08:30:00Z``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def shown_personal_code(code: str | None, full: bool) -> str | None:
    """The rule of the case-file page: the whole code only to those who work on the case
    (``CaseFile.may_change``), the masked form to everyone else."""
    if not code:
        return None
    return code if full else personal_codes.masked(code)


def json_safe(value: Any) -> Any:
    """Task data as JSON: dates as ISO text, anything unknown as its text."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return iso(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


# --- tasks ---------------------------------------------------------------------------------------


def task_list_query(args: Mapping[str, str]) -> tuple[inbox.InboxQuery, int]:
    """The inbox query of ``GET /api/v1/tasks``; where the web inbox quietly falls back to its
    defaults, the API says which parameter it could not use."""
    errors: dict[str, list[str]] = {}
    choices = {"tab": inbox.TABS, "due": inbox.DUE_FILTERS, "sort": tuple(inbox.SORTS)}
    for name, allowed in choices.items():
        value = args.get(name)
        if value is not None and value != "" and value not in allowed:
            errors[name] = [f"Use one of: {', '.join(allowed)}."]
    page = _positive_int(args, "page", 1, 100_000, errors)
    page_size = _positive_int(args, "page_size", inbox.PAGE_SIZE, MAX_PAGE_SIZE, errors)
    if errors:
        raise InvalidRequest(errors, "Some query parameters cannot be used.")
    query = inbox.InboxQuery.from_args({k: v for k, v in args.items() if k != "page"})
    return replace(query, page=page), page_size


def _positive_int(args: Mapping[str, str], name: str, default: int, limit: int,
                  errors: dict[str, list[str]]) -> int:
    text = args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= limit:
        errors[name] = [f"Use a whole number from 1 to {limit}."]
        return default
    return value


def task_json(row: inbox.InboxRow) -> dict[str, Any]:
    """A task as lists show it. The person's code is always masked here, as in the web inbox."""
    task = row.task
    person = None
    if task.person_id is not None:
        person = {"id": task.person_id, "name": row.person_name,
                  "personal_code": row.personal_code_masked or None}
    return {
        "id": task.id,
        "instance_id": task.instance_id,
        "process_key": task.process_key,
        "process_version": task.process_version,
        "process_name": row.process_name,
        "business_key": task.business_key,
        "element_id": task.element_id,
        "name": task.element_name,
        "form_key": task.form_key,
        "lane": task.lane,
        "candidate_groups": task.candidate_groups.split(),
        "status": task.status,
        "assignee": task.assignee,
        "delegated_by": task.delegated_by,
        "created_at": iso(task.created_at),
        "due_at": iso(task.due_at),
        "due_day": iso(row.due_day),
        "due_state": row.due_state,
        "follow_up_at": iso(task.follow_up_at),
        "follow_up_due": row.follow_up_due,
        "completed_at": iso(task.completed_at),
        "completed_by": task.completed_by,
        "person": person,
    }


def task_page_json(page: inbox.InboxPage) -> dict[str, Any]:
    return {"items": [task_json(row) for row in page.rows], "total": page.total,
            "counts": page.counts, "tab": page.query.tab, "page": page.query.page,
            "page_size": page.page_size, "pages": page.pages}


def allowed_actions(session: Session, viewer: Viewer, task: HumanTask) -> list[str]:
    """What the viewer may do with the task now, by the same rules the actions check."""
    if task.status != "open" or not viewer.works_on_cases:
        return []
    actions: list[str] = []
    if inbox.find_actionable_task(session, viewer, task.id) is not None:
        if task.assignee is None:
            actions.append("claim")
        else:
            actions += ["release", "delegate"]
        actions.append("complete")
    if inbox.find_supervised_task(session, viewer, task.id) is not None:
        actions.append("assign")
    if inbox.find_delegated_task(session, viewer, task.id) is not None:
        actions.append("take_back")
    return actions


def form_data(schema: forms.Schema | None, known: Mapping[str, Any]) -> dict[str, Any]:
    """The current data for the task's form: what the case holds for the form's fields, else
    the schema's defaults; typed as the schema says (not as the web form displays it)."""
    if schema is None:
        return {}
    data: dict[str, Any] = {}
    for name, prop in _form_properties(schema):
        if name in data:
            continue
        if known.get(name) is not None:
            data[name] = json_safe(known[name])
        elif isinstance(prop, Mapping) and "default" in prop:
            data[name] = json_safe(prop["default"])
    return data


def _form_properties(schema: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """The top-level properties, with those only a conditional part of the schema declares."""
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        yield from properties.items()
    for keyword in ("then", "else"):
        if isinstance(schema.get(keyword), Mapping):
            yield from _form_properties(schema[keyword])
    for keyword in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(keyword) or ():
            if isinstance(part, Mapping):
                yield from _form_properties(part)
    dependent = schema.get("dependentSchemas")
    if isinstance(dependent, Mapping):
        for part in dependent.values():
            if isinstance(part, Mapping):
                yield from _form_properties(part)


def completion_data(body: Any, schema: forms.Schema | None,
                    translations: gettext.NullTranslations = _ENGLISH) -> dict[str, Any]:
    """The ``data`` of ``POST /tasks/{id}/complete``, validated against the task's form."""
    errors = body_errors("TaskCompletion", body, translations)
    if errors:
        raise InvalidRequest(errors)
    data = dict(body.get("data") or {})
    if schema is None:
        if data:
            raise InvalidRequest({"data": ["This task has no form: send no data."]})
        return {}
    field_errors = forms.validate(schema, data, translations)
    if field_errors:
        raise InvalidRequest({_field(name): messages for name, messages in field_errors.items()},
                             "The form data is not valid.")
    return data


def _field(name: str) -> str:
    # Messages about the whole form are reported under "data".
    return f"data.{name}" if name else "data"


# --- request bodies ------------------------------------------------------------------------------


def body_errors(schema_name: str, body: Any,
                translations: gettext.NullTranslations = _ENGLISH) -> dict[str, list[str]]:
    """Messages per field when ``body`` does not match the document's ``schema_name``."""
    if not isinstance(body, Mapping):
        return {"body": ["The body must be a JSON object."]}
    errors = forms.validate(openapi.request_schema(schema_name), body, translations)
    # Messages about the body as a whole (a field it does not expect) are reported as "body".
    return {name or "body": messages for name, messages in errors.items()}


def assignee_of(body: Any, name: str, *, optional: bool,
                translations: gettext.NullTranslations = _ENGLISH) -> str | None:
    """The username in an assign or delegate body."""
    errors = body_errors("TaskAssignment" if optional else "TaskDelegation", body, translations)
    if errors:
        raise InvalidRequest(errors)
    value = body.get(name)
    return str(value) if value else None


# --- persons -------------------------------------------------------------------------------------


def person_json(person: Person, full_code: bool) -> dict[str, Any]:
    return {
        "id": person.id,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "personal_code": shown_personal_code(person.personal_code, full_code),
        "birth_date": iso(person.birth_date),
        "sex": person.sex,
        "municipality_code": person.municipality_code,
        "institution_code": person.institution_code,
        "orphan_court_code": person.orphan_court_code,
        "confidential": person.confidential,
        "address": person.address,
        "phone": person.phone,
        "email": person.email,
        "created_at": iso(person.created_at),
    }


def step_json(task: HumanTask) -> dict[str, Any]:
    """An open task as a case file lists it: the step the process waits at."""
    return {"task_id": task.id, "element_id": task.element_id, "name": task.element_name,
            "form_key": task.form_key, "candidate_groups": task.candidate_groups.split(),
            "assignee": task.assignee, "due_at": iso(task.due_at),
            "due_day": iso(inbox.due_day(task.due_at)), "created_at": iso(task.created_at)}


def instance_json(instance: ProcessInstance, process_name: str,
                  open_tasks: list[HumanTask]) -> dict[str, Any]:
    return {"id": instance.id, "process_key": instance.process_key,
            "process_name": process_name, "business_key": instance.business_key,
            "status": instance.status, "started_by": instance.started_by,
            "created_at": iso(instance.created_at), "ended_at": iso(instance.ended_at),
            "current_steps": [step_json(task) for task in open_tasks]}


def case_file_json(file: CaseFile) -> dict[str, Any]:
    return {
        "person": person_json(file.person, file.may_change),
        "may_change": file.may_change,
        "instances": [instance_json(summary.instance, summary.process_name, summary.open_tasks)
                      for summary in file.instances],
        "timeline": [{"occurred_at": iso(entry.occurred_at), "kind": entry.kind,
                      "actor": entry.actor, "element_id": entry.element_id,
                      "process_name": entry.process_name, "instance_id": entry.instance_id}
                     for entry in file.timeline],
    }


def started_instance_json(session: Session, viewer: Viewer, instance_id: int) -> dict[str, Any]:
    """The instance just started, as the viewer may see it (its first steps included)."""
    instance = session.scalars(select(ProcessInstance).where(
        ProcessInstance.id == instance_id, record_filter(viewer, ProcessInstance))).first()
    if instance is None:
        return {"id": instance_id}
    tasks = list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.status == "open")
        .order_by(HumanTask.created_at, HumanTask.id)))
    name = session.scalar(select(ProcessDefinition.name).where(
        ProcessDefinition.id == instance.definition_id))
    return instance_json(instance, name or instance.process_key, tasks)


_ORGANISATION_FIELDS = ("municipality_code", "institution_code", "orphan_court_code")


def register_from_body(session: Session, viewer: Viewer, body: Any,
                       translations: gettext.NullTranslations = _ENGLISH) -> Person:
    """Register the person a ``POST /api/v1/persons`` body describes; the caller commits.

    Raises InvalidRequest (422) for data that cannot be used, and the case service's
    CaseError / NotAllowed for a duplicate or a person outside the caller's records.
    """
    errors = body_errors("PersonRegistration", body, translations)
    if errors:
        raise InvalidRequest(errors)
    for name in _ORGANISATION_FIELDS:
        code = body.get(name)
        if code and session.get(Organisation, code) is None:
            errors[name] = ["No organisation has this code."]
    code = body.get("personal_code")
    if code:
        try:
            personal_codes.normalise(code)
        except personal_codes.InvalidPersonalCode as err:
            errors["personal_code"] = [str(err)]
    if errors:
        raise InvalidRequest(errors)
    birth = body.get("birth_date")
    return register_person(
        session, viewer, given_name=body["given_name"], family_name=body["family_name"],
        personal_code=code or None, birth_date=date.fromisoformat(birth) if birth else None,
        sex=body.get("sex"), **{name: body.get(name) or None for name in _ORGANISATION_FIELDS},
        confidential=bool(body.get("confidential", False)), address=body.get("address") or "",
        phone=body.get("phone") or "", email=body.get("email") or "")


def start_request(body: Any, translations: gettext.NullTranslations = _ENGLISH
                  ) -> tuple[str, dict[str, Any], str | None]:
    """``(process_key, data, business_key)`` of a ``POST /persons/{id}/processes`` body."""
    errors = body_errors("ProcessStart", body, translations)
    if errors:
        raise InvalidRequest(errors)
    return body["process_key"], dict(body.get("data") or {}), body.get("business_key") or None


__all__ = ["CaseError", "InvalidRequest"]
