"""BPMN unit tests: a process run in memory against a test case, nothing written anywhere.

A test case is a JSON file in ``processes/tests/<process_key>/``::

    {"name": "...",
     "given": {"data": {...}},                       # the start data
     "service_results": {"deliver_report": {...}},   # what each service task's call returns
     "steps": [{"complete": "register_placement", "data": {...}},
               {"fire_timer": "report_overdue"},
               {"message": "placement_ended", "payload": {...}}],
     "expect": {"path": ["placement_started", ...],  # every element reached, in order
                "end_state": "completed",            # or "waiting"
                "waiting_in": ["submit_periodic_report"],
                "data": {"reports_submitted": 1}}}   # a subset of the end data

The product's sandboxed script engine runs the scripts; service tasks take their result from the
case (a service task without one fails the case). Timers fire only when a step says so.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import state
from .parsing import ParsedProcess, parse_process
from .scripting import ProductScriptEngine

_OPEN = TaskState.READY | TaskState.WAITING


@dataclass(frozen=True)
class CaseResult:
    name: str
    file: str
    passed: bool
    difference: str = ""


class CaseFailed(Exception):
    """The run departed from the case: the message is the first difference."""


def case_files(tests_dir: Path, process_key: str) -> list[Path]:
    return sorted((tests_dir / process_key).glob("*.json"))


def tested_processes(tests_dir: Path) -> list[str]:
    return sorted(p.name for p in tests_dir.iterdir() if p.is_dir()) if tests_dir.is_dir() else []


def run_case_files(parsed: ParsedProcess, files: list[Path]) -> list[CaseResult]:
    results = []
    for path in files:
        try:
            case = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            results.append(CaseResult(path.stem, path.name, False, f"the file cannot be read: {err}"))
            continue
        results.append(run_case(parsed, case, path.name))
    return results


def run_source(source: str, file_name: str, dmn_sources: dict[str, str] | None,
               files: list[Path]) -> list[CaseResult]:
    return run_case_files(parse_process(source, file_name, dmn_sources), files)


def run_case(parsed: ParsedProcess, case: dict[str, Any], file: str = "") -> CaseResult:
    name = str(case.get("name") or file)
    try:
        _check(parsed, case)
    except CaseFailed as err:
        return CaseResult(name, file, False, str(err))
    except Exception as err:  # noqa: BLE001 - a failing model (script, expression) fails the case
        return CaseResult(name, file, False, f"the process failed: {_first_line(err)}")
    return CaseResult(name, file, True)


def _first_line(err: Exception) -> str:
    text = str(getattr(err, "exception", None) or err).splitlines()
    return text[0] if text else type(err).__name__


class _Run:
    def __init__(self, parsed: ParsedProcess, service_results: dict[str, Any]) -> None:
        self.engine = ProductScriptEngine()
        self.workflow: BpmnWorkflow = state.new_workflow(parsed, self.engine)
        self.service_results = service_results
        self.path: list[str] = []

    def record(self, task: Any) -> None:
        if task.task_spec.bpmn_id and task.task_spec.bpmn_id != self.workflow.spec.name:
            self.path.append(task.task_spec.bpmn_id)

    def advance(self) -> None:
        """Run engine tasks and the service tasks (answered from the case) until nothing moves."""
        while True:
            self.workflow.do_engine_steps(did_complete_task=self.record)
            services = [t for t in self.workflow.get_tasks(state=TaskState.READY)
                        if isinstance(t.task_spec, ServiceTask)]
            if not services:
                return
            for task in services:
                element = task.task_spec.bpmn_id
                if element not in self.service_results:
                    raise CaseFailed(f"service task {element} was reached, but the case gives no "
                                     "result for it (service_results)")
                self.engine.service_results[task.id] = json.dumps(self.service_results[element])
                task.run()
                self.record(task)

    def open_elements(self) -> list[str]:
        return sorted({t.task_spec.bpmn_id for t in self.workflow.get_tasks(state=_OPEN)
                       if t.task_spec.bpmn_id})

    def complete(self, element: str, data: dict[str, Any]) -> None:
        ready = [t for t in self.workflow.get_tasks(state=TaskState.READY)
                 if t.task_spec.bpmn_id == element and t.task_spec.manual]
        if not ready:
            raise CaseFailed(f"task {element} is not open; the process waits in "
                             f"{', '.join(self.open_elements()) or 'nothing'}")
        task = ready[0]
        task.data.update(data)
        task.run()
        self.record(task)

    def fire_timer(self, element: str) -> None:
        waiting = [t for t in self.workflow.get_tasks(state=TaskState.WAITING)
                   if t.task_spec.bpmn_id == element
                   and isinstance(getattr(t.task_spec, "event_definition", None),
                                  TimerEventDefinition)]
        if not waiting:
            raise CaseFailed(f"timer {element} is not waiting; the process waits in "
                             f"{', '.join(self.open_elements()) or 'nothing'}")
        waiting[0]._set_internal_data(event_fired=True)
        self.workflow.refresh_timers()

    def message(self, name: str, payload: dict[str, Any]) -> None:
        self.workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload))


def _check(parsed: ParsedProcess, case: dict[str, Any]) -> None:
    run = _Run(parsed, case.get("service_results") or {})
    for task in run.workflow.get_tasks(state=TaskState.READY):
        task.data.update((case.get("given") or {}).get("data") or {})
    run.advance()
    for k, step in enumerate(case.get("steps") or [], start=1):
        if "complete" in step:
            run.complete(step["complete"], step.get("data") or {})
        elif "fire_timer" in step:
            run.fire_timer(step["fire_timer"])
        elif "message" in step:
            run.message(step["message"], step.get("payload") or {})
        else:
            raise CaseFailed(f"step {k} says neither complete, fire_timer nor message")
        run.advance()
    _compare(run, case.get("expect") or {})


def _compare(run: _Run, expect: dict[str, Any]) -> None:
    path = expect.get("path")
    if path is not None and run.path != path:
        at = next((k for k, (a, b) in enumerate(zip(run.path, path, strict=False)) if a != b),
                  min(len(run.path), len(path)))
        expected = path[at] if at < len(path) else "(the end of the path)"
        actual = run.path[at] if at < len(run.path) else "(nothing more)"
        raise CaseFailed(f"path, element {at + 1}: expected {expected}, reached {actual}")
    end_state = expect.get("end_state")
    actual_state = "completed" if run.workflow.is_completed() else "waiting"
    if end_state is not None and end_state != actual_state:
        raise CaseFailed(f"end state: expected {end_state}, it is {actual_state} (waiting in "
                         f"{', '.join(run.open_elements()) or 'nothing'})")
    waiting_in = expect.get("waiting_in")
    if waiting_in is not None and sorted(waiting_in) != run.open_elements():
        raise CaseFailed(f"waiting in: expected {', '.join(sorted(waiting_in))}, it waits in "
                         f"{', '.join(run.open_elements()) or 'nothing'}")
    data = _end_data(run.workflow)
    for key, value in (expect.get("data") or {}).items():
        if key not in data:
            raise CaseFailed(f"data {key}: expected {value!r}, it is not set")
        if _comparable(data[key]) != value:
            raise CaseFailed(f"data {key}: expected {value!r}, it is {_comparable(data[key])!r}")


def _end_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """What the process holds at the end: the data of its open tasks, of the task that ran last
    (an end event's holds a finished branch's results) and the workflow's own."""
    data: dict[str, Any] = {}
    for task in workflow.get_tasks(state=_OPEN):
        data.update(task.data)
    if workflow.last_task is not None:
        data.update(workflow.last_task.data)
    data.update(workflow.data or {})
    return data


def _comparable(value: Any) -> Any:
    """As the JSON of the case would write it (dates as ISO text)."""
    return json.loads(json.dumps(value, default=str))


def run_directory(processes_dir: Path, tests_dir: Path,
                  process_key: str | None = None) -> dict[str, list[CaseResult]]:
    """The cases of every tested process (or of ``process_key``) against its BPMN file in
    ``processes_dir``: what a deployment of that directory would deploy."""
    dmn_sources = {p.name: p.read_text(encoding="utf-8") for p in sorted(processes_dir.glob("*.dmn"))}
    sources = {}
    for path in sorted(processes_dir.glob("*.bpmn")):
        parsed = parse_process(path.read_text(encoding="utf-8"), path.name, dmn_sources)
        sources[parsed.process_key] = parsed
    results: dict[str, list[CaseResult]] = {}
    for key in [process_key] if process_key else tested_processes(tests_dir):
        files = case_files(tests_dir, key)
        if key not in sources:
            results[key] = [CaseResult(key, "", False, f"no BPMN file defines process {key}")]
            continue
        results[key] = run_case_files(sources[key], files)
    return results
