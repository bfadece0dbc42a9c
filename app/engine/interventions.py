"""Operators' manual interventions on a stuck instance: moving its token to another element.

SpiffWorkflow 3.2 moves a token back with ``BpmnWorkflow.reset_from_task_id``: the task of an
element the instance already passed is made runnable again (with the data it had then) and what
came after it is dropped. A move forward, past elements that never ran, has no safe equivalent
in 3.2 (their data would be missing), so it is refused with that reason.
"""
from __future__ import annotations

from typing import Any
from uuid import uuid4

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.util.task import TaskState

from . import rows, state
from .errors import EngineError, ScriptFailed
from .migration import write_step
from .runtime import Engine
from .scripting import ProductScriptEngine
from .specs import specs_for

MANUAL_INTERVENTION = "manual_intervention"


class MoveRefused(EngineError):
    http_status = 409


def movable_elements(engine: Engine, instance_id: int) -> list[str]:
    """The elements the token can be moved to: those the instance already passed or waits in."""
    with rows.step(engine.db) as tx:
        instance = rows.lock_instance(tx, instance_id)
        parsed = specs_for(tx, rows.definition(tx, instance.definition_id))
        workflow = state.load(instance.state, parsed, ProductScriptEngine())
    finished = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.ERROR | \
        TaskState.STARTED
    return sorted({t.task_spec.bpmn_id for t in workflow.get_tasks(state=finished,
                                                                 skip_subprocesses=True)
                   if t.task_spec.bpmn_id and t.task_spec.bpmn_id in _flow_elements(parsed)})


def _flow_elements(parsed: Any) -> set[str]:
    return {s.bpmn_id for s in parsed.spec.task_specs.values()
            if s.bpmn_id and s.bpmn_id != parsed.spec.name}


def _renew_id(workflow: Any, task: Any) -> None:
    """Give a task that runs again a new id: its derived rows (one human task per task id) are
    new rows, and the rows of its earlier run stay as they were."""
    old, new = task.id, uuid4()
    parent = task.parent
    if parent is not None:
        parent._children = [new if child == old else child for child in parent._children]
    for child in task.children:
        child._parent = new
    del workflow.tasks[old]
    task.id = new
    workflow.tasks[new] = task


def move_token(engine: Engine, instance_id: int, to_element: str, reason: str, by: str) -> None:
    """Move the instance's position to ``to_element`` (one it already passed or waits in), in one
    transaction with its derived rows, recorded as a ``manual_intervention`` event."""
    if not reason.strip():
        raise MoveRefused("a reason is required")
    with rows.step(engine.db) as tx:
        instance = rows.lock_instance(tx, instance_id)
        if instance.status not in ("active", "suspended"):
            raise MoveRefused(f"instance {instance_id} is {instance.status}")
        definition = rows.definition(tx, instance.definition_id)
        parsed = specs_for(tx, definition)
        workflow = state.load(instance.state, parsed,
                              ProductScriptEngine(time_limit=engine.settings.script_time_limit))
        if to_element not in _flow_elements(parsed):
            raise MoveRefused(f"version {definition.version} has no element {to_element}")
        open_states = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
        before = sorted({t.task_spec.bpmn_id for t in workflow.get_tasks(
            state=open_states, skip_subprocesses=True) if t.task_spec.bpmn_id})
        passed = [t for t in workflow.get_tasks(skip_subprocesses=True)
                  if t.task_spec.bpmn_id == to_element
                  and t.state & (TaskState.COMPLETED | open_states)]
        if not passed:
            raise MoveRefused(f"the instance never reached {to_element}: a token can only be moved "
                              "back to an element it passed or waits in")
        target = max(passed, key=lambda t: t.last_state_change)
        workflow.reset_from_task_id(target.id)
        top = target.parent if isinstance(target.parent.task_spec, BoundaryEventSplit) else target
        for task in list(top):
            if not task.has_state(TaskState.COMPLETED):
                _renew_id(workflow, task)
        tx.event(instance, MANUAL_INTERVENTION, by, to_element,
                 {"action": "move_token", "from": before, "to": to_element, "reason": reason})
        try:
            workflow.do_engine_steps()
        except EngineError:
            raise
        except Exception as err:  # noqa: BLE001 - SpiffWorkflow raises plain exceptions
            raise ScriptFailed(to_element, str(err).splitlines()[0] if str(err) else
                               type(err).__name__) from None
        write_step(engine, tx, instance, definition, parsed, workflow)
