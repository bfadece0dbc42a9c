"""Keep the query-side rows (human tasks, timers, jobs, message subscriptions) in step with the
workflow state, inside the same transaction as the state itself."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.chain import append_instance_event
from app.db.models import (
    HumanTask,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    Timer,
    utcnow,
)
from app.domain.calendar import end_of_day

from .errors import ScriptFailed

FORM_PROPERTY = "formJsonSchemaFilename"
CANDIDATE_GROUPS_PROPERTY = "candidateGroups"
DUE_DATE_PROPERTY = "dueDate"


def properties(task_spec: Any) -> dict[str, str]:
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def element_id(task: Any) -> str:
    return task.task_spec.bpmn_id or task.task_spec.name


def sync(session: Session, instance: ProcessInstance, definition: ProcessDefinition,
         workflow: BpmnWorkflow, max_job_attempts: int) -> None:
    ready: dict[str, Any] = {}
    waiting: dict[str, Any] = {}
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        (ready if task.state == TaskState.READY else waiting)[str(task.id)] = task
    _sync_human_tasks(session, instance, definition, workflow, ready)
    _sync_jobs(session, instance, workflow, ready, max_job_attempts)
    _sync_timers(session, instance, workflow, waiting)
    _sync_subscriptions(session, instance, waiting)


def close_all(session: Session, instance: ProcessInstance, status: str = "cancelled") -> None:
    """The instance ended or was terminated: nothing of it stays open."""
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == "open")):
        row.status = status
    for timer in session.scalars(select(Timer).where(Timer.instance_id == instance.id,
                                                     Timer.status == "waiting")):
        timer.status = status
    for job in session.scalars(select(Job).where(Job.instance_id == instance.id,
                                                 Job.status.in_(("ready", "running")))):
        job.status = status
    for sub in session.scalars(select(MessageSubscription)
                               .where(MessageSubscription.instance_id == instance.id)):
        session.delete(sub)


def _is_human(task: Any) -> bool:
    return bool(task.task_spec.manual) and not isinstance(task.task_spec, ServiceTask)


def _sync_human_tasks(session: Session, instance: ProcessInstance, definition: ProcessDefinition,
                      workflow: BpmnWorkflow, ready: dict[str, Any]) -> None:
    wanted = {guid: t for guid, t in ready.items() if _is_human(t)}
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == "open")):
        if row.task_guid in wanted:
            del wanted[row.task_guid]
        else:
            # Interrupted by a boundary event, a terminate end event or similar.
            row.status = "cancelled"
            append_instance_event(session, instance, "task_cancelled", "engine", row.element_id,
                                  {"task_id": row.id})
    for guid, task in wanted.items():
        props = properties(task.task_spec)
        session.add(HumanTask(
            instance_id=instance.id, task_guid=guid, process_key=definition.process_key,
            process_version=definition.version, business_key=instance.business_key,
            element_id=element_id(task), element_name=task.task_spec.bpmn_name or element_id(task),
            form_key=props.get(FORM_PROPERTY), lane=task.task_spec.lane,
            candidate_groups=" ".join(candidate_groups(props, task.task_spec.lane)),
            due_at=_due_at(workflow, task, props.get(DUE_DATE_PROPERTY)), status="open",
        ))


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


def _sync_jobs(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow,
               ready: dict[str, Any], max_attempts: int) -> None:
    wanted = {guid: t for guid, t in ready.items() if isinstance(t.task_spec, ServiceTask)}
    for job in session.scalars(select(Job).where(Job.instance_id == instance.id,
                                                 Job.status.in_(("ready", "running", "incident")))):
        if job.task_guid in wanted:
            del wanted[job.task_guid]
        else:
            job.status = "cancelled"
    for guid, task in wanted.items():
        try:
            params = {name: p["value"] for name, p in task.task_spec.evaluate_params(task).items()}
        except Exception as err:  # noqa: BLE001 - any failure of the model's expression
            raise ScriptFailed(element_id(task), f"a service parameter failed: {err}") from None
        session.add(Job(
            instance_id=instance.id, task_guid=guid, element_id=element_id(task),
            operation=task.task_spec.operation_name, parameters=params, status="ready",
            attempts=0, max_attempts=max_attempts, next_attempt_at=utcnow(),
            idempotency_key=f"dicase-job-{guid}",
        ))


def _sync_timers(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow,
                 waiting: dict[str, Any]) -> None:
    wanted = {guid: t for guid, t in waiting.items()
              if isinstance(getattr(t.task_spec, "event_definition", None), TimerEventDefinition)}
    for timer in session.scalars(select(Timer).where(Timer.instance_id == instance.id,
                                                     Timer.status.in_(("waiting", "incident")))):
        if timer.task_guid in wanted:
            del wanted[timer.task_guid]
            continue
        task = workflow.get_task_from_id(UUID(timer.task_guid))
        if task is not None and task.has_state(TaskState.COMPLETED):
            timer.status, timer.fired_at = "fired", utcnow()
        else:
            timer.status = "cancelled"
    for guid, task in wanted.items():
        session.add(Timer(instance_id=instance.id, task_guid=guid, element_id=element_id(task),
                          due_at=timer_due_at(task), status="waiting"))


def timer_due_at(task: Any) -> datetime:
    value = task.task_spec.event_definition.details(task).value
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return to_utc(str(value), element_id(task))


def _sync_subscriptions(session: Session, instance: ProcessInstance, waiting: dict[str, Any]) -> None:
    wanted = {guid: t for guid, t in waiting.items()
              if isinstance(getattr(t.task_spec, "event_definition", None), MessageEventDefinition)}
    for sub in session.scalars(select(MessageSubscription)
                               .where(MessageSubscription.instance_id == instance.id)):
        if sub.task_guid in wanted:
            del wanted[sub.task_guid]
        else:
            session.delete(sub)
    for guid, task in wanted.items():
        session.add(MessageSubscription(
            instance_id=instance.id, task_guid=guid, element_id=element_id(task),
            message_name=task.task_spec.event_definition.name, business_key=instance.business_key,
        ))
