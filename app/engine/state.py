"""Workflow state to and from the JSON stored on the instance row.

The spec of each deployed version is parsed once and cached (``specs``); the stored state leaves
it out, which keeps an instance's row to its own tasks and data (the spec is most of SpiffWorkflow's
default serialisation). The document is otherwise SpiffWorkflow's own (``state_codec``), so states
written by earlier versions of this module load unchanged.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .errors import ReservedFieldName
from .parsing import ParsedProcess
from .scripting import ProductScriptEngine
from .state_codec import restore_workflow, workflow_to_dict

FORMAT_VERSION = "dicase-1"

# Converts what is not plain JSON in task data (datetimes, UUIDs, timedeltas) and bpmn events.
# Shared by all threads: only the serializer's encoder mode makes it stateful, and it stays off.
_registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
# The script sandbox also lets a model compute dates and Decimals (money is never a float), which
# SpiffWorkflow's registry does not know: without these a script leaving one in the data failed
# its step when the state was written. A datetime keeps its own entry (the lookup is by exact type).
_registry.register(date, lambda value: {"value": value.isoformat()},
                   lambda dct: date.fromisoformat(dct["value"]), typename="date")
_registry.register(Decimal, lambda value: {"value": str(value)},
                   lambda dct: Decimal(dct["value"]), typename="Decimal")
_encoder = create_encoder(_registry)(separators=(",", ":"))


# SpiffWorkflow's stored form marks a typed value as a dict with this key: a data field of that
# name would be read back as a stored object and the instance could not be loaded again.
RESERVED_FIELD = "typename"


def check_storable(data: Any) -> None:
    """Refuse data from outside (start data, a form, a message, a service's answer) holding a
    field the stored state reserves, at any depth, before it reaches a workflow. Walked with a
    list, not recursion, so deeply nested data cannot exhaust Python's stack here."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            if RESERVED_FIELD in value:
                raise ReservedFieldName(RESERVED_FIELD)
            pending.extend(value.values())
        elif isinstance(value, (list, tuple)):
            pending.extend(value)


def dump(workflow: BpmnWorkflow) -> str:
    dct = workflow_to_dict(workflow)
    dct["format"] = FORMAT_VERSION
    return _encoder.encode(dct)


def load(state: str, parsed: ParsedProcess, script_engine: ProductScriptEngine) -> BpmnWorkflow:
    dct = json.loads(state)
    dct.pop("format", None)
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=script_engine,
                            deserializing=True)
    return restore_workflow(dct, workflow, _registry)


def new_workflow(parsed: ParsedProcess, script_engine: ProductScriptEngine) -> BpmnWorkflow:
    return BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=script_engine)
