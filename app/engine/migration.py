"""Compare two deployed versions of a process and move running instances between them.

SpiffWorkflow 3.2's diff utilities do the work: ``SpecDiff`` aligns the elements of two specs (by
BPMN id) and lists what was added, removed or changed; ``diff_workflow`` says which of an
instance's tasks sit on removed or changed elements; ``migrate_workflow`` swaps the spec and
re-predicts the waiting tasks. An instance moves in one transaction of its own, written like an
engine step (state, derived rows, events); the state it had is kept in its ``instance_migrated``
event so the move can be reverted.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.diff import SpecDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Event, ProcessDefinition, ProcessInstance, utcnow

from . import derive, rows, state
from .errors import EngineError
from .parsing import ParsedProcess, parse_process
from .rows import Tx, sql
from .runtime import Engine
from .scripting import ProductScriptEngine
from .specs import specs_for

MIGRATED = "instance_migrated"

# What a SpecDiff key means to a process owner; keys not listed are shown as they are.
_FIELD_NAMES = {
    "typename": "type",
    "bpmn_name": "name",
    "lane": "lane",
    "event_definition": "event (timer expression, message)",
    "cond_task_specs": "conditions",
    "default_task_spec": "default flow",
    "operation_name": "operation",
    "operation_params": "parameters",
    "result_variable": "result variable",
    "script": "script",
    "prescript": "pre-script",
    "postscript": "post-script",
    "outputs": "outgoing flows",
    "inputs": "incoming flows",
    "documentation": "documentation",
}
_PROPERTY_NAMES = {
    derive.FORM_PROPERTY: "form",
    derive.CANDIDATE_GROUPS_PROPERTY: "candidate groups",
    derive.DUE_DATE_PROPERTY: "due date",
    derive.FOLLOW_UP_PROPERTY: "follow-up date",
}
# Keys that change with any edit nearby and say nothing about the element itself.
_IGNORED = {"name", "data_input_associations", "data_output_associations", "position"}


class MigrationRefused(EngineError):
    http_status = 409


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    name: str
    change: str  # added, removed, changed
    fields: tuple[str, ...] = ()


@dataclass
class Candidate:
    """A running instance of the old version and whether it can move to the new one."""

    instance_id: int
    business_key: str | None
    waiting_in: list[str]
    can_move: bool
    reason: str = ""


@dataclass
class MigrationOutcome:
    migrated: list[int] = field(default_factory=list)
    refused: list[Candidate] = field(default_factory=list)


class _Registry:
    registry: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.registry is None:
            cls.registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        return cls.registry


# --- comparing ---------------------------------------------------------------------------------

def compare_specs(old: ParsedProcess, new: ParsedProcess) -> list[ElementChange]:
    """The elements added, removed and changed between two parsed versions, in element order."""
    diff = SpecDiff(_Registry.get(), old.spec, new.spec)
    found: list[ElementChange] = []
    for spec in diff.removed:
        if spec.bpmn_id:
            found.append(ElementChange(spec.bpmn_id, spec.bpmn_name or "", "removed"))
    for spec, keys in diff.changed.items():
        if not spec.bpmn_id:
            continue
        fields = _changed_fields(spec, diff.alignment[spec], keys)
        if fields:
            found.append(ElementChange(spec.bpmn_id, spec.bpmn_name or "", "changed", fields))
    for spec in diff.added:
        if spec.bpmn_id:
            found.append(ElementChange(spec.bpmn_id, spec.bpmn_name or "", "added"))
    return sorted(found, key=lambda c: (c.change, c.element_id))


def _changed_fields(old: Any, new: Any, keys: list[str]) -> tuple[str, ...]:
    fields: list[str] = []
    for key in keys:
        if key in _IGNORED:
            continue
        if key == "extensions":
            before, after = derive.properties(old), derive.properties(new)
            for prop in sorted(set(before) | set(after)):
                if before.get(prop) != after.get(prop):
                    fields.append(_PROPERTY_NAMES.get(prop, prop))
            if (old.extensions or {}).keys() - {"properties"} or \
                    (new.extensions or {}).keys() - {"properties"}:
                rest = {k: v for k, v in (old.extensions or {}).items() if k != "properties"}
                rest_new = {k: v for k, v in (new.extensions or {}).items() if k != "properties"}
                if rest != rest_new:
                    fields.append("extensions")
        else:
            fields.append(_FIELD_NAMES.get(key, key))
    return tuple(dict.fromkeys(fields))


def parsed_version(session: Session, process_key: str, version: int) -> tuple[ProcessDefinition,
                                                                               ParsedProcess]:
    found = session.scalar(select(ProcessDefinition).where(
        ProcessDefinition.process_key == process_key, ProcessDefinition.version == version))
    if found is None:
        raise MigrationRefused(f"{process_key} has no version {version}")
    parsed = specs_for(Tx.of_session(session), rows.DefinitionRow(
        found.id, found.process_key, found.version, found.file_name, found.content_hash))
    return found, parsed


def compare_versions(session: Session, process_key: str, from_version: int,
                     to_version: int) -> list[ElementChange]:
    _, old = parsed_version(session, process_key, from_version)
    _, new = parsed_version(session, process_key, to_version)
    return compare_specs(old, new)


def compare_sources(old_source: str, new_source: str, file_name: str = "process.bpmn",
                    dmn_sources: dict[str, str] | None = None) -> list[ElementChange]:
    return compare_specs(parse_process(old_source, file_name, dmn_sources),
                         parse_process(new_source, file_name, dmn_sources))


# --- which instances can move ------------------------------------------------------------------

_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def movable(workflow: BpmnWorkflow, new: ParsedProcess) -> tuple[bool, str, list[str]]:
    """Whether the instance can move to ``new``, why not, and the elements it waits in."""
    top, sub_diffs = diff_workflow(_Registry.get(), workflow, new.spec, new.subprocess_specs)
    waiting = [t for t in workflow.get_tasks(state=_OPEN, skip_subprocesses=True)
               if t.task_spec.bpmn_id]
    names = sorted({t.task_spec.bpmn_id for t in waiting})
    removed = sorted({t.task_spec.bpmn_id for t in top.removed if t in waiting})
    if removed:
        return False, f"it waits in {', '.join(removed)}, which the new version no longer has", names
    spec_diff = SpecDiff(_Registry.get(), workflow.spec, new.spec)
    retyped = sorted({t.task_spec.bpmn_id for t in waiting
                      if "typename" in spec_diff.changed.get(t.task_spec, [])})
    if retyped:
        return False, f"it waits in {', '.join(retyped)}, whose type changed", names
    if any(d is None for d in sub_diffs.values()):
        return False, "it runs a subprocess the new version no longer has", names
    return True, "", names


def _script_engine(engine: Engine) -> ProductScriptEngine:
    return ProductScriptEngine(time_limit=engine.settings.script_time_limit)


def plan(engine: Engine, process_key: str, from_version: int, to_version: int) -> list[Candidate]:
    """The dry run: every running instance of ``from_version``, and whether it can move."""
    with engine.sessions() as session:
        old_row, old = parsed_version(session, process_key, from_version)
        _, new = parsed_version(session, process_key, to_version)
        instances = session.execute(select(
            ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.state).where(
            ProcessInstance.definition_id == old_row.id,
            ProcessInstance.status.in_(("active", "suspended"))).order_by(ProcessInstance.id)).all()
    found = []
    for instance_id, business_key, stored in instances:
        workflow = state.load(stored, old, _script_engine(engine))
        ok, reason, waiting = movable(workflow, new)
        found.append(Candidate(instance_id, business_key, waiting, ok, reason))
    return found


# --- moving ------------------------------------------------------------------------------------

_SET_DEFINITION = sql("UPDATE process_instance SET definition_id = ? WHERE id = ?")


def write_step(engine: Engine, tx: Tx, instance: rows.InstanceRow, definition: rows.DefinitionRow,
               parsed: ParsedProcess, workflow: BpmnWorkflow) -> None:
    """Write the instance's new state as an engine step does: its derived rows brought in step
    with the workflow (for every kind, as the old and new versions may differ), the instance row
    guarded by its version, the events. The events of the step are appended by the caller."""
    instance.state = state.dump(workflow)
    found = derive.read_open_rows(derive.open_rows(tx, derive.ALL_KINDS, instance_id=instance.id))
    writes = derive.sync(tx, instance, definition, workflow, derive.ALL_KINDS,
                         engine.settings.job_max_attempts, found)
    derive.apply(tx, writes)
    _refresh_kept_rows(tx, definition, workflow, found)
    if workflow.is_completed():
        instance.status, instance.ended_at = "completed", utcnow()
        tx.event(instance, "instance_ended", "engine")
        derive.close_all(tx, instance)
    rows.write_instance(tx, instance)
    tx.flush()
    if definition.id != instance.definition_id:
        # A statement of its own: on PostgreSQL the step's writes are one statement, in which
        # a second UPDATE of the instance row would be lost.
        tx.run(_SET_DEFINITION, (definition.id, instance.id))
        instance.definition_id = definition.id


_REFRESH_TASK = sql("UPDATE human_task SET process_version = ?, element_name = ?, form_key = ?, "
                    "lane = ?, candidate_groups = ?, due_at = ?, follow_up_at = ? WHERE id = ?")
_REFRESH_TIMER = sql("UPDATE timer SET due_at = ? WHERE id = ?")


def _refresh_kept_rows(tx: Tx, definition: rows.DefinitionRow, workflow: BpmnWorkflow,
                       found: derive.OpenRows) -> None:
    """Open rows whose task stays (same task id) take what the element now says: its form,
    groups and due dates, the timer's due time. The sync keeps such rows as they are, which is
    right within one version; a human task keeps its assignee."""
    tasks, due_timers = [], []
    for guid, row in found[derive.HUMAN].items():
        task = workflow.tasks.get(UUID(guid))
        if task is None or task.state != TaskState.READY:
            continue
        spec, props = task.task_spec, derive.properties(task.task_spec)
        element = derive.element_id(task)
        tasks.append((definition.version, spec.bpmn_name or element,
                      props.get(derive.FORM_PROPERTY), spec.lane,
                      " ".join(derive.candidate_groups(props, spec.lane)),
                      tx.time(_due(workflow, task, props.get(derive.DUE_DATE_PROPERTY))),
                      tx.time(_due(workflow, task, props.get(derive.FOLLOW_UP_PROPERTY))), row.id))
    for guid, row in found[derive.TIMER].items():
        task = workflow.tasks.get(UUID(guid))
        if task is not None and task.state == TaskState.WAITING:
            due_timers.append((tx.time(derive.timer_due_at(task)), row.id))
    tx.write(_REFRESH_TASK, tasks)
    tx.write(_REFRESH_TIMER, due_timers)


def _due(workflow: BpmnWorkflow, task: Any, expression: str | None) -> datetime | None:
    if not expression:
        return None
    return derive.to_utc(workflow.script_engine.evaluate(task, expression), derive.element_id(task))


def _lock_running(tx: Tx, instance_id: int) -> rows.InstanceRow:
    instance = rows.lock_instance(tx, instance_id)
    if instance.status not in ("active", "suspended"):
        raise MigrationRefused(f"instance {instance_id} is {instance.status}")
    return instance


def migrate_instance(engine: Engine, instance_id: int, to_version: int, by: str) -> None:
    """Move one instance to ``to_version`` of its process, in one transaction."""
    with rows.step(engine.db) as tx:
        instance = _lock_running(tx, instance_id)
        old_def = rows.definition(tx, instance.definition_id)
        if old_def.version == to_version:
            raise MigrationRefused(f"instance {instance_id} already runs version {to_version}")
        new_def = _definition_of(tx, instance.process_key, to_version)
        old, new = specs_for(tx, old_def), specs_for(tx, new_def)
        previous = instance.state
        workflow = state.load(previous, old, _script_engine(engine))
        ok, reason, waiting = movable(workflow, new)
        if not ok:
            raise MigrationRefused(f"instance {instance_id} cannot move: {reason}")
        top, sub_diffs = diff_workflow(_Registry.get(), workflow, new.spec, new.subprocess_specs)
        migrate_workflow(top, workflow, new.spec)
        for sub_id, sub_diff in sub_diffs.items():
            if sub_diff is not None:
                sub = workflow.subprocesses[sub_id]
                migrate_workflow(sub_diff, sub, new.subprocess_specs[sub.spec.name])
        workflow.subprocess_specs = new.subprocess_specs
        tx.event(instance, MIGRATED, by, None, {
            "process_key": instance.process_key, "from_version": old_def.version,
            "to_version": new_def.version, "from_definition_id": old_def.id,
            "to_definition_id": new_def.id, "waiting_in": waiting, "previous_state": previous})
        write_step(engine, tx, instance, new_def, new, workflow)


def migrate(engine: Engine, process_key: str, from_version: int, to_version: int, by: str, *,
            batch_size: int = 50) -> MigrationOutcome:
    """Move every instance that can move, each in its own transaction, ``batch_size`` read at a
    time; the others are listed with the reason."""
    outcome = MigrationOutcome()
    candidates = plan(engine, process_key, from_version, to_version)
    for start in range(0, len(candidates), batch_size):
        for candidate in candidates[start:start + batch_size]:
            if not candidate.can_move:
                outcome.refused.append(candidate)
                continue
            try:
                migrate_instance(engine, candidate.instance_id, to_version, by)
            except MigrationRefused as err:  # it moved on since the dry run
                candidate.can_move, candidate.reason = False, str(err)
                outcome.refused.append(candidate)
            else:
                outcome.migrated.append(candidate.instance_id)
    return outcome


_REVERT_BLOCKERS = {"task_completed", "message_correlated", "job_succeeded", "timer_fired",
                    "manual_intervention", MIGRATED}


def revert(engine: Engine, instance_id: int, by: str) -> None:
    """Put the instance back on the version (and the state) it had before its last migration,
    provided nothing happened on it since; recorded as an ``instance_migrated`` event too."""
    with engine.sessions() as session:
        events = session.execute(select(Event.seq, Event.kind, Event.detail).where(
            Event.instance_id == instance_id).order_by(Event.seq.desc())).all()
    migration = next((e for e in events if e.kind == MIGRATED), None)
    if migration is None:
        raise MigrationRefused(f"instance {instance_id} was never migrated")
    detail = migration.detail if isinstance(migration.detail, dict) else json.loads(migration.detail)
    later = [e.kind for e in events if e.seq > migration.seq and e.kind in _REVERT_BLOCKERS]
    if later:
        raise MigrationRefused(f"instance {instance_id} moved on since its migration ({later[-1]})")
    with rows.step(engine.db) as tx:
        instance = _lock_running(tx, instance_id)
        if instance.definition_id != detail["to_definition_id"] or instance.event_seq != events[0].seq:
            raise MigrationRefused(f"instance {instance_id} changed while it was being reverted")
        current = rows.definition(tx, instance.definition_id)
        back = rows.definition(tx, detail["from_definition_id"])
        parsed = specs_for(tx, back)
        workflow = state.load(detail["previous_state"], parsed, _script_engine(engine))
        tx.event(instance, MIGRATED, by, None, {
            "process_key": instance.process_key, "from_version": current.version,
            "to_version": back.version, "from_definition_id": current.id,
            "to_definition_id": back.id, "revert_of": migration.seq,
            "previous_state": instance.state})
        write_step(engine, tx, instance, back, parsed, workflow)


def _definition_of(tx: Tx, process_key: str, version: int) -> rows.DefinitionRow:
    found = tx.first(_DEFINITION_BY_VERSION, (process_key, version))
    if found is None:
        raise MigrationRefused(f"{process_key} has no version {version}")
    return rows.DefinitionRow(*found)


_DEFINITION_BY_VERSION = sql("SELECT id, process_key, version, file_name, content_hash "
                             "FROM process_definition WHERE process_key = ? AND version = ?")
