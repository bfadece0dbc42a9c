"""The engine's operations. Each one is a single database transaction that loads the instance
(row-locked), runs SpiffWorkflow, and writes the state, the derived rows and the events together.

A failure inside a step rolls the whole step back; failures caused by the process model (a script
that raises, an expression that is refused) are then recorded as an incident in a transaction of
their own, so an operator sees them, and raised to the caller as ``ScriptFailed``.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.access.scope import Scope, offered_to
from app.audit.chain import append_instance_event
from app.config import Settings
from app.db import transaction
from app.db.models import (
    HumanTask,
    Incident,
    Job,
    MessageSubscription,
    ProcessInstance,
    Timer,
    utcnow,
)
from app.db.models.base import UTCDateTime

from . import derive, rows, state
from .errors import (
    EngineError,
    InstanceNotActive,
    MessageNotCorrelated,
    NotYourTask,
    ScriptFailed,
    TaskAlreadyCompleted,
    TaskNoLongerOpen,
    TaskNotFound,
)
from .parsing import ParsedProcess
from .scripting import ProductScriptEngine
from .specs import specs_for

SYSTEM = "engine"


@dataclass(frozen=True)
class Actor:
    """Who asks the engine to act: a person (with the candidate groups they belong to) or a worker."""

    username: str
    groups: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def system(cls, name: str = SYSTEM) -> Actor:
        return cls(name)


_tasks = cast(Table, HumanTask.__table__)
_TASK = select(_tasks.c.id, _tasks.c.instance_id, _tasks.c.task_guid, _tasks.c.element_id,
               _tasks.c.status, _tasks.c.assignee, _tasks.c.candidate_groups, _tasks.c.completed_by,
               _tasks.c.completed_at).where(_tasks.c.id == bindparam("id"))
_COMPLETE_TASK = (update(_tasks).where(_tasks.c.id == bindparam("b_id"))
                  .values(status="completed", completed_at=bindparam("b_at", type_=UTCDateTime()),
                          completed_by=bindparam("b_by")))


@dataclass
class _Loaded:
    instance: rows.InstanceRow
    definition: rows.DefinitionRow
    parsed: ParsedProcess
    workflow: BpmnWorkflow


class Engine:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        self._definitions: dict[int, rows.DefinitionRow] = {}

    # --- instances -------------------------------------------------------------------------

    def start(self, process_key: str, data: dict[str, Any] | None = None, *,
              business_key: str | None = None, actor: Actor, scope: Scope | None = None) -> int:
        """Start the latest deployed version of ``process_key``; returns the instance id.

        ``scope`` says whose record the instance is (app.access.scope); without one the instance
        is visible only to the organisations that see every record of its kind.
        """
        with transaction(self.sessions) as session:
            definition = rows.latest_definition(session, process_key)
            parsed = specs_for(session, definition)
            workflow = state.new_workflow(parsed, self._script_engine())
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(data or {})
            ran = _run(workflow)
            instance = rows.insert_instance(session, definition, business_key, state.dump(workflow),
                                            actor.username,
                                            scope or Scope.for_process(process_key))
            append_instance_event(session, instance, "instance_started", actor.username, None,
                                  {"process_key": process_key, "version": definition.version,
                                   "business_key": business_key, "data": data or {}})
            self._finish_step(session, _Loaded(instance, definition, parsed, workflow), ran,
                              new_instance=True)
            return instance.id

    def suspend(self, instance_id: int, actor: Actor, reason: str = "") -> None:
        with transaction(self.sessions) as session:
            instance = rows.lock_instance(session, instance_id)
            _require_active(instance)
            instance.status = "suspended"
            append_instance_event(session, instance, "instance_suspended", actor.username, None,
                                  {"reason": reason})
            rows.write_instance(session, instance)

    def resume(self, instance_id: int, actor: Actor) -> None:
        with transaction(self.sessions) as session:
            instance = rows.lock_instance(session, instance_id)
            if instance.status != "suspended":
                raise InstanceNotActive(instance_id, instance.status)
            instance.status = "active"
            append_instance_event(session, instance, "instance_resumed", actor.username)
            rows.write_instance(session, instance)

    def terminate(self, instance_id: int, actor: Actor, reason: str = "") -> None:
        with transaction(self.sessions) as session:
            instance = rows.lock_instance(session, instance_id)
            if instance.status in ("completed", "terminated"):
                raise InstanceNotActive(instance_id, instance.status)
            instance.status = "terminated"
            instance.ended_at = utcnow()
            derive.close_all(session, instance)
            append_instance_event(session, instance, "instance_terminated", actor.username, None,
                                  {"reason": reason})
            rows.write_instance(session, instance)

    # --- human tasks -----------------------------------------------------------------------

    def claim(self, task_id: int, actor: Actor) -> None:
        with transaction(self.sessions) as session:
            # The instance is locked before the task is read, so two people claiming at once
            # are served one after the other and the second sees the first one's claim.
            instance = _lock_instance_of_task(session, task_id)
            row = _open_task(session, task_id)
            if row.assignee and row.assignee != actor.username:
                raise NotYourTask(task_id, f"it is assigned to {row.assignee}")
            _require_candidate(row, actor)
            row.assignee = actor.username
            append_instance_event(session, instance, "task_claimed", actor.username, row.element_id,
                                  {"task_id": row.id})
            rows.write_instance(session, instance)

    def unclaim(self, task_id: int, actor: Actor) -> None:
        with transaction(self.sessions) as session:
            instance = _lock_instance_of_task(session, task_id)
            row = _open_task(session, task_id)
            if row.assignee != actor.username:
                raise NotYourTask(task_id, "only the person it is assigned to can release it")
            row.assignee = None
            append_instance_event(session, instance, "task_released", actor.username, row.element_id,
                                  {"task_id": row.id})
            rows.write_instance(session, instance)

    def assign(self, task_id: int, actor: Actor, assignee: str | None) -> None:
        """A supervisor gives the task to a colleague (or back to the group with None).

        Who may assign, and to whom, is checked by the caller against the record scope; the
        engine records the change on the instance's history.
        """
        with transaction(self.sessions) as session:
            instance = _lock_instance_of_task(session, task_id)
            row = _open_task(session, task_id)
            previous = row.assignee
            row.assignee = assignee
            row.delegated_by = None
            append_instance_event(session, instance, "task_assigned", actor.username,
                                  row.element_id, {"task_id": row.id, "from": previous,
                                                   "to": assignee})
            rows.write_instance(session, instance)

    def delegate(self, task_id: int, actor: Actor, delegate: str) -> None:
        """The assignee hands the task to a colleague for a while and can take it back."""
        with transaction(self.sessions) as session:
            instance = _lock_instance_of_task(session, task_id)
            row = _open_task(session, task_id)
            if row.assignee != actor.username:
                raise NotYourTask(task_id, "only the person it is assigned to can delegate it")
            if delegate == actor.username:
                raise NotYourTask(task_id, "a task cannot be delegated to oneself")
            row.delegated_by = row.delegated_by or actor.username
            row.assignee = delegate
            append_instance_event(session, instance, "task_delegated", actor.username,
                                  row.element_id, {"task_id": row.id, "to": delegate})
            rows.write_instance(session, instance)

    def take_back(self, task_id: int, actor: Actor) -> None:
        """The person who delegated the task makes it theirs again."""
        with transaction(self.sessions) as session:
            instance = _lock_instance_of_task(session, task_id)
            row = _open_task(session, task_id)
            if row.delegated_by != actor.username:
                raise NotYourTask(task_id, "only the person who delegated it can take it back")
            previous = row.assignee
            row.assignee = actor.username
            row.delegated_by = None
            append_instance_event(session, instance, "task_taken_back", actor.username,
                                  row.element_id, {"task_id": row.id, "from": previous})
            rows.write_instance(session, instance)

    def complete_task(self, task_id: int, actor: Actor, data: dict[str, Any]) -> None:
        """Complete a user task with validated form data and run the instance on."""
        found: list[int] = []

        def step(session: Session) -> None:
            instance = _lock_instance_of_task(session, task_id)
            found.append(instance.id)
            # Read after the instance is locked: a colleague's completion is then already visible.
            loaded = self._load_locked(session, instance)
            row = session.connection().execute(_TASK, {"id": task_id}).first()
            if row is None:
                raise TaskNotFound(task_id)
            if row.status == "completed":
                raise TaskAlreadyCompleted(task_id, row.completed_by, row.completed_at)
            if row.status != "open":
                raise TaskNoLongerOpen(task_id, row.status)
            if row.assignee and row.assignee != actor.username:
                raise NotYourTask(task_id, f"it is assigned to {row.assignee}")
            _require_candidate(row, actor)
            task = loaded.workflow.get_task_from_id(UUID(row.task_guid))
            if task is None or task.state != TaskState.READY:
                raise TaskNoLongerOpen(task_id, "not ready")
            task.data.update(data)
            with _model_errors(loaded.workflow):
                task.run()
            session.connection().execute(_COMPLETE_TASK, {
                "b_id": task_id, "b_at": utcnow(), "b_by": actor.username})
            append_instance_event(session, loaded.instance, "task_completed", actor.username,
                                  row.element_id, {"task_id": row.id, "data": data})
            self._finish_step(session, loaded, _run(loaded.workflow))

        self._step(lambda: found[0], step, incident_kind="script")

    def task_data(self, task_id: int) -> dict[str, Any]:
        """The data a user task sees, to pre-fill its form: what the case already holds is not
        typed again. A read: no lock, nothing written."""
        with self.sessions() as session:
            row = session.connection().execute(_TASK, {"id": task_id}).first()
            if row is None:
                raise TaskNotFound(task_id)
            found = session.execute(select(ProcessInstance.state, ProcessInstance.definition_id)
                                    .where(ProcessInstance.id == row.instance_id)).one()
            parsed = specs_for(session, self._definition(session, found.definition_id))
            workflow = state.load(found.state, parsed, self._script_engine())
        task = workflow.get_task_from_id(UUID(row.task_guid))
        return dict(task.data) if task is not None else {}

    # --- timers, jobs, messages ------------------------------------------------------------

    def fire_timer(self, timer_id: int, worker: str) -> bool:
        """Run the instance of a due timer; True if the timer fired."""
        with self.sessions() as session:
            timer = session.get(Timer, timer_id)
            if timer is None:
                return False
            instance_id = timer.instance_id
        fired = False

        def step(session: Session) -> None:
            nonlocal fired
            loaded = self._load(session, instance_id)
            timer = session.get(Timer, timer_id)
            if timer is None or timer.status != "waiting":
                return
            with _model_errors(loaded.workflow):
                loaded.workflow.refresh_timers()
            self._finish_step(session, loaded, _run(loaded.workflow))
            now = session.scalar(select(Timer.status).where(Timer.id == timer_id))
            fired = now == "fired"
            if now == "waiting":  # SpiffWorkflow's clock says not yet: let the next tick retry
                session.execute(update(Timer).where(Timer.id == timer_id)
                                .values(locked_by=None, locked_until=None))

        self._step(lambda: instance_id, step, incident_kind="timer", timer_id=timer_id)
        return fired

    def finish_job(self, job_id: int, worker: str, result: dict[str, Any]) -> bool:
        """Feed a worker's result into the waiting service task; False if the job was no longer
        this worker's (its lease ran out and another worker took it) or no longer wanted."""
        with self.sessions() as session:
            job = session.get(Job, job_id)
            if job is None:
                return False
            instance_id = job.instance_id
        finished = False

        def step(session: Session) -> None:
            nonlocal finished
            loaded = self._load(session, instance_id)
            job = session.get(Job, job_id)
            if job is None or job.status != "running" or job.locked_by != worker:
                return
            task = loaded.workflow.get_task_from_id(UUID(job.task_guid))
            if task is None or task.state != TaskState.READY:
                job.status = "cancelled"
                return
            script_engine = loaded.workflow.script_engine
            assert isinstance(script_engine, ProductScriptEngine)
            script_engine.service_results[task.id] = json.dumps(result)
            with _model_errors(loaded.workflow):
                task.run()
            job.status, job.result, job.finished_at = "done", result, utcnow()
            job.locked_by = job.locked_until = None
            append_instance_event(session, loaded.instance, "job_succeeded", worker, job.element_id,
                                  {"job_id": job.id, "operation": job.operation,
                                   "attempt": job.attempts})
            self._finish_step(session, loaded, _run(loaded.workflow))
            finished = True

        self._step(lambda: instance_id, step, incident_kind="job", job_id=job_id)
        return finished

    def correlate(self, message_name: str, payload: dict[str, Any], *,
                  business_key: str | None = None, actor: Actor) -> list[int]:
        """Deliver a message to every instance waiting for it (with this business key)."""
        with self.sessions() as session:
            query = select(MessageSubscription.instance_id).where(
                MessageSubscription.message_name == message_name)
            if business_key is not None:
                query = query.where(MessageSubscription.business_key == business_key)
            instance_ids = sorted(set(session.scalars(query)))
        if not instance_ids:
            raise MessageNotCorrelated(message_name, business_key)
        for instance_id in instance_ids:
            self._deliver(instance_id, message_name, payload, business_key, actor)
        return instance_ids

    def _deliver(self, instance_id: int, message_name: str, payload: dict[str, Any],
                 business_key: str | None, actor: Actor) -> None:
        def step(session: Session) -> None:
            loaded = self._load(session, instance_id)
            event = BpmnEvent(MessageEventDefinition(message_name), payload=payload)
            try:
                with _model_errors(loaded.workflow):
                    loaded.workflow.send_event(event)
            except ScriptFailed as err:
                if "not waiting for" in err.reason:
                    raise MessageNotCorrelated(message_name, business_key) from None
                raise
            append_instance_event(session, loaded.instance, "message_correlated", actor.username,
                                  None, {"message": message_name, "payload": payload})
            self._finish_step(session, loaded, _run(loaded.workflow))

        self._step(lambda: instance_id, step, incident_kind="message")

    # --- internals -------------------------------------------------------------------------

    def _script_engine(self) -> ProductScriptEngine:
        return ProductScriptEngine(time_limit=self.settings.script_time_limit)

    def _definition(self, session: Session, definition_id: int) -> rows.DefinitionRow:
        # Definition rows never change once deployed, so each is read once per engine.
        found = self._definitions.get(definition_id)
        if found is None:
            found = self._definitions[definition_id] = rows.definition(session, definition_id)
        return found

    def _load(self, session: Session, instance_id: int) -> _Loaded:
        return self._load_locked(session, rows.lock_instance(session, instance_id))

    def _load_locked(self, session: Session, instance: rows.InstanceRow) -> _Loaded:
        _require_active(instance)
        definition = self._definition(session, instance.definition_id)
        parsed = specs_for(session, definition)
        workflow = state.load(instance.state, parsed, self._script_engine())
        return _Loaded(instance, definition, parsed, workflow)

    def _finish_step(self, session: Session, loaded: _Loaded, ran: _Ran,
                     new_instance: bool = False) -> None:
        instance, workflow = loaded.instance, loaded.workflow
        if not new_instance:  # a new instance was inserted with its state
            instance.state = state.dump(workflow)
        for timer_element in ran.timers_fired:
            append_instance_event(session, instance, "timer_fired", SYSTEM, timer_element)
        if ran.elements:
            append_instance_event(session, instance, "engine_ran", SYSTEM, None,
                                  {"elements": ran.elements})
        derive.sync(session, instance, loaded.definition, workflow, self.settings.job_max_attempts,
                    new_instance=new_instance)
        if workflow.is_completed():
            instance.status, instance.ended_at = "completed", utcnow()
            derive.close_all(session, instance)
            append_instance_event(session, instance, "instance_ended", SYSTEM)
        rows.write_instance(session, instance)

    def _step(self, instance_of: Callable[[], int], step: Callable[[Session], None], *,
              incident_kind: str, job_id: int | None = None, timer_id: int | None = None) -> None:
        """Run ``step`` in one transaction; a model failure becomes an incident on the instance
        (``instance_of`` names it, once the step has found it)."""
        try:
            with transaction(self.sessions) as session:
                step(session)
        except ScriptFailed as err:
            self._record_incident(instance_of(), incident_kind, err, job_id=job_id,
                                  timer_id=timer_id)
            raise

    def _record_incident(self, instance_id: int, kind: str, err: ScriptFailed, *,
                         job_id: int | None, timer_id: int | None) -> None:
        with transaction(self.sessions) as session:
            instance = rows.lock_instance(session, instance_id)
            session.add(Incident(instance_id=instance_id, job_id=job_id, timer_id=timer_id,
                                 element_id=err.element_id, kind=kind, message=str(err)))
            if job_id is not None:
                job = session.get(Job, job_id)
                if job is not None:
                    job.status, job.last_error = "incident", str(err)
                    job.locked_by = job.locked_until = None
            if timer_id is not None:
                timer = session.get(Timer, timer_id)
                if timer is not None:
                    timer.status = "incident"
                    timer.locked_by = timer.locked_until = None
            append_instance_event(session, instance, "incident_opened", SYSTEM, err.element_id,
                                  {"kind": kind, "message": str(err)})
            rows.write_instance(session, instance)


@dataclass
class _Ran:
    """What the engine did by itself in one step, for the event log."""

    elements: list[str] = field(default_factory=list)
    timers_fired: list[str] = field(default_factory=list)


def _run(workflow: BpmnWorkflow) -> _Ran:
    """Run every engine task that is ready, including timer events whose time has come."""
    ran = _Ran()

    def record(task: Any) -> None:
        if task.task_spec.bpmn_id:
            ran.elements.append(task.task_spec.bpmn_id)
            if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
                ran.timers_fired.append(task.task_spec.bpmn_id)

    with _model_errors(workflow):
        workflow.do_engine_steps(did_complete_task=record)
    return ran


@contextmanager
def _model_errors(workflow: BpmnWorkflow) -> Iterator[None]:
    """Errors raised while SpiffWorkflow runs the model (scripts, conditions, timer expressions,
    the sandbox's refusals) become ScriptFailed naming the element; database errors pass through."""
    try:
        yield
    except (EngineError, SQLAlchemyError):
        raise
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow raises plain Exception, e.g. bad duration
        task = getattr(err, "task", None) or getattr(workflow.script_engine, "last_task", None)
        where = derive.element_id(task) if task is not None else "unknown element"
        raise ScriptFailed(where, _explain(err)) from None


def _explain(err: Exception) -> str:
    cause = getattr(err, "exception", None)
    if cause is not None and str(cause):
        return str(cause)
    text = str(err).splitlines()
    return text[0] if text else type(err).__name__


def _require_active(instance: rows.InstanceRow) -> None:
    if instance.status != "active":
        raise InstanceNotActive(instance.id, instance.status)


def _lock_instance_of_task(session: Session, task_id: int) -> rows.InstanceRow:
    instance = rows.lock_instance_of_task(session, task_id)
    if instance is None:
        raise TaskNotFound(task_id)
    return instance


def _open_task(session: Session, task_id: int) -> HumanTask:
    row = session.get(HumanTask, task_id)
    if row is None:
        raise TaskNotFound(task_id)
    if row.status == "completed":
        raise TaskAlreadyCompleted(task_id, row.completed_by, row.completed_at)
    if row.status != "open":
        raise TaskNoLongerOpen(task_id, row.status)
    return row


def _require_candidate(row: Any, actor: Actor) -> None:
    if row.assignee != actor.username and not offered_to(row.candidate_groups, actor.groups):
        raise NotYourTask(row.id, "it is offered to " + ", ".join(sorted(row.candidate_groups.split())))
