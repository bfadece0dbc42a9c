"""An instance's history, gathered for the instance page and the exports.

Everything comes from the event log and the rows derived from the workflow state (human tasks,
timers, jobs, message subscriptions, incidents): which elements ran and how often, which are
current, which failed, and a timeline of the events with the data each person's step changed.
No SpiffWorkflow and no Flask here; the caller has checked the viewer may read the instance
(``app.access.scope.can_read_instance``).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from adapters.registry import reaches_another_system
from app.access.scope import Viewer, can_read_instance, readable_person, record_filter
from app.cases.service import find_persons
from app.db.models import (
    Event,
    HumanTask,
    Incident,
    Job,
    MessageSubscription,
    Person,
    ProcessDefinition,
    ProcessInstance,
    Timer,
    User,
)
from app.forms import service as forms

from .diagram import FlowElement, flow_elements
from .verify import ChainVerdict, verify_instance

ENGINE_ACTOR = "engine"
# The engine completed an element by itself (one entry per element of an ``engine_ran`` event).
ENGINE_COMPLETED = "engine_completed"
# Events after which an element counts as having run once more.
_COMPLETING = frozenset({"task_completed", "job_succeeded"})

ADDED, CHANGED, REMOVED = "added", "changed", "removed"

# Diagram states, most telling first: an open incident, a token waiting, done before.
FAILED, CURRENT, COMPLETED = "failed", "current", "completed"


@dataclass(frozen=True)
class Change:
    """One key of the instance's data as a step left it."""

    key: str
    label: str
    kind: str  # added | changed | removed
    before: Any = None
    after: Any = None


@dataclass
class TimelineItem:
    event: Event
    actor_name: str
    element_name: str = ""
    changes: list[Change] = field(default_factory=list)
    # For engine_ran: the elements the engine completed by itself, by name.
    ran: list[str] = field(default_factory=list)
    # For job events: the job row (its operation, attempts and result: the delivery status).
    job: Job | None = None
    # For a failed call that will be tried again: when.
    retry_at: datetime | None = None
    # For job events: whether the call went to a state system (or was the product's own work).
    external: bool = True
    # The event where the hash chain first breaks.
    broken: bool = False


@dataclass(frozen=True)
class Execution:
    """Something that happened at one element: a completion, an attempt, a failure."""

    seq: int
    occurred_at: datetime
    actor: str
    actor_name: str
    kind: str
    note: str = ""


@dataclass
class ElementView:
    element: FlowElement
    state: str = ""  # failed | current | completed | "" (not reached)
    count: int = 0
    executions: list[Execution] = field(default_factory=list)


@dataclass
class InstanceHistory:
    instance: ProcessInstance
    process_name: str
    version: int
    source_xml: str
    person: Person | None
    verdict: ChainVerdict
    timeline: list[TimelineItem]
    elements: list[ElementView]
    incidents: list[Incident]
    open_tasks: list[HumanTask]
    jobs: dict[int, Job]

    def diagram_data(self) -> dict[str, Any]:
        """What the diagram script needs: the XML and each element's state and count."""
        return {"xml": self.source_xml,
                "elements": {view.element.id: {"state": view.state, "count": view.count,
                                               "name": view.element.name or view.element.id}
                             for view in self.elements if view.state or view.count}}


def instance_history(session: Session, viewer: Viewer, instance_id: int, *,
                     forms_dir: Path, lang: str = "lv") -> InstanceHistory | None:
    """The instance's full history, or None when the viewer may not read it (or it does not
    exist: the caller answers both the same way)."""
    if not can_read_instance(session, viewer, instance_id):
        return None
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        return None
    definition = session.get(ProcessDefinition, instance.definition_id)
    assert definition is not None  # a foreign key
    source_xml = definition.source_xml
    elements = flow_elements(source_xml)
    events = list(session.scalars(select(Event).where(Event.instance_id == instance_id)
                                  .order_by(Event.seq)))
    verdict = verify_instance(session, instance)
    tasks = {task.id: task for task in session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id))}
    jobs = {job.id: job for job in session.scalars(
        select(Job).where(Job.instance_id == instance_id))}
    incidents = list(session.scalars(select(Incident).where(Incident.instance_id == instance_id)
                                     .order_by(Incident.created_at, Incident.id)))
    names = _display_names(session, {event.actor for event in events})
    person = (readable_person(session, viewer, instance.person_id)
              if instance.person_id is not None else None)
    timeline = _timeline(events, elements, tasks, jobs, names, verdict, forms_dir, lang)
    current = _current_elements(session, instance_id, tasks.values(), jobs.values())
    failed = {incident.element_id for incident in incidents
              if incident.resolved_at is None and incident.element_id}
    return InstanceHistory(
        instance=instance, process_name=definition.name or definition.process_key,
        version=definition.version, source_xml=source_xml, person=person, verdict=verdict,
        timeline=timeline, elements=_element_views(elements, timeline, current, failed),
        incidents=incidents,
        open_tasks=sorted((t for t in tasks.values() if t.status == "open"), key=lambda t: t.id),
        jobs=jobs)


def find_instances(session: Session, viewer: Viewer, term: str,
                   limit: int) -> list[tuple[ProcessInstance, str, int]]:
    """Instances in the viewer's scope, newest first, with their process name and version;
    with a term, those whose case number contains it or whose person the case file's lookup
    finds by it (name or personal code)."""
    query = (select(ProcessInstance, ProcessDefinition.name, ProcessDefinition.version)
             .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
             .where(record_filter(viewer, ProcessInstance)))
    if term:
        persons = [person.id for person in find_persons(session, viewer, term)]
        by_case = ProcessInstance.business_key.contains(term, autoescape=True)
        query = query.where(or_(by_case, ProcessInstance.person_id.in_(persons))
                            if persons else by_case)
    return [(instance, name or instance.process_key, version)
            for instance, name, version in session.execute(
                query.order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
                .limit(limit))]


# --- the timeline --------------------------------------------------------------------------------


def _timeline(events: list[Event], elements: Mapping[str, FlowElement],
              tasks: Mapping[int, HumanTask], jobs: Mapping[int, Job], names: Mapping[str, str],
              verdict: ChainVerdict, forms_dir: Path, lang: str) -> list[TimelineItem]:
    known: dict[str, Any] = {}  # the instance's data as the events tell it, step by step
    items = []
    for event in events:
        detail = event.detail if isinstance(event.detail, dict) else {}
        item = TimelineItem(event, names.get(event.actor, event.actor),
                            _element_name(elements, event.element_id),
                            broken=not verdict.intact and event.seq == verdict.seq)
        if event.kind == "instance_started":
            data = _mapping(detail.get("data"))
            item.changes = data_changes(known, data, {})
            known.update(data)
        elif event.kind == "task_completed":
            data = _mapping(detail.get("data"))
            task = tasks.get(_int(detail.get("task_id")) or 0)
            labels = field_labels(forms_dir, task.form_key if task else None, lang)
            item.changes = data_changes(known, data, labels)
            known.update(data)
        elif event.kind == "engine_ran":
            item.ran = [_element_name(elements, str(e)) for e in detail.get("elements") or ()]
        if event.kind.startswith("job_"):
            item.job = jobs.get(_int(detail.get("job_id")) or 0)
            item.retry_at = _moment(detail.get("retry_at"))
            operation = str(detail.get("operation") or (item.job.operation if item.job else ""))
            item.external = reaches_another_system(operation)
        items.append(item)
    return items


def data_changes(before: Mapping[str, Any], submitted: Mapping[str, Any],
                 labels: Mapping[str, str]) -> list[Change]:
    """What a step did to the instance's data: keys it added, values it changed, values it
    emptied (removed). A step's data is merged into the instance's, so a key the step leaves
    out keeps its value; only setting it empty removes it."""
    changes = []
    for key, value in submitted.items():
        label = labels.get(key, "")
        old = before.get(key)
        if _is_empty(value):
            if not _is_empty(old):
                changes.append(Change(key, label, REMOVED, old, None))
        elif key not in before or _is_empty(old):
            changes.append(Change(key, label, ADDED, None, value))
        elif old != value:
            changes.append(Change(key, label, CHANGED, old, value))
    return changes


def field_labels(forms_dir: Path, form_key: str | None, lang: str) -> dict[str, str]:
    """The form's field titles by key, so a change reads "Iestāde", not ``institution_name``."""
    if not form_key:
        return {}
    try:
        schema = forms.load_schema(forms_dir, form_key)
    except forms.FormNotFound:
        return {}
    return {key: forms.localised(prop, "title", lang)
            for key, prop in forms.all_properties(schema).items() if isinstance(prop, Mapping)}


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _element_name(elements: Mapping[str, FlowElement], element_id: str | None) -> str:
    if not element_id:
        return ""
    found = elements.get(element_id)
    return (found.name or element_id) if found else element_id


def _display_names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    return {username: name for username, name in session.execute(
        select(User.username, User.display_name).where(User.username.in_(wanted)))}


# --- the diagram ---------------------------------------------------------------------------------


def _current_elements(session: Session, instance_id: int, tasks: Iterable[HumanTask],
                      jobs: Iterable[Job]) -> set[str]:
    """Where the instance's tokens wait now: open tasks, waiting timers, jobs not yet done,
    message catch events."""
    current = {task.element_id for task in tasks if task.status == "open"}
    current |= {job.element_id for job in jobs if job.status in ("ready", "running")}
    current |= set(session.scalars(select(Timer.element_id).where(
        Timer.instance_id == instance_id, Timer.status == "waiting")))
    current |= set(session.scalars(select(MessageSubscription.element_id).where(
        MessageSubscription.instance_id == instance_id)))
    return current


def _element_views(elements: Mapping[str, FlowElement], timeline: list[TimelineItem],
                   current: set[str], failed: set[str]) -> list[ElementView]:
    views = {element_id: ElementView(element) for element_id, element in elements.items()}

    def view_of(element_id: str) -> ElementView:
        # An element the events name but this version's XML does not (should not happen).
        if element_id not in views:
            views[element_id] = ElementView(FlowElement(element_id, element_id, ""))
        return views[element_id]

    for item in timeline:
        event = item.event
        detail = event.detail if isinstance(event.detail, dict) else {}
        if event.kind == "engine_ran":
            for element_id in detail.get("elements") or ():
                view = view_of(str(element_id))
                view.count += 1
                view.executions.append(Execution(event.seq, event.occurred_at, event.actor,
                                                 item.actor_name, ENGINE_COMPLETED))
        elif event.element_id:
            view = view_of(event.element_id)
            if event.kind in _COMPLETING:
                view.count += 1
            view.executions.append(Execution(event.seq, event.occurred_at, event.actor,
                                             item.actor_name, event.kind,
                                             execution_note(event.kind, detail)))
    for view in views.values():
        element_id = view.element.id
        view.state = (FAILED if element_id in failed else CURRENT if element_id in current
                      else COMPLETED if view.count else "")
    return list(views.values())


def execution_note(kind: str, detail: Mapping[str, Any]) -> str:
    """A short, language-neutral note on an execution: the attempt, the error, the person."""
    if kind in ("job_started", "job_succeeded"):
        return f"#{detail.get('attempt', '?')}"
    if kind == "job_failed":
        return f"#{detail.get('attempt', '?')}: {detail.get('error', '')}".strip()
    if kind == "incident_opened":
        return str(detail.get("message", ""))
    if kind in ("task_assigned", "task_delegated"):
        return str(detail.get("to") or "")
    return ""


# --- showing values ------------------------------------------------------------------------------

_CODE_IN_TEXT = re.compile(r"\b(\d{6})-?\d{5}\b")


def display_value(value: Any, *, mask_codes: bool, yes: str = "yes", no: str = "no",
                  limit: int = 400) -> str:
    """A value of the instance's data as one line of text; personal codes in it masked for
    viewers who do not work on the case (as the case file masks them)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        text = yes if value else no
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    if mask_codes:
        text = _CODE_IN_TEXT.sub(lambda m: f"{m.group(1)}-*****", text)
    return text if len(text) <= limit else text[:limit - 1] + "…"
