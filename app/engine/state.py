"""Workflow state to and from the JSON stored on the instance row.

The spec of each deployed version is parsed once and cached (``specs``); the stored state leaves
it out, which keeps an instance's row to its own tasks and data (the spec is most of SpiffWorkflow's
default serialisation).
"""
from __future__ import annotations

import json
import threading
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .parsing import ParsedProcess
from .scripting import ProductScriptEngine

FORMAT_VERSION = "dicase-1"


class _SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        # WorkflowConverter.to_dict, without the spec and subprocess specs.
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore(self, dct: dict[str, Any], parsed: ParsedProcess,
                script_engine: ProductScriptEngine) -> BpmnWorkflow:
        workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=script_engine,
                                deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class _Codec(threading.local):
    # The serializer registry switches a mode flag while it converts, so each thread has its own.
    def __init__(self) -> None:
        self.registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        self.converter = _SpecFreeWorkflowConverter(BpmnWorkflow, self.registry)
        self.encoder = create_encoder(self.registry)


_codec = _Codec()


def dump(workflow: BpmnWorkflow) -> str:
    registry = _codec.registry
    registry._encoder_mode = True
    try:
        dct = registry.convert(workflow)
    finally:
        registry._encoder_mode = False
    dct["format"] = FORMAT_VERSION
    return json.dumps(dct, cls=_codec.encoder, separators=(",", ":"))


def load(state: str, parsed: ParsedProcess, script_engine: ProductScriptEngine) -> BpmnWorkflow:
    dct = json.loads(state)
    dct.pop("format", None)
    return _codec.converter.restore(dct, parsed, script_engine)


def new_workflow(parsed: ParsedProcess, script_engine: ProductScriptEngine) -> BpmnWorkflow:
    return BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=script_engine)
