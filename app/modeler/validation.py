"""What the modeler's "Validate" button checks, and what deploying from the modeler requires.

Three layers, each problem naming the element it is about so the modeler can mark it on the
diagram:

1. what the engine cannot run: elements SpiffWorkflow does not execute (a complex gateway, link
   and compensation events, data stores), processes not marked executable, and whatever the
   engine's own parser refuses (``app.engine.parsing.parse_process``);
2. every script and expression compiled in the sandbox (``check_compiles``), all of them, not
   only the first that fails as at deployment;
3. the product's own rules: a user task has a form from ``forms/`` and a lane or candidate
   groups, a service task names an operation an adapter provides, a timer expression evaluates
   to an ISO 8601 date, duration or cycle (a bare ``P3M`` is the classic mistake: Python reads it
   as a variable name).

Errors block deployment; warnings (a timer that depends on data no step of the model sets) do
not. No Flask here: messages come through the ``translations`` the caller passes.
"""
from __future__ import annotations

import ast
import gettext
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from app.domain.script_helpers import SCRIPT_HELPERS
from app.engine.errors import DeploymentError
from app.engine.parsing import parse_process, read_xml
from app.engine.sandbox import SandboxedEnvironment, ScriptError, check_compiles
from app.forms.service import FormNotFound, load_schema

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}

ERROR = "error"
WARNING = "warning"

# Flow nodes the engine's parser (SpiffWorkflow 3.2's spiff parser) turns into task specs;
# tests/modeler/test_validation.py checks this list against the parser itself.
SUPPORTED_FLOW_NODES = frozenset({
    "adHocSubProcess", "boundaryEvent", "businessRuleTask", "callActivity", "endEvent",
    "eventBasedGateway", "exclusiveGateway", "inclusiveGateway", "intermediateCatchEvent",
    "intermediateThrowEvent", "manualTask", "parallelGateway", "receiveTask", "scriptTask",
    "sendTask", "serviceTask", "startEvent", "subProcess", "task", "transaction", "userTask",
})
# Every flow node BPMN 2.0 defines that the engine does not run.
UNSUPPORTED_FLOW_NODES = frozenset({"complexGateway"})
# Event definitions the engine has no implementation of.
UNSUPPORTED_EVENT_DEFINITIONS = frozenset({"linkEventDefinition", "compensateEventDefinition"})

_ISO_DURATION = re.compile(
    r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$")
_ISO_CYCLE = re.compile(r"^R(\d*)/(.+)$")
_ENGLISH = gettext.NullTranslations()
# Timer expressions are evaluated here with no process data; this bounds each of them.
_EVALUATION_SECONDS = 0.5


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a model: the element it is about ('' for the whole file)."""

    element_id: str
    message: str
    severity: str = ERROR
    source: str = "product"  # engine | sandbox | product

    def as_json(self) -> dict[str, str]:
        return {"element_id": self.element_id, "message": self.message,
                "severity": self.severity, "source": self.source}


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(problem.severity == ERROR for problem in problems)


def validate_process(source: str, file_name: str, *, forms_dir: Path,
                     operations: Iterable[str], dmn_sources: Mapping[str, str] | None = None,
                     translations: gettext.NullTranslations = _ENGLISH) -> list[Problem]:
    """Every problem of a BPMN model, errors first, each reported once."""

    try:
        root = read_xml(source, file_name)
    except DeploymentError as err:
        return [Problem("", translations.gettext("The file cannot be read: %(reason)s") % {"reason": err.reason},
                        source="engine")]
    if etree.QName(root).namespace != BPMN or etree.QName(root).localname != "definitions":
        return [Problem("", translations.gettext("The file is not a BPMN 2.0 model (bpmn:definitions)."),
                        source="engine")]
    checks = _Checks(root, forms_dir, frozenset(operations), translations.gettext)
    checks.run()
    try:
        parse_process(source, file_name, dict(dmn_sources or {}))
    except DeploymentError as err:
        if not _already_said(checks.problems, err):
            checks.add(err.element_id, translations.gettext("The engine cannot run the process: %(reason)s")
                       % {"reason": err.reason}, source="engine")
    problems = list(dict.fromkeys(checks.problems))
    return sorted(problems, key=lambda problem: problem.severity != ERROR)


def _already_said(problems: list[Problem], err: DeploymentError) -> bool:
    """The parser stops at the first problem; the checks above usually found it already."""
    if "isExecutable" in err.reason:
        return any(p.source == "engine" for p in problems)
    return any(err.reason in p.message for p in problems)


class _Checks:
    def __init__(self, root: Any, forms_dir: Path, operations: frozenset[str],
                 gettext_of: Callable[[str], str]) -> None:
        self.root, self.forms_dir, self.operations = root, forms_dir, operations
        self.gettext = gettext_of
        self.problems: list[Problem] = []
        self.lanes = {ref.text.strip() for ref in root.iterfind(".//bpmn:lane/bpmn:flowNodeRef", NS)
                      if ref.text and ref.text.strip()}

    def add(self, element_id: str, message: str, *, severity: str = ERROR,
            source: str = "product") -> None:
        self.problems.append(Problem(element_id or "", message, severity, source))

    def run(self) -> None:
        self.check_processes()
        self.check_unsupported()
        self.check_expressions()
        for task in self.root.iterfind(".//bpmn:userTask", NS):
            self.check_user_task(task)
        for task in self.root.iterfind(".//bpmn:serviceTask", NS):
            self.check_service_task(task)
        self.check_messages()
        self.check_timers()

    # --- what the engine cannot run ------------------------------------------------------------

    def check_processes(self) -> None:
        processes = self.root.findall("bpmn:process", NS)
        if not processes:
            self.add("", self.gettext("The model has no process."), source="engine")
        if processes and not any(p.get("isExecutable") == "true" for p in processes):
            for process in processes:
                self.add(process.get("id", ""), self.gettext(
                    "The process '%(id)s' is not marked executable, so the engine will not run "
                    "it. Select the process (or its pool) and tick \"Executable\".")
                    % {"id": process.get("id", "")}, source="engine")

    def check_unsupported(self) -> None:
        for element in self.root.iter():
            if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN:
                continue
            name = etree.QName(element).localname
            if name in UNSUPPORTED_FLOW_NODES:
                self.add(element.get("id", ""), self.gettext(
                    "The engine does not support the element %(type)s ('%(id)s'). "
                    "Use an exclusive, parallel or inclusive gateway instead.")
                    % {"type": name, "id": element.get("id", "")}, source="engine")
            elif name in UNSUPPORTED_EVENT_DEFINITIONS:
                event = element.getparent()
                self.add(event.get("id", ""), self.gettext(
                    "The engine does not support the element %(type)s in '%(id)s'.")
                    % {"type": name, "id": event.get("id", "")}, source="engine")
            elif name == "dataStoreReference":
                self.add(element.get("id", ""), self.gettext(
                    "The engine does not support the element dataStoreReference ('%(id)s'): the "
                    "product has no data stores. Keep data in process variables or call an "
                    "adapter from a service task.") % {"id": element.get("id", "")},
                    source="engine")

    # --- every script and expression, compiled in the sandbox -----------------------------------

    def check_expressions(self) -> None:
        for element_id, mode, text in self.expressions():
            try:
                check_compiles(text, mode)
            except ScriptError as err:
                self.add(element_id, self.gettext("The expression or script is refused: %(reason)s")
                         % {"reason": str(err)}, source="sandbox")

    def expressions(self) -> list[tuple[str, str, str]]:
        found: list[tuple[str, str, str]] = []

        def take(xpath: str, mode: str, attribute: str | None = None) -> None:
            for element in self.root.iterfind(xpath, NS):
                text = element.get(attribute) if attribute else element.text
                if text and text.strip():
                    found.append((_owner_id(element), mode, text))

        take(".//bpmn:scriptTask/bpmn:script", "exec")
        take(".//spiffworkflow:preScript", "exec")
        take(".//spiffworkflow:postScript", "exec")
        take(".//bpmn:sequenceFlow/bpmn:conditionExpression", "eval")
        for kind in ("timeDate", "timeDuration", "timeCycle"):
            take(f".//bpmn:timerEventDefinition/bpmn:{kind}", "eval")
        take(".//spiffworkflow:serviceTaskOperator//spiffworkflow:parameter", "eval", "value")
        take(".//bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality", "eval")
        take(".//bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition", "eval")
        take(".//bpmn:standardLoopCharacteristics/bpmn:loopCondition", "eval")
        take(".//spiffworkflow:messagePayload", "eval")
        for prop in self.root.iterfind(".//spiffworkflow:property", NS):
            if prop.get("name") in ("dueDate", "followUpDate") and (prop.get("value") or "").strip():
                found.append((_owner_id(prop), "eval", prop.get("value")))
        return found

    # --- the product's rules --------------------------------------------------------------------

    def check_user_task(self, task: Any) -> None:
        task_id = task.get("id", "")
        properties = _properties(task)
        form = properties.get("formJsonSchemaFilename", "").strip()
        if not form:
            self.add(task_id, self.gettext("The user task has no form: choose one in the properties "
                                     "panel (Form)."))
        else:
            try:
                load_schema(self.forms_dir, form)
            except FormNotFound as err:
                self.add(task_id, self.gettext("The form '%(form)s' cannot be used: %(reason)s")
                         % {"form": form, "reason": str(err).split(": ", 1)[-1]})
        if not properties.get("candidateGroups", "").strip() and task_id not in self.lanes:
            self.add(task_id, self.gettext("The user task is offered to nobody: give it candidate "
                                     "groups or put it in a lane."))

    def check_service_task(self, task: Any) -> None:
        task_id = task.get("id", "")
        operator = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        name = (operator.get("id") or "").strip() if operator is not None else ""
        if not name:
            self.add(task_id, self.gettext("The service task names no operation: choose one in the "
                                     "properties panel (Operation)."))
        elif name not in self.operations:
            self.add(task_id, self.gettext("No adapter provides the operation '%(name)s'. Known "
                                     "operations: %(known)s.")
                     % {"name": name, "known": ", ".join(sorted(self.operations))})
        if operator is not None:
            seen: set[str] = set()
            for parameter in operator.iterfind(".//spiffworkflow:parameter", NS):
                parameter_id = (parameter.get("id") or "").strip()
                if not parameter_id.isidentifier():
                    self.add(task_id, self.gettext("A parameter of the operation has no valid name "
                                             "('%(id)s').") % {"id": parameter_id})
                elif parameter_id in seen:
                    self.add(task_id, self.gettext("The parameter '%(id)s' is given twice.")
                             % {"id": parameter_id})
                seen.add(parameter_id)
                if not (parameter.get("value") or "").strip():
                    self.add(task_id, self.gettext("The parameter '%(id)s' has no value expression.")
                             % {"id": parameter_id})

    def check_messages(self) -> None:
        messages = {m.get("id"): (m.get("name") or "").strip()
                    for m in self.root.iterfind("bpmn:message", NS)}
        for definition in self.root.iterfind(".//bpmn:messageEventDefinition", NS):
            self._check_message_ref(_owner_id(definition), definition.get("messageRef"), messages)
        for task in [*self.root.iterfind(".//bpmn:receiveTask", NS),
                     *self.root.iterfind(".//bpmn:sendTask", NS)]:
            if task.get("messageRef"):
                self._check_message_ref(task.get("id", ""), task.get("messageRef"), messages)

    def _check_message_ref(self, element_id: str, ref: str | None,
                           messages: Mapping[str | None, str]) -> None:
        if not ref:
            self.add(element_id, self.gettext("The message event names no message: choose or create "
                                        "one in the properties panel (Message)."))
        elif ref not in messages:
            self.add(element_id, self.gettext("The message '%(ref)s' is not defined in the model.")
                     % {"ref": ref})
        elif not messages[ref]:
            self.add(element_id, self.gettext("The message '%(ref)s' has no name; messages are "
                                        "delivered by name.") % {"ref": ref})

    def check_timers(self) -> None:
        known = self.assigned_names()
        environment = SandboxedEnvironment(helpers=SCRIPT_HELPERS, time_limit=_EVALUATION_SECONDS)
        for definition in self.root.iterfind(".//bpmn:timerEventDefinition", NS):
            event_id = _owner_id(definition)
            expressions = [(etree.QName(child).localname, child.text or "")
                           for child in definition if isinstance(child.tag, str)
                           and etree.QName(child).localname in ("timeDate", "timeDuration",
                                                                "timeCycle")]
            if not expressions or not any(text.strip() for _kind, text in expressions):
                self.add(event_id, self.gettext("The timer has no date, duration or cycle expression."))
                continue
            for kind, text in expressions:
                if text.strip():
                    self._check_timer(event_id, kind, text.strip(), environment, known)

    def _check_timer(self, event_id: str, kind: str, text: str,
                     environment: SandboxedEnvironment, known: set[str]) -> None:
        try:
            value = environment.evaluate(text, {})
        except NameError:
            free = _free_names(text)
            if _ISO_DURATION.match(text) or _ISO_CYCLE.match(text):
                self.add(event_id, self.gettext("The timer expression %(text)s is read as a variable "
                                          "name. Timer expressions are Python: write \"%(text)s\" "
                                          "with the quotes.") % {"text": text})
                return
            unknown = sorted(free - known - set(SCRIPT_HELPERS))
            if unknown:
                self.add(event_id, self.gettext("The timer uses %(names)s, which no step of this "
                                          "process sets: it must come with the start data.")
                         % {"names": ", ".join(unknown)}, severity=WARNING)
            return
        except ScriptError:
            return  # reported by the sandbox compilation above
        except Exception as err:  # noqa: BLE001 - the expression's own failure is the finding
            self.add(event_id, self.gettext("The timer expression fails: %(reason)s")
                     % {"reason": f"{type(err).__name__}: {err}"})
            return
        if not _timer_value_ok(kind, value):
            expected = {"timeDate": self.gettext("an ISO 8601 date and time, e.g. \"2027-01-31T00:00:00+02:00\""),
                        "timeDuration": self.gettext("an ISO 8601 duration, e.g. \"P3M\""),
                        "timeCycle": self.gettext("an ISO 8601 cycle, e.g. \"R3/P1D\"")}[kind]
            self.add(event_id, self.gettext("The timer expression gives %(value)s; it must give "
                                      "%(expected)s.") % {"value": repr(value)[:80],
                                                          "expected": expected})

    def assigned_names(self) -> set[str]:
        """Variables some step of the model sets: script assignments, service results, form
        fields, message variables."""
        names: set[str] = set()
        for script in self.root.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
            names |= _stored_names(script.text or "")
        for operator in self.root.iterfind(".//spiffworkflow:serviceTaskOperator", NS):
            if operator.get("resultVariable"):
                names.add(operator.get("resultVariable"))
        for variable in self.root.iterfind(".//spiffworkflow:messageVariable", NS):
            if variable.text:
                names.add(variable.text.strip())
        for task in self.root.iterfind(".//bpmn:userTask", NS):
            form = _properties(task).get("formJsonSchemaFilename", "").strip()
            if form:
                try:
                    names |= set(load_schema(self.forms_dir, form).get("properties", {}))
                except FormNotFound:
                    pass  # reported by the user-task check
        return names


def _properties(task: Any) -> dict[str, str]:
    return {prop.get("name", ""): prop.get("value") or ""
            for prop in task.iterfind("bpmn:extensionElements/spiffworkflow:properties/"
                                      "spiffworkflow:property", NS)}


_OWNER_TAGS = SUPPORTED_FLOW_NODES | UNSUPPORTED_FLOW_NODES | {"sequenceFlow", "process"}


def _owner_id(element: Any) -> str:
    """The id of the flow element (task, event, gateway, sequence flow) an element belongs to."""
    node = element
    while node is not None:
        if (isinstance(node.tag, str) and etree.QName(node).namespace == BPMN
                and etree.QName(node).localname in _OWNER_TAGS):
            return str(node.get("id", ""))
        node = node.getparent()
    return ""


def _free_names(expression: str) -> set[str]:
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _stored_names(script: str) -> set[str]:
    try:
        tree = ast.parse(script)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}


def _timer_value_ok(kind: str, value: Any) -> bool:
    if isinstance(value, datetime):
        return kind == "timeDate"
    if not isinstance(value, str):
        return False
    if kind == "timeDuration":
        return bool(_ISO_DURATION.match(value))
    if kind == "timeCycle":
        match = _ISO_CYCLE.match(value)
        return bool(match) and all(_ISO_DURATION.match(part) or _is_datetime(part)
                                   for part in match.group(2).split("/"))  # type: ignore[union-attr]
    return _is_datetime(value)


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
