"""One check of an instance's consistency, used by every reliability test: its serialised state,
its derived rows (human tasks, jobs, timers) and its events agree.

The serialised state is the truth (docs/architecture.md); the check reads it with SpiffWorkflow
directly, not through the engine's own sync, so a bug in ``app/engine/derive.py`` shows here.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.chain import verify_instance_history
from app.db.models import (
    Event,
    HumanTask,
    Incident,
    Job,
    ProcessDefinition,
    ProcessInstance,
    Timer,
)
from app.engine import state
from app.engine.parsing import ParsedProcess, parse_process
from app.engine.scripting import ProductScriptEngine

# Row statuses that stand for a workflow task still waiting, and for one that happened.
_OPEN = {"human": {"open"}, "job": {"ready", "running", "incident"}, "timer": {"waiting", "incident"}}
_DONE = {"human": {"completed"}, "job": {"done"}, "timer": {"fired"}}
# The events written once per row that finished: which event, and the detail key naming the row.
_ONCE_PER_ROW = {"human": ("task_completed", "task_id"), "job": ("job_succeeded", "job_id")}


@dataclass
class Consistency:
    """What the check found over a set of instances: counts, and every disagreement."""

    instances: Counter[str] = field(default_factory=Counter)  # by status
    tasks_completed: int = 0
    jobs_done: int = 0
    job_attempts: int = 0
    timers_fired: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.instances.items()))
        return (f"{sum(self.instances.values())} instances ({statuses}); "
                f"{self.tasks_completed} human tasks completed, {self.jobs_done} jobs done in "
                f"{self.job_attempts} attempts, {self.timers_fired} timers fired, "
                f"{self.events} events; {len(self.problems)} problems")


def check_instances(session: Session, instance_ids: Iterable[int] | None = None,
                    batch: int = 500) -> Consistency:
    """Check every instance (or those named), ``batch`` at a time; never raises on a finding."""
    query = select(ProcessInstance.id).order_by(ProcessInstance.id)
    ids = list(instance_ids) if instance_ids is not None else list(session.scalars(query))
    found = Consistency()
    specs: dict[int, ParsedProcess] = {}
    for start in range(0, len(ids), batch):
        _check_batch(session, ids[start:start + batch], specs, found)
        session.expunge_all()
    return found


def _check_batch(session: Session, ids: list[int], specs: dict[int, ParsedProcess],
                 found: Consistency) -> None:
    rows: dict[int, dict[str, list[Any]]] = defaultdict(lambda: {"human": [], "job": [], "timer": []})
    for kind, model in (("human", HumanTask), ("job", Job), ("timer", Timer)):
        for row in session.scalars(select(model).where(model.instance_id.in_(ids))):
            rows[row.instance_id][kind].append(row)
    events: dict[int, list[Event]] = defaultdict(list)
    for event in session.scalars(select(Event).where(Event.instance_id.in_(ids))
                                 .order_by(Event.instance_id, Event.seq)):
        events[event.instance_id].append(event)
    job_of_incident = dict(session.execute(select(Incident.id, Incident.job_id).where(
        Incident.instance_id.in_(ids), Incident.job_id.is_not(None))).all())
    for instance in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids))):
        parsed = specs.get(instance.definition_id)
        if parsed is None:
            definition = session.get(ProcessDefinition, instance.definition_id)
            assert definition is not None
            parsed = specs[instance.definition_id] = parse_process(
                definition.source_xml, definition.file_name, definition.dmn_sources or {})
        problems = check_instance(session, instance, parsed, rows[instance.id],
                                  events[instance.id], job_of_incident)
        found.problems.extend(f"instance {instance.id}: {p}" for p in problems)
        found.instances[instance.status] += 1
        found.tasks_completed += sum(r.status == "completed" for r in rows[instance.id]["human"])
        found.jobs_done += sum(r.status == "done" for r in rows[instance.id]["job"])
        found.job_attempts += sum(r.attempts for r in rows[instance.id]["job"])
        found.timers_fired += sum(r.status == "fired" for r in rows[instance.id]["timer"])
        found.events += len(events[instance.id])


def check_instance(session: Session, instance: ProcessInstance, parsed: ParsedProcess,
                   rows: dict[str, list[Any]], events: list[Event],
                   job_of_incident: dict[int, int]) -> list[str]:
    """The disagreements between one instance's state, its rows (``human``, ``job``, ``timer``)
    and its events (in order); empty when they agree. ``job_of_incident``: the job of each
    incident, whose retry starts the job's count of attempts again."""
    problems: list[str] = []
    workflow = state.load(instance.state, parsed, ProductScriptEngine())
    if (instance.status == "completed") != workflow.is_completed():
        problems.append(f"status {instance.status} but the workflow is "
                        f"{'' if workflow.is_completed() else 'not '}completed")

    # Which row each workflow task should have: open while it waits, done once it happened.
    expected: dict[str, dict[str, str]] = {"human": {}, "job": {}, "timer": {}}
    timers_completed: Counter[str] = Counter()
    for task in workflow.get_tasks():
        kind = _kind_of(task.task_spec)
        if kind is None:
            continue
        guid = str(task.id)
        if task.state == TaskState.COMPLETED:
            expected[kind][guid] = "done"
            if kind == "timer":
                timers_completed[task.task_spec.bpmn_id] += 1
        elif instance.status == "active" and (
                (kind == "timer" and task.state == TaskState.WAITING)
                or (kind != "timer" and task.state == TaskState.READY)):
            expected[kind][guid] = "open"

    for kind, kind_rows in rows.items():
        by_guid = Counter(r.task_guid for r in kind_rows)
        problems += [f"{kind} {guid} has {n} rows" for guid, n in by_guid.items() if n > 1]
        for row in kind_rows:
            wanted = expected[kind].get(row.task_guid)
            if row.status in _OPEN[kind] and wanted != "open":
                problems.append(f"{kind} row {row.id} is {row.status}, its task is not waiting")
            if row.status in _DONE[kind] and wanted != "done":
                problems.append(f"{kind} row {row.id} is {row.status}, its task is not completed")
        have = {r.task_guid for r in kind_rows if r.status in _OPEN[kind]}
        for guid, wanted in expected[kind].items():
            # A timer whose time had come when it was reached fires in that step, without a row.
            if wanted == "open" and guid not in have:
                problems.append(f"{kind} task {guid} waits without an open row")

    kinds = Counter(e.kind for e in events)
    for kind, (event_kind, key) in _ONCE_PER_ROW.items():
        per_row = Counter(e.detail.get(key) for e in events if e.kind == event_kind)
        for row in rows[kind]:
            times = per_row.pop(row.id, 0)
            if times != (1 if row.status in _DONE[kind] else 0):
                problems.append(f"{kind} row {row.id} ({row.status}) has {times} {event_kind}")
        problems += [f"{event_kind} for unknown {kind} {r}" for r in per_row]
    started: Counter[int] = Counter()
    for event in events:
        if event.kind == "job_started":
            started[event.detail.get("job_id")] += 1
        elif event.kind == "incident_retried" and event.detail.get("incident_id") in job_of_incident:
            started[job_of_incident[event.detail["incident_id"]]] = 0
    problems += [f"job {r.id}: {r.attempts} attempts but {started[r.id]} job_started events"
                 for r in rows["job"] if r.attempts != started[r.id]]
    fired_events = Counter(e.element_id for e in events if e.kind == "timer_fired")
    fired_rows = Counter(r.element_id for r in rows["timer"] if r.status == "fired")
    if fired_events != timers_completed:
        problems.append(f"timer_fired events {dict(fired_events)} but timers completed "
                        f"{dict(timers_completed)}")
    problems += [f"timer {element} fired in {n} rows, {timers_completed[element]} times in the "
                 f"workflow" for element, n in fired_rows.items() if n > timers_completed[element]]
    if kinds["instance_ended"] != (1 if instance.status == "completed" else 0):
        problems.append(f"{kinds['instance_ended']} instance_ended events, status {instance.status}")
    chain = verify_instance_history(session, instance)
    if not chain.intact:
        problems.append(f"event chain broken at {chain.first_bad_seq}: {chain.problem}")
    return problems


def _kind_of(task_spec: Any) -> str | None:
    if isinstance(task_spec, ServiceTask):
        return "job"
    if isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition):
        return "timer"
    if getattr(task_spec, "manual", False):
        return "human"
    return None
