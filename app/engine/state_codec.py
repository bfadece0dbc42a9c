"""SpiffWorkflow's serialised form of a workflow, built and read without its generic registry.

The document is the one ``BpmnWorkflowSerializer`` writes (without the spec), key for key: each
task's data stored as a delta from its parent's, ids as text, a ``typename`` on the workflow, its
subworkflows and tasks. SpiffWorkflow's converters walk every value through a registry of types;
here the tasks and workflows are converted by hand and the registry is asked only about values
that are not plain JSON (a dict with a ``typename`` key somewhere inside task or workflow data).
On the way out, values the JSON encoder cannot write itself (datetimes, UUIDs, …) go through the
registry inside the encoder, as they did with SpiffWorkflow's own converters.
"""
from __future__ import annotations

from copy import copy
from types import ModuleType
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

_WAITING = TaskState.WAITING
_CONTAINERS = (dict, list, set)
# Values of these types never compare both equal and unequal, so data equal to its parent's
# (dict ==, which takes an object as equal to itself) has no updates in SpiffWorkflow's delta
# (which asks !=); a float could be NaN, which is unequal to itself.
_NE_IS_NOT_EQ = frozenset({str, int, bool, type(None), dict, list})
_EXACT_CONTAINERS = frozenset(_CONTAINERS)


def workflow_to_dict(workflow: BpmnWorkflow) -> dict[str, Any]:
    """What SpiffWorkflow's BpmnWorkflowConverter writes, less the spec and subprocess specs."""
    dct = _common_to_dict(workflow)
    dct["subprocesses"] = {str(key): _subworkflow_to_dict(sub)
                           for key, sub in workflow.subprocesses.items()}
    # Left for the JSON encoder, which hands each event to the registry.
    dct["bpmn_events"] = workflow.bpmn_events
    dct["typename"] = "BpmnWorkflow"
    return dct


def _subworkflow_to_dict(workflow: BpmnSubWorkflow) -> dict[str, Any]:
    dct = _common_to_dict(workflow)
    dct["parent_task_id"] = str(workflow.parent_task_id)
    dct["spec"] = workflow.spec.name
    dct["typename"] = "BpmnSubWorkflow"
    return dct


def _common_to_dict(workflow: Any) -> dict[str, Any]:
    tasks = workflow.tasks
    # Looked up by object identity first: a UUID hashes in Python code, and a task's id is
    # normally the very object its parent lists among its children and its children name as
    # their parent. An equal but distinct object takes the ordinary lookup.
    text_of = {id(key): str(key) for key in tasks}
    task_of = {id(key): task for key, task in tasks.items()}
    converted = {}
    delta: dict[str, Any]
    for key, task in tasks.items():
        parent_id = task._parent
        parent = None
        if parent_id is not None:
            parent = task_of.get(id(parent_id))
            if parent is None:
                parent = tasks.get(parent_id)
        if parent is None:
            data, delta = task.data, {}
            parent_text = None
        else:
            own, inherited = task.data, parent.data
            data = {}
            if own == inherited and _NE_IS_NOT_EQ.issuperset(map(type, own.values())):
                delta = {"updates": {}, "deletions": []}
            else:
                # DeepMerge.get_updated_keys / get_deleted_keys against the parent's data.
                delta = {"updates": {k: v for k, v in own.items()
                                     if k not in inherited or v != inherited[k]},
                         "deletions": [k for k in inherited if k not in own]}
            parent_text = text_of.get(id(parent_id)) or str(parent_id)
        task_id = task.id
        converted[text_of[id(key)]] = {
            "id": text_of.get(id(task_id)) or str(task_id),
            "parent": parent_text,
            "children": [text_of.get(id(child)) or str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task._state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": _without_callables(task.internal_data),
            "data": data,
            "delta": delta,
            "typename": "Task",
        }
    last_task = workflow.last_task
    return {
        "data": _without_callables(workflow.data),
        "correlations": workflow.correlations,
        "last_task": str(last_task.id) if last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": converted,
        "root": str(workflow.task_tree.id),
    }


def _without_callables(values: dict[str, Any]) -> dict[str, Any]:
    # The registry's ``clean``: functions and modules a script left behind are not data.
    if not values:
        return {}
    return {k: v for k, v in values.items() if not callable(v) and not isinstance(v, ModuleType)}


def restore_workflow(dct: dict[str, Any], workflow: BpmnWorkflow, registry: Any) -> BpmnWorkflow:
    """Fill ``workflow`` (made with ``deserializing=True``) from ``dct`` as SpiffWorkflow's
    BpmnWorkflowConverter.from_dict would; ``dct`` is consumed."""
    _restore_common(dct, workflow, workflow, registry)
    _restore_subprocesses(dct["subprocesses"], workflow, workflow, registry)
    events = dct.pop("bpmn_events", [])
    workflow.bpmn_events = registry.restore(events) if events else []
    return workflow


def _restore_subprocesses(stored: dict[str, Any], workflow: Any, top: BpmnWorkflow,
                          registry: Any) -> None:
    # BpmnWorkflowConverter.subprocesses_from_dict: parents before the subworkflows they hold.
    for task in workflow.tasks.values():
        if not isinstance(task.task_spec, SubWorkflowTask) or str(task.id) not in stored:
            continue
        item = stored.pop(str(task.id))
        if item.get("typename") == "BpmnSubWorkflow":
            spec = top.subprocess_specs.get(task.task_spec.spec)
            sub = BpmnSubWorkflow(spec, task.id, top, deserializing=True)
            _restore_common(item, sub, top, registry)
        else:
            sub = registry.restore(item, task=task, top_workflow=top)
        top.subprocesses[task.id] = sub
        sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
        _restore_subprocesses(stored, sub, top, registry)


def _restore_common(dct: dict[str, Any], workflow: Any, top: BpmnWorkflow, registry: Any) -> None:
    # One UUID object per id: parsing the text is the costly part, and UUIDs are immutable.
    ids: dict[str, UUID] = {}

    def uuid_of(text: str) -> UUID:
        found = ids.get(text)
        if found is None:
            found = ids[text] = UUID(text)
        return found

    specs = workflow.spec.task_specs
    # Task() registers each task in workflow.tasks, where SpiffWorkflow's TaskConverter finds a
    # task's parent: a parent stored after its child would leave the child without inherited data.
    live = workflow.tasks
    tasks = {}
    for key, item in dct["tasks"].items():
        spec = specs.get(item["task_spec"])
        task = Task(workflow, spec, state=item["state"], id=uuid_of(item["id"]))
        parent_id = item["parent"]
        task._parent = uuid_of(parent_id) if parent_id is not None else None
        task._children = [ids.get(child) or uuid_of(child) for child in item["children"]]
        task.last_state_change = item["last_state_change"]
        task.triggered = item["triggered"]
        internal = item["internal_data"]
        task.internal_data = internal if _is_plain(internal) else registry.restore(internal)
        if task._state & _WAITING and isinstance(spec, CatchingEvent):
            top.event_manager.add_task(task)
        delta = item.get("delta")
        parent = live.get(task._parent) if parent_id is not None else None
        if delta and parent is not None:
            data = _inherited(parent.data)
            updates = delta.get("updates", {})
            if updates:
                data.update(updates if _is_plain(updates) else registry.restore(updates))
            for name in delta.get("deletions", ()):
                data.pop(name, None)
        else:
            data = item["data"]
            if not _is_plain(data):
                data = registry.restore(data)
        task.data = data
        tasks[uuid_of(key)] = task
    workflow.tasks = tasks
    workflow.task_tree = tasks.get(uuid_of(dct["root"]))
    # WorkflowConverter.set_default_attributes
    workflow.success = dct["success"]
    workflow.completed = dct.get("completed", False)
    workflow.correlations = dct.pop("correlations", {})
    if isinstance(dct["last_task"], str):
        workflow.last_task = tasks.get(uuid_of(dct["last_task"]))
    data = dct.pop("data", {})
    workflow.data = data if _is_plain(data) else registry.restore(data)


def _inherited(parent_data: dict[str, Any]) -> dict[str, Any]:
    """DeepMerge.merge({}, parent_data): a new dict whose dict, list and set values are shallow
    copies, so a task shares nested containers (below the first level) with its parent."""
    data = dict(parent_data)
    for key, value in parent_data.items():
        if isinstance(value, _CONTAINERS):
            data[key] = value.copy() if type(value) in _EXACT_CONTAINERS else copy(value)
    return data


def _is_plain(value: Any) -> bool:
    """No dict anywhere inside ``value`` (parsed JSON) has a ``typename`` key: then the value
    already is what the registry's ``restore`` would make of it (an equal, unshared copy)."""
    if not value:
        return True
    kind = type(value)
    if kind is dict:
        if "typename" in value:
            return False
        items = value.values()
    elif kind is list:
        items = value
    else:
        return True
    for item in items:
        inner = type(item)
        if (inner is dict or inner is list) and not _is_plain(item):
            return False
    return True
