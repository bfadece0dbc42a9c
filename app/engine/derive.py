"""Keep the query-side rows (human tasks, timers, jobs, message subscriptions) in step with the
workflow state, inside the same transaction as the state itself."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app.db.models import utcnow
from app.domain.calendar import end_of_day

from .errors import ScriptFailed
from .parsing import ParsedProcess
from .rows import DefinitionRow, InstanceRow, Sql, Tx, insert_sql, sql

FORM_PROPERTY = "formJsonSchemaFilename"
CANDIDATE_GROUPS_PROPERTY = "candidateGroups"
DUE_DATE_PROPERTY = "dueDate"
# When to look at the task again before it is due (Camunda calls it the follow-up date).
FOLLOW_UP_PROPERTY = "followUpDate"


def properties(task_spec: Any) -> dict[str, str]:
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def element_id(task: Any) -> str:
    return task.task_spec.bpmn_id or task.task_spec.name


@dataclass
class _OpenRow:
    id: int
    element_id: str


# The kinds of derived rows: human task, job, timer, message subscription.
HUMAN, JOB, TIMER, MESSAGE = "h", "j", "t", "m"
ALL_KINDS = frozenset((HUMAN, JOB, TIMER, MESSAGE))
OpenRows = dict[str, dict[str, _OpenRow]]  # kind -> task guid -> row
Writes = list[tuple[Sql, list[tuple[Any, ...]]]]  # statements in order, each with its rows

_kinds: dict[int, tuple[Any, frozenset[str]]] = {}


def kinds_of(parsed: ParsedProcess) -> frozenset[str]:
    """The kinds of derived rows a process can have at all, from its spec (with its called
    processes): a process without timers never has a timer row, so its steps need not look for
    one. Known once per parsed spec."""
    found = _kinds.get(id(parsed.spec))
    if found is not None and found[0] is parsed.spec:
        return found[1]
    kinds = set()
    for process_spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(task_spec, ServiceTask):
                kinds.add(JOB)
            elif getattr(task_spec, "manual", False):
                kinds.add(HUMAN)
            if isinstance(definition, TimerEventDefinition):
                kinds.add(TIMER)
            if isinstance(definition, MessageEventDefinition):
                kinds.add(MESSAGE)
    result = frozenset(kinds)
    _kinds[id(parsed.spec)] = (parsed.spec, result)  # the spec is kept, so its id is not reused
    return result


_OPEN_BRANCHES = {
    HUMAN: "SELECT 'h', id, task_guid, element_id FROM human_task "
           "WHERE instance_id = {iid} AND status = 'open'",
    JOB: "SELECT 'j', id, task_guid, element_id FROM job "
         "WHERE instance_id = {iid} AND status IN ('ready', 'running', 'incident')",
    TIMER: "SELECT 't', id, task_guid, element_id FROM timer "
           "WHERE instance_id = {iid} AND status IN ('waiting', 'incident')",
    MESSAGE: "SELECT 'm', id, task_guid, element_id FROM message_subscription "
             "WHERE instance_id = {iid}",
}
_INSTANCE_OF = {"instance": "?", "task": "(SELECT instance_id FROM human_task WHERE id = ?)",
                "timer": "(SELECT instance_id FROM timer WHERE id = ?)"}
_open_sql: dict[tuple[frozenset[str], str], Sql] = {}


def open_rows(tx: Tx, kinds: frozenset[str], *, instance_id: int | None = None,
              task_id: int | None = None, timer_id: int | None = None) -> Any:
    """Queue the read of every open derived row of the instance (or of the instance holding
    the human task ``task_id`` or the timer ``timer_id``), of the given kinds, in one
    statement; ``read_open_rows`` of its cursor."""
    by, param = (("instance", instance_id) if instance_id is not None else
                 ("task", task_id) if task_id is not None else ("timer", timer_id))
    key = (kinds, by)
    statement = _open_sql.get(key)
    if statement is None:
        statement = _open_sql[key] = sql(" UNION ALL ".join(
            _OPEN_BRANCHES[kind].format(iid=_INSTANCE_OF[by]) for kind in sorted(kinds)) or
            "SELECT 'h', 0, '', '' WHERE 1 = 0")
    return tx.run(statement, (param,) * len(kinds))


def read_open_rows(cursor: Any, *, leave_out: str | None = None) -> OpenRows:
    found: OpenRows = {kind: {} for kind in ALL_KINDS}
    for kind, row_id, guid, element in cursor.fetchall():
        if guid != leave_out:
            found[kind][guid] = _OpenRow(row_id, element)
    return found


def no_rows() -> OpenRows:
    """A new instance's: it has none yet."""
    return {kind: {} for kind in ALL_KINDS}


def sync(tx: Tx, instance: InstanceRow, definition: DefinitionRow, workflow: BpmnWorkflow,
         kinds: frozenset[str], max_job_attempts: int, found: OpenRows) -> Writes:
    """What brings the derived rows in step with the workflow: the writes to make (in order), and
    the events of rows that went away, appended to the instance's chain. ``found`` are the open
    rows before the step (``open_rows``), of ``kinds`` at least."""
    ready: dict[str, Any] = {}
    waiting: dict[str, Any] = {}
    states = TaskState.READY | TaskState.WAITING if kinds & {TIMER, MESSAGE} else TaskState.READY
    for task in workflow.get_tasks(state=states):
        (ready if task.state == TaskState.READY else waiting)[str(task.id)] = task
    writes: Writes = []
    now = utcnow()
    if HUMAN in kinds:
        _sync_human_tasks(tx, writes, now, instance, definition, workflow, ready, found[HUMAN])
    if JOB in kinds:
        _sync_jobs(tx, writes, now, instance, ready, found[JOB], max_job_attempts)
    if TIMER in kinds:
        _sync_timers(tx, writes, now, instance, workflow, waiting, found[TIMER])
    if MESSAGE in kinds:
        _sync_subscriptions(tx, writes, now, instance, waiting, found[MESSAGE])
    return writes


def apply(tx: Tx, writes: Writes) -> None:
    for statement, params in writes:
        tx.write(statement, params)


_CLOSE = {
    HUMAN: sql("UPDATE human_task SET status = ? WHERE instance_id = ? AND status = 'open'"),
    TIMER: sql("UPDATE timer SET status = ? WHERE instance_id = ? AND status = 'waiting'"),
    JOB: sql("UPDATE job SET status = ? WHERE instance_id = ? AND status IN ('ready', 'running')"),
}
_CLOSE_SUBSCRIPTIONS = sql("DELETE FROM message_subscription WHERE instance_id = ?")


def close_all(tx: Tx, instance: InstanceRow, status: str = "cancelled",
              kinds: frozenset[str] = ALL_KINDS) -> None:
    """The instance ended or was terminated: nothing of it stays open."""
    for kind in (HUMAN, TIMER, JOB):
        if kind in kinds:
            tx.write(_CLOSE[kind], [(status, instance.id)])
    if MESSAGE in kinds:
        tx.write(_CLOSE_SUBSCRIPTIONS, [(instance.id,)])


def _is_human(task: Any) -> bool:
    return bool(task.task_spec.manual) and not isinstance(task.task_spec, ServiceTask)


_SET_TASK_STATUS = sql("UPDATE human_task SET status = ? WHERE id = ?")
_SET_JOB_STATUS = sql("UPDATE job SET status = ? WHERE id = ?")
_SET_TIMER_STATUS = sql("UPDATE timer SET status = ? WHERE id = ?")
_FIRE_TIMER = sql("UPDATE timer SET status = 'fired', fired_at = ? WHERE id = ?")
_DELETE_SUBSCRIPTION = sql("DELETE FROM message_subscription WHERE id = ?")
_SCOPE = ("record_kind", "person_id", "municipality_code", "institution_code",
          "orphan_court_code", "confidential")
_INSERT_TASK = insert_sql("human_task", (
    "instance_id", "task_guid", "process_key", "process_version", "business_key", "element_id",
    "element_name", "form_key", "lane", "candidate_groups", "due_at", "follow_up_at", "status",
    "assignee", "created_at", *_SCOPE))
_INSERT_JOB = insert_sql("job", (
    "instance_id", "task_guid", "element_id", "operation", "parameters", "status", "attempts",
    "max_attempts", "next_attempt_at", "created_at", "idempotency_key"),
    json_columns=("parameters",))
_INSERT_TIMER = insert_sql("timer", (
    "instance_id", "task_guid", "element_id", "due_at", "status", "created_at"))
_INSERT_SUBSCRIPTION = insert_sql("message_subscription", (
    "instance_id", "task_guid", "element_id", "message_name", "business_key", "created_at"))


def _sync_human_tasks(tx: Tx, writes: Writes, now: datetime, instance: InstanceRow,
                      definition: DefinitionRow, workflow: BpmnWorkflow, ready: dict[str, Any],
                      open_rows: dict[str, _OpenRow]) -> None:
    wanted = {guid: t for guid, t in ready.items() if _is_human(t)}
    gone = [row for guid, row in open_rows.items() if guid not in wanted]
    if gone:
        # Interrupted by a boundary event, a terminate end event or similar.
        writes.append((_SET_TASK_STATUS, [("cancelled", row.id) for row in gone]))
        for row in gone:
            tx.event(instance, "task_cancelled", "engine", row.element_id, {"task_id": row.id})
    new_rows = []
    scope = instance.scope
    for guid, task in wanted.items():
        if guid in open_rows:
            continue
        spec = task.task_spec
        props = properties(spec)
        element = element_id(task)
        new_rows.append((
            instance.id, guid, definition.process_key, definition.version, instance.business_key,
            element, spec.bpmn_name or element, props.get(FORM_PROPERTY), spec.lane,
            " ".join(candidate_groups(props, spec.lane)),
            tx.time(_due_at(workflow, task, props.get(DUE_DATE_PROPERTY))),
            tx.time(_due_at(workflow, task, props.get(FOLLOW_UP_PROPERTY))), "open", None,
            tx.time(now), scope.record_kind, scope.person_id, scope.municipality_code,
            scope.institution_code, scope.orphan_court_code, scope.confidential))
    if new_rows:
        writes.append((_INSERT_TASK, new_rows))


def candidate_groups(props: dict[str, str], lane: str | None) -> list[str]:
    """Groups come from the task's ``candidateGroups`` property; without one, from its lane."""
    raw = props.get(CANDIDATE_GROUPS_PROPERTY)
    if raw:
        return [g for g in re.split(r"[\s,]+", raw) if g]
    if lane:
        return [re.sub(r"\W+", "_", lane.strip().lower()).strip("_")]
    return []


def _due_at(workflow: BpmnWorkflow, task: Any, expression: str | None) -> datetime | None:
    if not expression:
        return None
    try:
        value = workflow.script_engine.evaluate(task, expression)
    except Exception as err:  # noqa: BLE001 - any failure of the model's expression
        raise ScriptFailed(element_id(task), f"the due date expression failed: {err}") from None
    return to_utc(value, element_id(task))


def to_utc(value: Any, where: str) -> datetime:
    """A due date given as a datetime, a date (end of that day in Latvia) or an ISO string."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            raise ScriptFailed(where, f"'{value}' is not an ISO date or date-time") from None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return end_of_day(value)
    raise ScriptFailed(where, f"a date was expected, got {type(value).__name__}")


def _sync_jobs(tx: Tx, writes: Writes, now: datetime, instance: InstanceRow,
               ready: dict[str, Any], open_rows: dict[str, _OpenRow], max_attempts: int) -> None:
    wanted = {guid: t for guid, t in ready.items() if isinstance(t.task_spec, ServiceTask)}
    gone = [row.id for guid, row in open_rows.items() if guid not in wanted]
    if gone:
        writes.append((_SET_JOB_STATUS, [("cancelled", row_id) for row_id in gone]))
    new_rows = []
    for guid, task in wanted.items():
        if guid in open_rows:
            continue
        try:
            params = {name: p["value"] for name, p in task.task_spec.evaluate_params(task).items()}
        except Exception as err:  # noqa: BLE001 - any failure of the model's expression
            raise ScriptFailed(element_id(task), f"a service parameter failed: {err}") from None
        new_rows.append((
            instance.id, guid, element_id(task), task.task_spec.operation_name,
            json.dumps(params), "ready", 0, max_attempts, tx.time(now), tx.time(now),
            f"dicase-job-{guid}"))
    if new_rows:
        writes.append((_INSERT_JOB, new_rows))


def _sync_timers(tx: Tx, writes: Writes, now: datetime, instance: InstanceRow,
                 workflow: BpmnWorkflow, waiting: dict[str, Any],
                 open_rows: dict[str, _OpenRow]) -> None:
    wanted = {guid: t for guid, t in waiting.items()
              if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)}
    fired: list[int] = []
    cancelled: list[int] = []
    for guid, row in open_rows.items():
        if guid in wanted:
            continue
        task = workflow.get_task_from_id(UUID(guid))
        (fired if task is not None and task.has_state(TaskState.COMPLETED) else cancelled).append(row.id)
    if fired:
        writes.append((_FIRE_TIMER, [(tx.time(now), row_id) for row_id in fired]))
    if cancelled:
        writes.append((_SET_TIMER_STATUS, [("cancelled", row_id) for row_id in cancelled]))
    new_rows = [(instance.id, guid, element_id(task), tx.time(timer_due_at(task)), "waiting",
                 tx.time(now))
                for guid, task in wanted.items() if guid not in open_rows]
    if new_rows:
        writes.append((_INSERT_TIMER, new_rows))


def timer_due_at(task: Any) -> datetime:
    value = task.task_spec.event_definition.details(task).value
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return to_utc(str(value), element_id(task))


def _sync_subscriptions(tx: Tx, writes: Writes, now: datetime, instance: InstanceRow,
                        waiting: dict[str, Any], open_rows: dict[str, _OpenRow]) -> None:
    wanted = {guid: t for guid, t in waiting.items()
              if isinstance(getattr(t.task_spec, "event_definition", None), MessageEventDefinition)}
    gone = [row.id for guid, row in open_rows.items() if guid not in wanted]
    if gone:
        writes.append((_DELETE_SUBSCRIPTION, [(row_id,) for row_id in gone]))
    new_rows = [(instance.id, guid, element_id(task), task.task_spec.event_definition.name,
                 instance.business_key, tx.time(now))
                for guid, task in wanted.items() if guid not in open_rows]
    if new_rows:
        writes.append((_INSERT_SUBSCRIPTION, new_rows))
