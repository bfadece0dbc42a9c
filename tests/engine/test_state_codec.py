"""The stored workflow state (app/engine/state.py) is SpiffWorkflow's own serialisation.

The reference is SpiffWorkflow's registry path, as the module used it before converting tasks by
hand: the same document must come out, a document must load into the same workflow (tasks, data,
waiting events, subworkflows), and a run that stores and reloads its workflow at every step must
go exactly where the reference run goes. States come from the product's processes (their BPMN
unit-test cases, and an instance run by the engine) and from a model with a subprocess, a call
activity, a multi-instance task, a waiting message, a waiting timer and a pending event.
"""
from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import SpiffWorkflow.task
import time_machine
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from app.config import PROJECT_ROOT
from app.db import transaction
from app.engine import state
from app.engine.deploy import deploy_source
from app.engine.parsing import ParsedProcess, parse_process
from app.engine.runtime import Actor
from app.engine.scripting import ProductScriptEngine
from app.services import Services

from .helpers import P9, PLACEMENT_FORM, deploy_processes, instance, open_tasks, p9_start_data

PROCESSES = PROJECT_ROOT / "processes"
CASES = sorted((PROCESSES / "tests").glob("*/*.json"))


# --- The reference: SpiffWorkflow's registry, without the spec, as the state was first written.

class _SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
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


_registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
_converter = _SpecFreeWorkflowConverter(BpmnWorkflow, _registry)
_encoder = create_encoder(_registry)


def reference_dump(workflow: BpmnWorkflow) -> str:
    _registry._encoder_mode = True
    try:
        dct = _registry.convert(workflow)
    finally:
        _registry._encoder_mode = False
    dct["format"] = state.FORMAT_VERSION
    return json.dumps(dct, cls=_encoder, separators=(",", ":"))


def reference_load(text: str, parsed: ParsedProcess,
                   script_engine: ProductScriptEngine) -> BpmnWorkflow:
    dct = json.loads(text)
    dct.pop("format", None)
    return _converter.restore(dct, parsed, script_engine)


# --- What a restored workflow is made of.

def _workflows(workflow: BpmnWorkflow) -> list[tuple[str, Any]]:
    return [("top", workflow)] + [(str(key), sub) for key, sub in workflow.subprocesses.items()]


def snapshot(workflow: BpmnWorkflow) -> dict[str, Any]:
    """Every task's id, spec, state, parent, children, data, internal data, last state change and
    triggered flag in stored order, each workflow's own attributes, the waiting events and the
    pending ones."""
    parts: dict[str, Any] = {}
    for name, wf in _workflows(workflow):
        assert all(key == task.id and isinstance(task.id, UUID) and task.workflow is wf
                   for key, task in wf.tasks.items())
        parts[name] = {
            "tasks": [(str(t.id), t.task_spec.name, t.state, str(t._parent),
                       [str(c) for c in t._children], t.data, t.internal_data,
                       t.last_state_change, t.triggered) for t in wf.tasks.values()],
            "root": str(wf.task_tree.id),
            "last_task": str(wf.last_task.id) if wf.last_task is not None else None,
            "data": wf.data, "correlations": wf.correlations,
            "success": wf.success, "completed": wf.completed,
        }
    parts["waiting"] = sorted((str(t.id), t.task_spec.name, t.workflow is not workflow)
                              for t in workflow.event_manager.tasks.values())
    parts["pending events"] = _registry.convert(workflow.bpmn_events)
    return parts


def sharing(workflow: BpmnWorkflow) -> set[frozenset[tuple[Any, ...]]]:
    """Which places in the workflows' and tasks' data hold the very same list, dict or set."""
    places: dict[int, list[tuple[Any, ...]]] = {}

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, (dict, list, set)):
            places.setdefault(id(value), []).append(path)
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                walk(item, (*path, key))

    for name, wf in _workflows(workflow):
        walk(wf.data, (name,))
        for task in wf.tasks.values():
            walk(task.data, (str(task.id), "data"))
            walk(task.internal_data, (str(task.id), "internal_data"))
    return {frozenset(paths) for paths in places.values() if len(paths) > 1}


def check_codec(workflow: BpmnWorkflow, parsed: ParsedProcess) -> BpmnWorkflow:
    """The same document as the reference; loaded, the same workflow as the reference loads;
    returns the workflow the codec loaded."""
    written = reference_dump(workflow)
    assert state.dump(workflow) == written
    restored = state.load(written, parsed, ProductScriptEngine())
    expected = reference_load(written, parsed, ProductScriptEngine())
    assert snapshot(restored) == snapshot(expected)
    assert sharing(restored) == sharing(expected)
    assert reference_dump(restored) == written
    return restored


# --- Runs: BPMN unit-test cases, stored and reloaded at every point the product would store them.

class CaseRun:
    """A case in the format of processes/tests (see app/engine/unit_tests.py), run in memory;
    ``store`` takes the workflow at each point where the engine would write the instance row and
    returns the workflow to go on with."""

    def __init__(self, parsed: ParsedProcess, case: dict[str, Any],
                 store: Callable[[BpmnWorkflow], BpmnWorkflow]) -> None:
        self.parsed, self.case, self.store = parsed, case, store
        self.engine = ProductScriptEngine()
        self.workflow = state.new_workflow(parsed, self.engine)
        self.states: list[str] = []

    def run(self) -> list[str]:
        for task in self.workflow.get_tasks(state=TaskState.READY):
            task.data.update((self.case.get("given") or {}).get("data") or {})
        self.advance()
        for step in self.case.get("steps") or []:
            if "complete" in step:
                [task, *_] = [t for t in self.workflow.get_tasks(state=TaskState.READY)
                              if t.task_spec.bpmn_id == step["complete"] and t.task_spec.manual]
                task.data.update(step.get("data") or {})
                task.run()
            elif "fire_timer" in step:
                [timer, *_] = [t for t in self.workflow.get_tasks(state=TaskState.WAITING)
                               if t.task_spec.bpmn_id == step["fire_timer"]
                               and isinstance(t.task_spec.event_definition, TimerEventDefinition)]
                timer._set_internal_data(event_fired=True)
                self.workflow.refresh_timers()
            else:
                self.workflow.send_event(BpmnEvent(MessageEventDefinition(step["message"]),
                                                   payload=step.get("payload") or {}))
            self.advance()
        return self.states

    def advance(self) -> None:
        results = self.case.get("service_results") or {}
        while True:
            self.workflow.do_engine_steps()
            services = [t for t in self.workflow.get_tasks(state=TaskState.READY)
                        if isinstance(t.task_spec, ServiceTask)]
            if not services:
                break
            for task in services:
                self.engine.service_results[task.id] = json.dumps(results[task.task_spec.bpmn_id])
                task.run()
        self.states.append(reference_dump(self.workflow))
        self.workflow = self.store(self.workflow)
        self.workflow.script_engine = self.engine


@pytest.fixture
def repeatable(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Task ids from a seeded generator and a stopped clock, so that two runs of one case write
    the same states; call the fixture to start over."""
    def restart() -> None:
        ids = random.Random(7)
        monkeypatch.setattr(SpiffWorkflow.task, "uuid4",
                            lambda: UUID(int=ids.getrandbits(128), version=4))

    # Stopped at the real time: the cases' timers are set for the days around it.
    with time_machine.travel(datetime.now(UTC), tick=False):
        restart()
        yield restart


def compare_runs(parsed: ParsedProcess, case: dict[str, Any],
                 restart: Callable[[], None]) -> list[str]:
    """The case run twice: reloading its workflow the reference's way at every step, and with the
    codec (the first time from what the reference wrote, then from its own dumps, with every
    check of ``check_codec``). Both write the same states."""
    reference = CaseRun(parsed, case, lambda wf: reference_load(
        reference_dump(wf), parsed, ProductScriptEngine())).run()
    restart()
    checked = CaseRun(parsed, case, lambda wf: check_codec(wf, parsed)).run()
    assert checked == reference
    return checked


@cache
def _product_process(process_key: str) -> ParsedProcess:
    dmn = {p.name: p.read_text(encoding="utf-8") for p in PROCESSES.glob("*.dmn")}
    [path] = [p for p in PROCESSES.glob("*.bpmn") if p.stem == process_key]
    return parse_process(path.read_text(encoding="utf-8"), path.name, dmn)


@pytest.mark.parametrize("case_file", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_product_process_states_round_trip_like_spiffworkflow(
        case_file: Path, repeatable: Callable[[], None]) -> None:
    case = json.loads(case_file.read_text(encoding="utf-8"))
    states = compare_runs(_product_process(case_file.parent.name), case, repeatable)
    assert len(states) == len(case.get("steps") or []) + 1


def test_every_product_process_with_cases_is_covered() -> None:
    tested = {p.parent.name for p in CASES}
    assert {"p01_adult_needs_assessment", "p09_out_of_family_care", "p10_child_protection",
            "p11_adoption_match"} <= tested
    assert len(tested) >= 12


# --- A model with everything the fast path must not get wrong.

MIXED_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="codec_mix_definitions" targetNamespace="urn:lv:dicase:tests">
  <bpmn:message id="go_message" name="go" />
  <bpmn:message id="notice_message" name="notice" />
  <bpmn:process id="codec_mix" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="prepare">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>items = ["a", "b", "c"]
profile = {"name": "Anna", "address": {"city": "Rīga", "lines": ["Brīvības 1"]}}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:intermediateThrowEvent id="notify">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:messageEventDefinition id="notify_def" messageRef="notice_message">
        <bpmn:extensionElements>
          <spiffworkflow:messagePayload>{"items": items}</spiffworkflow:messagePayload>
        </bpmn:extensionElements>
      </bpmn:messageEventDefinition>
    </bpmn:intermediateThrowEvent>
    <bpmn:parallelGateway id="split">
      <bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>b1</bpmn:outgoing><bpmn:outgoing>b2</bpmn:outgoing>
      <bpmn:outgoing>b3</bpmn:outgoing><bpmn:outgoing>b4</bpmn:outgoing>
      <bpmn:outgoing>b5</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:subProcess id="embedded">
      <bpmn:incoming>b1</bpmn:incoming><bpmn:outgoing>j1</bpmn:outgoing>
      <bpmn:startEvent id="sub_start"><bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="sub_work">
        <bpmn:incoming>s1</bpmn:incoming><bpmn:outgoing>s2</bpmn:outgoing>
      </bpmn:userTask>
      <bpmn:endEvent id="sub_end"><bpmn:incoming>s2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="s1" sourceRef="sub_start" targetRef="sub_work" />
      <bpmn:sequenceFlow id="s2" sourceRef="sub_work" targetRef="sub_end" />
    </bpmn:subProcess>
    <bpmn:callActivity id="call_it" calledElement="codec_called">
      <bpmn:incoming>b2</bpmn:incoming><bpmn:outgoing>j2</bpmn:outgoing>
    </bpmn:callActivity>
    <bpmn:userTask id="review">
      <bpmn:incoming>b3</bpmn:incoming><bpmn:outgoing>j3</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>verdicts</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="item" name="item" />
        <bpmn:outputDataItem id="verdict" name="verdict" />
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="go">
      <bpmn:incoming>b4</bpmn:incoming><bpmn:outgoing>j4</bpmn:outgoing>
      <bpmn:messageEventDefinition id="go_def" messageRef="go_message">
        <bpmn:extensionElements>
          <spiffworkflow:messageVariable>go_payload</spiffworkflow:messageVariable>
        </bpmn:extensionElements>
      </bpmn:messageEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="slow"><bpmn:incoming>b5</bpmn:incoming><bpmn:outgoing>j5</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="late" attachedToRef="slow" cancelActivity="false">
      <bpmn:outgoing>l1</bpmn:outgoing>
      <bpmn:timerEventDefinition id="late_def"><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="late_end"><bpmn:incoming>l1</bpmn:incoming></bpmn:endEvent>
    <bpmn:parallelGateway id="join">
      <bpmn:incoming>j1</bpmn:incoming><bpmn:incoming>j2</bpmn:incoming>
      <bpmn:incoming>j3</bpmn:incoming><bpmn:incoming>j4</bpmn:incoming>
      <bpmn:incoming>j5</bpmn:incoming>
      <bpmn:outgoing>f9</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare" />
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="notify" />
    <bpmn:sequenceFlow id="f3" sourceRef="notify" targetRef="split" />
    <bpmn:sequenceFlow id="b1" sourceRef="split" targetRef="embedded" />
    <bpmn:sequenceFlow id="b2" sourceRef="split" targetRef="call_it" />
    <bpmn:sequenceFlow id="b3" sourceRef="split" targetRef="review" />
    <bpmn:sequenceFlow id="b4" sourceRef="split" targetRef="go" />
    <bpmn:sequenceFlow id="b5" sourceRef="split" targetRef="slow" />
    <bpmn:sequenceFlow id="l1" sourceRef="late" targetRef="late_end" />
    <bpmn:sequenceFlow id="j1" sourceRef="embedded" targetRef="join" />
    <bpmn:sequenceFlow id="j2" sourceRef="call_it" targetRef="join" />
    <bpmn:sequenceFlow id="j3" sourceRef="review" targetRef="join" />
    <bpmn:sequenceFlow id="j4" sourceRef="go" targetRef="join" />
    <bpmn:sequenceFlow id="j5" sourceRef="slow" targetRef="join" />
    <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="end" />
  </bpmn:process>
  <bpmn:process id="codec_called" isExecutable="true">
    <bpmn:startEvent id="called_start"><bpmn:outgoing>c1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="called_work">
      <bpmn:incoming>c1</bpmn:incoming><bpmn:outgoing>c2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="called_end"><bpmn:incoming>c2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="c1" sourceRef="called_start" targetRef="called_work" />
    <bpmn:sequenceFlow id="c2" sourceRef="called_work" targetRef="called_end" />
  </bpmn:process>
</bpmn:definitions>
"""

TYPED_FORM = {
    "decided_at": datetime(2035, 3, 1, 12, 30, tzinfo=UTC),
    "allowed_for": timedelta(days=30, seconds=5),
    "document": UUID("0b7a3c1e-5d2f-4a8b-9c6d-7e8f9a0b1c2d"),
    "history": [{"at": datetime(2035, 1, 2, 8, 0), "notes": ["first", {"by": "inese"}]},
                {"at": datetime(2035, 2, 3, 9, 15), "notes": []}],
    "plain": {"hours": [1, 2.5, None, True], "nested": {"deeper": {"deepest": "Ķ"}}},
}


@cache
def _mixed_model() -> ParsedProcess:
    return parse_process(MIXED_MODEL, "codec_mix.bpmn")


def _mixed_case(sub_work_form: dict[str, Any]) -> dict[str, Any]:
    return {"given": {"data": {"case_ref": "C-1"}}, "steps": [
        {"complete": "sub_work", "data": sub_work_form},
        {"complete": "review", "data": {"verdict": "ok"}},
        {"complete": "called_work", "data": {"called": {"answer": [1, 2]}}},
        {"complete": "review", "data": {"verdict": "ok"}},
        {"fire_timer": "late"},
        {"message": "go", "payload": {"decision": {"granted": True}}},
        {"complete": "review", "data": {"verdict": "no"}},
        {"complete": "slow", "data": {}},
    ]}


def _mixed_workflow() -> BpmnWorkflow:
    """The mixed model waiting everywhere at once: in the embedded subprocess, the called
    process, three review instances, for the message and the timer, with an event pending."""
    workflow = state.new_workflow(_mixed_model(), ProductScriptEngine())
    workflow.do_engine_steps()
    return workflow


def test_mixed_model_round_trips_in_every_state(repeatable: Callable[[], None]) -> None:
    states = compare_runs(_mixed_model(), _mixed_case(TYPED_FORM), repeatable)
    assert json.loads(states[-1])["completed"] is True


def test_waiting_events_subworkflows_and_pending_events_are_restored() -> None:
    workflow = _mixed_workflow()
    workflow.correlations = {"case": {"case_ref": "C-1"}}
    restored = check_codec(workflow, _mixed_model())
    assert {t.task_spec.bpmn_id for t in restored.event_manager.tasks.values()} == {"go", "late"}
    assert len(restored.subprocesses) == 2 and len(restored.bpmn_events) == 1
    assert restored.correlations == {"case": {"case_ref": "C-1"}}
    assert len([t for t in restored.get_tasks(state=TaskState.READY)
                if t.task_spec.bpmn_id == "review"]) == 3


def test_typed_values_in_task_data_come_back_typed() -> None:
    workflow = _mixed_workflow()
    [sub_work] = [t for t in workflow.get_tasks(state=TaskState.READY)
                  if t.task_spec.bpmn_id == "sub_work"]
    sub_work.data.update(TYPED_FORM)
    sub_work.internal_data["checked_at"] = datetime(2035, 3, 2, tzinfo=UTC)
    workflow.data["received"] = {"on": datetime(2035, 3, 3, tzinfo=UTC)}
    restored = check_codec(workflow, _mixed_model())
    data = restored.get_task_from_id(sub_work.id).data
    assert {key: data[key] for key in TYPED_FORM} == TYPED_FORM
    assert isinstance(data["history"][0]["at"], datetime)
    assert restored.get_task_from_id(sub_work.id).internal_data["checked_at"].year == 2035
    assert restored.data["received"]["on"] == datetime(2035, 3, 3, tzinfo=UTC)


@pytest.mark.parametrize("value", [date(2035, 3, 1), Decimal("12.50")], ids=["date", "decimal"])
def test_values_the_sandbox_allows_are_stored_typed(value: Any) -> None:
    # SpiffWorkflow's registry knows datetimes, timedeltas and UUIDs only; the sandbox also lets a
    # script make dates and decimals (money), which the product registers.
    workflow = _mixed_workflow()
    workflow.get_tasks(state=TaskState.READY)[0].data["value"] = {"inside": [value]}
    with pytest.raises(TypeError):
        reference_dump(workflow)
    restored = state.load(state.dump(workflow), _mixed_model(), ProductScriptEngine())
    [found] = {t.data["value"]["inside"][0] for t in restored.get_tasks(state=TaskState.READY)
               if "value" in t.data}
    assert found == value and type(found) is type(value)


SCRIPT_VALUES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="d" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="script_values" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="compute" name="Compute">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>decided_on = date.fromisoformat(decided)
allowance = (Decimal(income) * Decimal("0.15")).quantize(Decimal("0.01"))</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="check" name="Check">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidateGroups" value="testers" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="check" />
    <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_script_leaving_a_date_and_money_in_the_data_runs_on(services: Services) -> None:
    with transaction(services.sessions) as session:
        deploy_source(session, "script_values.bpmn", SCRIPT_VALUES, "test")
    iid = services.engine.start("script_values", {"decided": "2025-02-28", "income": "512.37"},
                                business_key="SV-1", actor=Actor("t"))
    [check] = open_tasks(services, iid)
    data = services.engine.task_data(check.id)
    assert data["decided_on"] == date(2025, 2, 28) and type(data["decided_on"]) is date
    assert data["allowance"] == Decimal("76.86") and isinstance(data["allowance"], Decimal)
    services.engine.complete_task(check.id, Actor("x", frozenset({"testers"})), {})
    assert instance(services, iid).status == "completed"


def test_a_data_field_named_typename_fails_to_load_the_same_way() -> None:
    # SpiffWorkflow reads any dict with a "typename" key as a stored object of that type.
    workflow = _mixed_workflow()
    workflow.get_tasks(state=TaskState.READY)[0].data["form"] = {"typename": "car", "seats": 5}
    written = reference_dump(workflow)
    assert state.dump(workflow) == written
    with pytest.raises(TypeError):
        reference_load(written, _mixed_model(), ProductScriptEngine())
    with pytest.raises(TypeError):
        state.load(written, _mixed_model(), ProductScriptEngine())


def test_functions_left_in_data_are_dropped_like_spiffworkflow_drops_them() -> None:
    workflow = _mixed_workflow()
    [review, *_] = [t for t in workflow.get_tasks(state=TaskState.READY)
                    if t.task_spec.bpmn_id == "review"]
    review.data["helper"] = len
    review.internal_data["callback"] = print
    workflow.data["module"] = json
    check_codec(workflow, _mixed_model())


def test_values_unequal_to_themselves_are_updates_as_spiffworkflow_counts_them() -> None:
    # DeepMerge compares a task's data with its parent's by !=: NaN is never equal, even to
    # itself, so it is written in every task's delta; other floats and equal values are not.
    workflow = _mixed_workflow()
    not_a_number = float("nan")
    for task in workflow.get_tasks():
        task.data.update(ratio=not_a_number, share=0.25, shares=[0.25, not_a_number])
    written = state.dump(workflow)
    assert written == reference_dump(workflow)
    updates = [t["delta"]["updates"] for t in json.loads(written)["tasks"].values() if t["delta"]]
    assert updates and all(set(u) >= {"ratio"} and "share" not in u for u in updates)


def test_a_task_s_data_is_its_own_at_the_first_level() -> None:
    restored = state.load(state.dump(_mixed_workflow()), _mixed_model(), ProductScriptEngine())
    reviews = [t for t in restored.get_tasks(state=TaskState.READY)
               if t.task_spec.bpmn_id == "review"]
    others = [t for t in restored.get_tasks() if t not in reviews[:1] and "profile" in t.data]
    before = [json.dumps(t.data, default=str) for t in others]
    reviews[0].data["profile"]["name"] = "Changed"
    reviews[0].data["items"].append("d")
    assert [json.dumps(t.data, default=str) for t in others] == before
    assert len(others) > 10


def test_nested_containers_are_shared_exactly_where_spiffworkflow_shares_them() -> None:
    # SpiffWorkflow copies a parent's data one level deep for each child (DeepMerge.merge), so
    # deeper lists and dicts are shared along a branch: the codec must neither add nor remove
    # such sharing, since a script that changes them changes them for every task that shares.
    written = state.dump(_mixed_workflow())
    restored = state.load(written, _mixed_model(), ProductScriptEngine())
    expected = reference_load(written, _mixed_model(), ProductScriptEngine())
    shared = sharing(restored)
    assert shared == sharing(expected)
    assert any(any(path[-2:] == ("profile", "address") for path in group) for group in shared)


# --- An instance run by the engine, stored on its row.

def test_a_p9_instance_s_stored_state_is_the_reference_s(services: Services) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-T-0001", actor=Actor("t"))
    [placement] = open_tasks(services, iid)
    services.engine.complete_task(placement.id, Actor("inese", frozenset({"institution"})),
                                  PLACEMENT_FORM)
    stored = instance(services, iid).state
    parsed = _product_process(P9)
    assert reference_dump(reference_load(stored, parsed, ProductScriptEngine())) == stored
    restored = check_codec(state.load(stored, parsed, ProductScriptEngine()), parsed)
    # Placed long ago, its report timers have fired; it waits for the placement's end.
    assert "placement_ended" in {t.task_spec.bpmn_id
                                 for t in restored.event_manager.tasks.values()}
