"""The engine's operations. Each one is a single database transaction that loads the instance
(row-locked), runs SpiffWorkflow, and writes the state, the derived rows and the events together.

A failure inside a step rolls the whole step back; failures caused by the process model (a script
that raises, an expression that is refused) are then recorded as an incident in a transaction of
their own, so an operator sees them, and raised to the caller as ``ScriptFailed``.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.access.scope import Scope, offered_to
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
from .rows import Tx
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


@dataclass
class _Loaded:
    instance: rows.InstanceRow
    definition: rows.DefinitionRow
    parsed: ParsedProcess
    workflow: BpmnWorkflow

    @property
    def kinds(self) -> frozenset[str]:
        return derive.kinds_of(self.parsed)


class Engine:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings
        # The hot steps (start, complete_task, suspend, resume, terminate) run on a pooled
        # connection of their own (rows.step); those that also change rows through the ORM run in
        # a session (app.db.transaction) with the same statements on its connection.
        self.db: DbEngine = sessions.kw["bind"]
        self._definitions: dict[int, rows.DefinitionRow] = {}
        self._scripts = threading.local()

    # --- instances -------------------------------------------------------------------------

    def start(self, process_key: str, data: dict[str, Any] | None = None, *,
              business_key: str | None = None, actor: Actor, scope: Scope | None = None) -> int:
        """Start the latest deployed version of ``process_key``; returns the instance id.

        ``scope`` says whose record the instance is (app.access.scope); without one the instance
        is visible only to the organisations that see every record of its kind.
        """
        state.check_storable(data)
        with rows.step(self.db) as tx:
            with tx.batch():  # on PostgreSQL, with the step's BEGIN
                latest = rows.latest_definition(tx, process_key)
            definition, instance_id = rows.latest_of(latest, process_key)
            parsed = specs_for(tx, definition)
            workflow = state.new_workflow(parsed, self._script_engine())
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(data or {})
            ran = _run(workflow)
            # Everything is computed first (the id is known beforehand), then each row written
            # once: the instance with its final state and event head, its derived rows, its events.
            instance = rows.new_instance(instance_id, definition, business_key,
                                         scope or Scope.for_process(process_key))
            tx.event(instance, "instance_started", actor.username, None,
                     {"process_key": process_key, "version": definition.version,
                      "business_key": business_key, "data": data or {}})
            loaded = _Loaded(instance, definition, parsed, workflow)
            writes, _ended = self._finish(tx, loaded, ran, derive.no_rows())
            rows.insert_instance(tx, instance, actor.username)
            derive.apply(tx, writes)
            tx.commit()  # the writes, events and COMMIT in one round trip on PostgreSQL
            return instance.id

    def suspend(self, instance_id: int, actor: Actor, reason: str = "") -> None:
        with rows.step(self.db) as tx:
            instance = rows.lock_instance(tx, instance_id)
            _require_active(instance)
            instance.status = "suspended"
            tx.event(instance, "instance_suspended", actor.username, None, {"reason": reason})
            rows.write_instance_now(tx, instance)

    def resume(self, instance_id: int, actor: Actor) -> None:
        with rows.step(self.db) as tx:
            instance = rows.lock_instance(tx, instance_id)
            if instance.status != "suspended":
                raise InstanceNotActive(instance_id, instance.status)
            instance.status = "active"
            tx.event(instance, "instance_resumed", actor.username)
            rows.write_instance_now(tx, instance)

    def terminate(self, instance_id: int, actor: Actor, reason: str = "") -> None:
        with rows.step(self.db) as tx:
            instance = rows.lock_instance(tx, instance_id)
            if instance.status in ("completed", "terminated"):
                raise InstanceNotActive(instance_id, instance.status)
            instance.status = "terminated"
            instance.ended_at = utcnow()
            derive.close_all(tx, instance)
            tx.event(instance, "instance_terminated", actor.username, None, {"reason": reason})
            rows.write_instance_now(tx, instance)

    # --- human tasks -----------------------------------------------------------------------

    def claim(self, task_id: int, actor: Actor) -> None:
        with transaction(self.sessions) as session:
            # The instance is locked before the task is read, so two people claiming at once
            # are served one after the other and the second sees the first one's claim.
            tx, instance = _lock_instance_of_task(session, task_id)
            row = _open_task(session, task_id)
            if row.assignee and row.assignee != actor.username:
                raise NotYourTask(task_id, f"it is assigned to {row.assignee}")
            _require_candidate(row, actor)
            row.assignee = actor.username
            tx.event(instance, "task_claimed", actor.username, row.element_id, {"task_id": row.id})
            rows.write_instance_now(tx, instance)

    def unclaim(self, task_id: int, actor: Actor) -> None:
        with transaction(self.sessions) as session:
            tx, instance = _lock_instance_of_task(session, task_id)
            row = _open_task(session, task_id)
            if row.assignee != actor.username:
                raise NotYourTask(task_id, "only the person it is assigned to can release it")
            row.assignee = None
            tx.event(instance, "task_released", actor.username, row.element_id,
                     {"task_id": row.id})
            rows.write_instance_now(tx, instance)

    def assign(self, task_id: int, actor: Actor, assignee: str | None) -> None:
        """A supervisor gives the task to a colleague (or back to the group with None).

        Who may assign, and to whom, is checked by the caller against the record scope; the
        engine records the change on the instance's history.
        """
        with transaction(self.sessions) as session:
            tx, instance = _lock_instance_of_task(session, task_id)
            row = _open_task(session, task_id)
            previous = row.assignee
            row.assignee = assignee
            row.delegated_by = None
            tx.event(instance, "task_assigned", actor.username, row.element_id,
                     {"task_id": row.id, "from": previous, "to": assignee})
            rows.write_instance_now(tx, instance)

    def delegate(self, task_id: int, actor: Actor, delegate: str) -> None:
        """The assignee hands the task to a colleague for a while and can take it back."""
        with transaction(self.sessions) as session:
            tx, instance = _lock_instance_of_task(session, task_id)
            row = _open_task(session, task_id)
            if row.assignee != actor.username:
                raise NotYourTask(task_id, "only the person it is assigned to can delegate it")
            if delegate == actor.username:
                raise NotYourTask(task_id, "a task cannot be delegated to oneself")
            row.delegated_by = row.delegated_by or actor.username
            row.assignee = delegate
            tx.event(instance, "task_delegated", actor.username, row.element_id,
                     {"task_id": row.id, "to": delegate})
            rows.write_instance_now(tx, instance)

    def take_back(self, task_id: int, actor: Actor) -> None:
        """The person who delegated the task makes it theirs again."""
        with transaction(self.sessions) as session:
            tx, instance = _lock_instance_of_task(session, task_id)
            row = _open_task(session, task_id)
            if row.delegated_by != actor.username:
                raise NotYourTask(task_id, "only the person who delegated it can take it back")
            previous = row.assignee
            row.assignee = actor.username
            row.delegated_by = None
            tx.event(instance, "task_taken_back", actor.username, row.element_id,
                     {"task_id": row.id, "from": previous})
            rows.write_instance_now(tx, instance)

    def complete_task(self, task_id: int, actor: Actor, data: dict[str, Any]) -> None:
        """Complete a user task with validated form data and run the instance on."""
        state.check_storable(data)
        found: list[int] = []

        def step(tx: Tx) -> None:
            # The reads go together (one round trip on PostgreSQL), the lock first: the task and
            # the open rows are read after it, so a colleague's completion is already visible.
            with tx.batch():
                locked = rows.lock_instance_of_task(tx, task_id)
                task_read = rows.read_task(tx, task_id)
                # PostgreSQL: in the same round trip, so of every kind (the spec is not known
                # yet); SQLite: after the spec, only the kinds it can have.
                open_read = (derive.open_rows(tx, derive.ALL_KINDS, task_id=task_id)
                             if tx.postgres else None)
            instance = _instance_of_task(locked, task_id)
            found.append(instance.id)
            loaded = self._load_locked(tx, instance)
            if open_read is None:
                open_read = derive.open_rows(tx, loaded.kinds, instance_id=instance.id)
            row = rows.task_row(task_read)
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
            tx.event(loaded.instance, "task_completed", actor.username, row.element_id,
                     {"task_id": row.id, "data": data})
            # The task itself is completed here, not cancelled by the sync.
            open_rows = derive.read_open_rows(open_read, leave_out=row.task_guid)
            writes, ended = self._finish(tx, loaded, _run(loaded.workflow), open_rows)
            rows.complete_task(tx, task_id, actor.username)
            # The step ends here: its writes go with the COMMIT (``rows.Tx.commit``).
            self._write(tx, loaded, writes, ended, flush=False)

        self._tx_step(lambda: found[0], step, incident_kind="script")

    def task_data(self, task_id: int) -> dict[str, Any]:
        """The data a user task sees, to pre-fill its form: what the case already holds is not
        typed again. A read: no lock, nothing written."""
        with self.sessions() as session:
            tx = Tx.of_session(session)
            row = rows.task_row(rows.read_task(tx, task_id))
            if row is None:
                raise TaskNotFound(task_id)
            found = session.execute(select(ProcessInstance.state, ProcessInstance.definition_id)
                                    .where(ProcessInstance.id == row.instance_id)).one()
            parsed = specs_for(tx, self._definition(tx, found.definition_id))
            workflow = state.load(found.state, parsed, self._script_engine())
        task = workflow.get_task_from_id(UUID(row.task_guid))
        return dict(task.data) if task is not None else {}

    # --- timers, jobs, messages ------------------------------------------------------------

    def fire_timer(self, timer_id: int, worker: str) -> bool:
        """Run the instance of a due timer; True if the timer fired."""
        found: list[int] = []
        fired = False

        def step(tx: Tx) -> None:
            nonlocal fired
            fired = self._fire(tx, timer_id, found)

        self._tx_step(lambda: found[0], step, incident_kind="timer", timer_id=timer_id)
        return fired

    def fire_timers(self, timer_ids: Sequence[int], worker: str) -> int:
        """Fire several due timers in one transaction: one commit (on PostgreSQL one flush of
        the disk) for all of them instead of one each, which is most of a firing's database
        cost when a crowd of deadlines falls due together. All or nothing: if any of them fails
        (a script error, a concurrent change, a deadlock) nothing of the batch is kept and the
        error is raised, and the caller fires them one by one (``fire_timer``), which handles
        each failure on its own. Returns how many fired."""
        with rows.step(self.db) as tx:
            return sum(self._fire(tx, timer_id, []) for timer_id in timer_ids)

    def _fire(self, tx: Tx, timer_id: int, found: list[int]) -> bool:
        """A timer's firing inside ``tx``: its instance read under lock, the timer events that
        are due run, the step's rows written. ``found`` receives the instance's id."""
        # As a completion: the locked instance and its open rows in one round trip.
        with tx.batch():
            locked = rows.lock_instance_of_timer(tx, timer_id)
            open_read = (derive.open_rows(tx, derive.ALL_KINDS, timer_id=timer_id)
                         if tx.postgres else None)
        row = rows.one(locked)
        if row is None:
            return False  # the timer is gone: nothing to fire
        instance = rows.instance_row(row)
        found.append(instance.id)
        if open_read is None:
            open_read = derive.open_rows(tx, derive.ALL_KINDS, instance_id=instance.id)
        open_rows = derive.read_open_rows(open_read)
        guid = next((g for g, r in open_rows[derive.TIMER].items() if r.id == timer_id), None)
        if guid is None:
            return False  # fired, cancelled or in an incident meanwhile
        loaded = self._load_locked(tx, instance)
        with _model_errors(loaded.workflow):
            loaded.workflow.refresh_timers()
        writes, ended = self._finish(tx, loaded, _run(loaded.workflow), open_rows)
        task = loaded.workflow.get_task_from_id(UUID(guid))
        fired = task is None or task.has_state(TaskState.COMPLETED)
        if not fired:  # SpiffWorkflow's clock says not yet: let the next tick retry
            rows.release_timer(tx, timer_id)
        self._write(tx, loaded, writes, ended)
        return fired

    def finish_job(self, job_id: int, worker: str, result: dict[str, Any]) -> bool:
        """Feed a worker's result into the waiting service task; False if the job was no longer
        this worker's (its lease ran out and another worker took it) or no longer wanted."""
        state.check_storable(result)  # the job runner makes this an incident (workers/jobs.py)
        with self.sessions() as session:
            job = session.get(Job, job_id)
            if job is None:
                return False
            instance_id = job.instance_id
        finished = False

        def step(session: Session) -> None:
            nonlocal finished
            tx = Tx.of_session(session)
            loaded = self._load(tx, instance_id)
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
            tx.event(loaded.instance, "job_succeeded", worker, job.element_id,
                     {"job_id": job.id, "operation": job.operation, "attempt": job.attempts})
            self._finish_step(tx, loaded, _run(loaded.workflow))
            finished = True

        self._step(lambda: instance_id, step, incident_kind="job", job_id=job_id)
        return finished

    def correlate(self, message_name: str, payload: dict[str, Any], *,
                  business_key: str | None = None, actor: Actor) -> list[int]:
        """Deliver a message to every instance waiting for it (with this business key)."""
        state.check_storable(payload)
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
        def step(tx: Tx) -> None:
            loaded = self._load(tx, instance_id)
            event = BpmnEvent(MessageEventDefinition(message_name), payload=payload)
            try:
                with _model_errors(loaded.workflow):
                    loaded.workflow.send_event(event)
            except ScriptFailed as err:
                if "not waiting for" in err.reason:
                    raise MessageNotCorrelated(message_name, business_key) from None
                raise
            tx.event(loaded.instance, "message_correlated", actor.username, None,
                     {"message": message_name, "payload": payload})
            self._finish_step(tx, loaded, _run(loaded.workflow))

        self._tx_step(lambda: instance_id, step, incident_kind="message")

    # --- internals -------------------------------------------------------------------------

    def _script_engine(self) -> ProductScriptEngine:
        """The thread's script engine, reset for a new step (it holds no state of a run beyond
        the service results and the last task, cleared here)."""
        found: ProductScriptEngine | None = getattr(self._scripts, "engine", None)
        if found is None:
            found = self._scripts.engine = ProductScriptEngine(
                time_limit=self.settings.script_time_limit)
        found.service_results.clear()
        found.last_task = None
        return found

    def _definition(self, tx: Tx, definition_id: int) -> rows.DefinitionRow:
        # Definition rows never change once deployed, so each is read once per engine.
        found = self._definitions.get(definition_id)
        if found is None:
            found = self._definitions[definition_id] = rows.definition(tx, definition_id)
        return found

    def _load(self, tx: Tx, instance_id: int) -> _Loaded:
        return self._load_locked(tx, rows.lock_instance(tx, instance_id))

    def _load_locked(self, tx: Tx, instance: rows.InstanceRow) -> _Loaded:
        _require_active(instance)
        definition = self._definition(tx, instance.definition_id)
        parsed = specs_for(tx, definition)
        workflow = state.load(instance.state, parsed, self._script_engine())
        return _Loaded(instance, definition, parsed, workflow)

    def _finish(self, tx: Tx, loaded: _Loaded, ran: _Ran,
                found: derive.OpenRows) -> tuple[derive.Writes, bool]:
        """The end of a step, computed: the new state, the events of what the engine did, the
        writes that keep the derived rows in step (from ``found``, the open rows before the
        step), and whether the instance ended. Nothing is written yet."""
        instance, workflow = loaded.instance, loaded.workflow
        instance.state = state.dump(workflow)
        for timer_element in ran.timers_fired:
            tx.event(instance, "timer_fired", SYSTEM, timer_element)
        if ran.elements:
            tx.event(instance, "engine_ran", SYSTEM, None, {"elements": ran.elements})
        writes = derive.sync(tx, instance, loaded.definition, workflow, loaded.kinds,
                             self.settings.job_max_attempts, found)
        ended = workflow.is_completed()
        if ended:
            instance.status, instance.ended_at = "completed", utcnow()
            tx.event(instance, "instance_ended", SYSTEM)
        return writes, ended

    def _write(self, tx: Tx, loaded: _Loaded, writes: derive.Writes, ended: bool, *,
               flush: bool = True) -> None:
        """Write what ``_finish`` computed for an existing instance, with the step's events,
        the instance row last (guarded by its version). ``flush=False`` leaves the last writes
        queued for the step's COMMIT: only for a step that writes nothing after this."""
        derive.apply(tx, writes)
        if ended:
            # On PostgreSQL the queued writes go as one statement in one snapshot, where two
            # writes to one row do not both happen: the task or job this step finished must be
            # written before "close everything still open" looks at it.
            tx.flush()
            derive.close_all(tx, loaded.instance, kinds=loaded.kinds)
        rows.write_instance(tx, loaded.instance)
        if flush:
            tx.flush()

    def _finish_step(self, tx: Tx, loaded: _Loaded, ran: _Ran) -> None:
        """``_finish`` and ``_write`` for a step that read its instance with ``_load``."""
        if tx.session is not None:
            tx.session.flush()  # a job or timer changed through the ORM must be seen as it is now
        found = derive.read_open_rows(derive.open_rows(tx, loaded.kinds,
                                                       instance_id=loaded.instance.id))
        writes, ended = self._finish(tx, loaded, ran, found)
        self._write(tx, loaded, writes, ended)

    def _step(self, instance_of: Callable[[], int], step: Callable[[Session], None], *,
              incident_kind: str, job_id: int | None = None, timer_id: int | None = None) -> None:
        """Run ``step`` in one transaction of a session; a model failure becomes an incident on
        the instance (``instance_of`` names it, once the step has found it)."""
        try:
            with transaction(self.sessions) as session:
                step(session)
        except ScriptFailed as err:
            self._record_incident(instance_of(), incident_kind, err, job_id=job_id,
                                  timer_id=timer_id)
            raise

    def _tx_step(self, instance_of: Callable[[], int], step: Callable[[Tx], None], *,
                 incident_kind: str, timer_id: int | None = None) -> None:
        """``_step`` on the engine's own connection (``rows.step``)."""
        try:
            with rows.step(self.db) as tx:
                step(tx)
        except ScriptFailed as err:
            self._record_incident(instance_of(), incident_kind, err, job_id=None,
                                  timer_id=timer_id)
            raise

    def _record_incident(self, instance_id: int, kind: str, err: ScriptFailed, *,
                         job_id: int | None, timer_id: int | None) -> None:
        with transaction(self.sessions) as session:
            tx = Tx.of_session(session)
            instance = rows.lock_instance(tx, instance_id)
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
            tx.event(instance, "incident_opened", SYSTEM, err.element_id,
                     {"kind": kind, "message": str(err)})
            rows.write_instance_now(tx, instance)


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


def _instance_of_task(locked: Any, task_id: int) -> rows.InstanceRow:
    found = rows.one(locked)
    if found is None:
        raise TaskNotFound(task_id)
    return rows.instance_row(found)


def _lock_instance_of_task(session: Session, task_id: int) -> tuple[Tx, rows.InstanceRow]:
    tx = Tx.of_session(session)
    return tx, _instance_of_task(rows.lock_instance_of_task(tx, task_id), task_id)


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
