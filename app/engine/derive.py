"""Keep the query-side rows (human tasks, timers, jobs, message subscriptions) in step with the
workflow state, inside the same transaction as the state itself."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, bindparam, delete, insert, literal, select, union_all, update
from sqlalchemy.orm import Session

from app.audit.chain import append_instance_event
from app.db.models import (
    HumanTask,
    Job,
    MessageSubscription,
    Timer,
    utcnow,
)
from app.domain.calendar import end_of_day

from .errors import ScriptFailed
from .rows import DefinitionRow, InstanceRow

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


def sync(session: Session, instance: InstanceRow, definition: DefinitionRow,
         workflow: BpmnWorkflow, max_job_attempts: int, *, new_instance: bool = False) -> None:
    ready: dict[str, Any] = {}
    waiting: dict[str, Any] = {}
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        (ready if task.state == TaskState.READY else waiting)[str(task.id)] = task
    # A new instance has no rows yet; otherwise one round trip fetches every open one.
    open_rows = {kind: {} for kind in "hjtm"} if new_instance else _open_rows(session, instance.id)
    _sync_human_tasks(session, instance, definition, workflow, ready, open_rows["h"])
    _sync_jobs(session, instance, ready, open_rows["j"], max_job_attempts)
    _sync_timers(session, instance, workflow, waiting, open_rows["t"])
    _sync_subscriptions(session, instance, waiting, open_rows["m"])


_INSERT_TASK = insert(cast(Table, HumanTask.__table__))
_INSERT_JOB = insert(cast(Table, Job.__table__))
_INSERT_TIMER = insert(cast(Table, Timer.__table__))
_INSERT_SUBSCRIPTION = insert(cast(Table, MessageSubscription.__table__))
_OPEN_ROWS = union_all(
    select(literal("h"), HumanTask.id, HumanTask.task_guid, HumanTask.element_id)
    .where(HumanTask.instance_id == bindparam("iid"), HumanTask.status == "open"),
    select(literal("j"), Job.id, Job.task_guid, Job.element_id)
    .where(Job.instance_id == bindparam("iid"), Job.status.in_(("ready", "running", "incident"))),
    select(literal("t"), Timer.id, Timer.task_guid, Timer.element_id)
    .where(Timer.instance_id == bindparam("iid"), Timer.status.in_(("waiting", "incident"))),
    select(literal("m"), MessageSubscription.id, MessageSubscription.task_guid,
           MessageSubscription.element_id)
    .where(MessageSubscription.instance_id == bindparam("iid")),
)


def _open_rows(session: Session, instance_id: int) -> dict[str, dict[str, _OpenRow]]:
    session.flush()  # a job or timer changed through the ORM in this step must be seen as it is now
    found: dict[str, dict[str, _OpenRow]] = {kind: {} for kind in "hjtm"}
    for kind, row_id, guid, element in session.connection().execute(_OPEN_ROWS, {"iid": instance_id}):
        found[kind][guid] = _OpenRow(row_id, element)
    return found


def close_all(session: Session, instance: InstanceRow, status: str = "cancelled") -> None:
    """The instance ended or was terminated: nothing of it stays open."""
    iid = instance.id
    session.execute(update(HumanTask).where(HumanTask.instance_id == iid, HumanTask.status == "open")
                    .values(status=status))
    session.execute(update(Timer).where(Timer.instance_id == iid, Timer.status == "waiting")
                    .values(status=status))
    session.execute(update(Job).where(Job.instance_id == iid, Job.status.in_(("ready", "running")))
                    .values(status=status))
    session.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == iid))


def _is_human(task: Any) -> bool:
    return bool(task.task_spec.manual) and not isinstance(task.task_spec, ServiceTask)


def _set_status(session: Session, model: Any, ids: list[int], status: str, **values: Any) -> None:
    if ids:
        session.execute(update(model).where(model.id.in_(ids)).values(status=status, **values)
                        .execution_options(synchronize_session=False))


def _sync_human_tasks(session: Session, instance: InstanceRow, definition: DefinitionRow,
                      workflow: BpmnWorkflow, ready: dict[str, Any],
                      open_rows: dict[str, _OpenRow]) -> None:
    wanted = {guid: t for guid, t in ready.items() if _is_human(t)}
    gone = [row for guid, row in open_rows.items() if guid not in wanted]
    # Interrupted by a boundary event, a terminate end event or similar.
    _set_status(session, HumanTask, [row.id for row in gone], "cancelled")
    for row in gone:
        append_instance_event(session, instance, "task_cancelled", "engine", row.element_id,
                              {"task_id": row.id})
    new_rows = []
    for guid, task in wanted.items():
        if guid in open_rows:
            continue
        props = properties(task.task_spec)
        new_rows.append({
            "instance_id": instance.id, "task_guid": guid, "process_key": definition.process_key,
            "process_version": definition.version, "business_key": instance.business_key,
            "element_id": element_id(task), "element_name": task.task_spec.bpmn_name or element_id(task),
            "form_key": props.get(FORM_PROPERTY), "lane": task.task_spec.lane,
            "candidate_groups": " ".join(candidate_groups(props, task.task_spec.lane)),
            "due_at": _due_at(workflow, task, props.get(DUE_DATE_PROPERTY)),
            "follow_up_at": _due_at(workflow, task, props.get(FOLLOW_UP_PROPERTY)), "status": "open",
            "assignee": None, "created_at": utcnow(), **instance.scope.columns(),
        })
    if new_rows:
        session.connection().execute(_INSERT_TASK, new_rows)


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


def _sync_jobs(session: Session, instance: InstanceRow, ready: dict[str, Any],
               open_rows: dict[str, _OpenRow], max_attempts: int) -> None:
    wanted = {guid: t for guid, t in ready.items() if isinstance(t.task_spec, ServiceTask)}
    _set_status(session, Job, [row.id for guid, row in open_rows.items() if guid not in wanted],
                "cancelled")
    new_rows = []
    for guid, task in wanted.items():
        if guid in open_rows:
            continue
        try:
            params = {name: p["value"] for name, p in task.task_spec.evaluate_params(task).items()}
        except Exception as err:  # noqa: BLE001 - any failure of the model's expression
            raise ScriptFailed(element_id(task), f"a service parameter failed: {err}") from None
        new_rows.append({
            "instance_id": instance.id, "task_guid": guid, "element_id": element_id(task),
            "operation": task.task_spec.operation_name, "parameters": params, "status": "ready",
            "attempts": 0, "max_attempts": max_attempts, "next_attempt_at": utcnow(), "created_at": utcnow(),
            "idempotency_key": f"dicase-job-{guid}",
        })
    if new_rows:
        session.connection().execute(_INSERT_JOB, new_rows)


def _sync_timers(session: Session, instance: InstanceRow, workflow: BpmnWorkflow,
                 waiting: dict[str, Any], open_rows: dict[str, _OpenRow]) -> None:
    wanted = {guid: t for guid, t in waiting.items()
              if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)}
    fired: list[int] = []
    cancelled: list[int] = []
    for guid, row in open_rows.items():
        if guid in wanted:
            continue
        task = workflow.get_task_from_id(UUID(guid))
        (fired if task is not None and task.has_state(TaskState.COMPLETED) else cancelled).append(row.id)
    _set_status(session, Timer, fired, "fired", fired_at=utcnow())
    _set_status(session, Timer, cancelled, "cancelled")
    new_rows = [{"instance_id": instance.id, "task_guid": guid, "element_id": element_id(task),
                     "due_at": timer_due_at(task), "status": "waiting", "created_at": utcnow()}
                for guid, task in wanted.items() if guid not in open_rows]
    if new_rows:
        session.connection().execute(_INSERT_TIMER, new_rows)


def timer_due_at(task: Any) -> datetime:
    value = task.task_spec.event_definition.details(task).value
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return to_utc(str(value), element_id(task))


def _sync_subscriptions(session: Session, instance: InstanceRow, waiting: dict[str, Any],
                        open_rows: dict[str, _OpenRow]) -> None:
    wanted = {guid: t for guid, t in waiting.items()
              if isinstance(getattr(t.task_spec, "event_definition", None), MessageEventDefinition)}
    gone = [row.id for guid, row in open_rows.items() if guid not in wanted]
    if gone:
        session.execute(delete(MessageSubscription).where(MessageSubscription.id.in_(gone)))
    new_rows = [{"instance_id": instance.id, "task_guid": guid, "element_id": element_id(task),
                     "message_name": task.task_spec.event_definition.name,
                     "business_key": instance.business_key, "created_at": utcnow()}
                for guid, task in wanted.items() if guid not in open_rows]
    if new_rows:
        session.connection().execute(_INSERT_SUBSCRIPTION, new_rows)
