"""Parse BPMN/DMN sources into SpiffWorkflow specs, turning every failure into a DeploymentError
that names the file, the element and the problem."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import defusedxml.ElementTree as defused
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.util import BPMN_MODEL_NS
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .errors import DeploymentError
from .sandbox import ScriptRejected, check_compiles

MAX_SOURCE_BYTES = 5 * 1024 * 1024
# The largest process has about 500 elements; a model forty times larger is an attack or a mistake,
# and would make every step of its instances slow.
MAX_ELEMENTS = 20_000
# The DMN versions SpiffWorkflow reads.
DMN_NAMESPACES = tuple(DMN_SCHEMAS)
_REFUSED_DECLARATIONS = "document type declarations and entities are not allowed"

# The second line of defence: defusedxml has already refused DTDs and entities, and this parser
# would neither expand nor fetch them.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                              huge_tree=False, remove_comments=False)
_VALIDATOR = BpmnValidator()


@dataclass(frozen=True)
class ParsedProcess:
    process_key: str
    name: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]


def read_xml(source: str | bytes, file_name: str) -> Any:
    """The lxml tree SpiffWorkflow needs, from a file people upload: defusedxml reads it first and
    refuses any DTD, entity or external reference before lxml sees it."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    if len(data) > MAX_SOURCE_BYTES:
        raise DeploymentError(file_name, f"the file is larger than {MAX_SOURCE_BYTES // 1024 // 1024} MB")
    try:
        checked = defused.fromstring(data, forbid_dtd=True)
    except DTDForbidden:
        raise DeploymentError(file_name, f"{_REFUSED_DECLARATIONS} (the file has a DOCTYPE)") from None
    except EntitiesForbidden as err:
        raise DeploymentError(file_name, f"{_REFUSED_DECLARATIONS} (the file declares the "
                              f"entity '{err.name}')") from None
    except ExternalReferenceForbidden:
        raise DeploymentError(file_name, f"{_REFUSED_DECLARATIONS} (the file refers to an "
                              "external resource)") from None
    except defused.ParseError as err:
        raise DeploymentError(file_name, f"the file is not well-formed XML ({err})",
                              line=err.position[0]) from None
    elements = sum(1 for _ in checked.iter())
    if elements > MAX_ELEMENTS:
        raise DeploymentError(file_name, f"the file has {elements} XML elements; at most "
                              f"{MAX_ELEMENTS} are allowed")
    try:
        return etree.fromstring(data, _XML_PARSER)
    except etree.XMLSyntaxError as err:
        raise DeploymentError(file_name, f"the file is not well-formed XML ({err.msg})",
                              line=err.lineno or "") from None


def parse_process(source: str | bytes, file_name: str,
                  dmn_sources: dict[str, str] | None = None) -> ParsedProcess:
    """Parse one BPMN file (plus the DMN files it may call) and return its executable process."""
    parser = SpiffBpmnParser(validator=_VALIDATOR)
    try:
        for dmn_name, dmn_xml in (dmn_sources or {}).items():
            parser.add_dmn_xml(_model_root(dmn_xml, dmn_name, "DMN", DMN_NAMESPACES),
                               filename=dmn_name)
        parser.add_bpmn_xml(_model_root(source, file_name, "BPMN 2.0", (BPMN_MODEL_NS,)),
                            filename=file_name)
        executable = parser.get_process_ids()
        if not executable:
            raise DeploymentError(file_name, "the file has no process marked isExecutable=\"true\"")
        # A file holds one top-level executable process; others in it are its call activities.
        called = set(parser.get_process_dependencies())
        top = [pid for pid in executable if pid not in called]
        if len(top) != 1:
            raise DeploymentError(file_name, "the file must hold exactly one top-level executable "
                                  f"process, found: {', '.join(sorted(top)) or 'none'}")
        key = top[0]
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except DeploymentError:
        raise
    except ValidationException as err:
        raise DeploymentError(err.file_name or file_name, _first_line(err), element_id=err.id,
                              line=err.line_number) from None
    except SpiffWorkflowException as err:
        raise DeploymentError(file_name, _first_line(err),
                              element_id=getattr(getattr(err, "task_spec", None), "bpmn_id", "") or "") from None
    except (etree.LxmlError, KeyError, AttributeError, TypeError, ValueError) as err:
        # The parser's own bugs on unusual input surface as these; report them as the input's problem.
        raise DeploymentError(file_name, f"the process could not be read ({type(err).__name__}: {err})") from None
    _defer_service_tasks(spec, subprocess_specs)
    _check_scripts(file_name, spec, subprocess_specs)
    return ParsedProcess(key, spec.description or key, spec, subprocess_specs)


def _model_root(source: str | bytes, file_name: str, kind: str, namespaces: tuple[str, ...]) -> Any:
    # Said here in the model's terms: the schema validation would only report "no matching
    # global declaration" for a model in another namespace.
    root = read_xml(source, file_name)
    name = etree.QName(root)
    if name.localname != "definitions" or name.namespace not in namespaces:
        raise DeploymentError(file_name, f"the file is not a {kind} model: its root element is "
                              f"'{name.localname}' in the namespace '{name.namespace or ''}', "
                              f"not 'definitions' in {' or '.join(namespaces)}")
    return root


def _defer_service_tasks(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> None:
    # A service task marked manual is left READY by do_engine_steps; the engine turns it into a
    # job for a worker, so no external call ever runs inside a web request or a DB transaction.
    for process_spec in [spec, *subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            if isinstance(task_spec, ServiceTask):
                task_spec.manual = True


def _check_scripts(file_name: str, spec: BpmnProcessSpec,
                   subprocess_specs: dict[str, BpmnProcessSpec]) -> None:
    """Compile every script and expression of the model in the sandbox before it is stored."""
    for process_spec in [spec, *subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            for mode, source in _scripts_of(task_spec):
                try:
                    check_compiles(source, mode)
                except ScriptRejected as err:
                    raise DeploymentError(file_name, str(err),
                                          element_id=task_spec.bpmn_id or task_spec.name) from None


def _scripts_of(task_spec: Any) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for attr in ("script", "prescript", "postscript"):
        if getattr(task_spec, attr, None):
            found.append(("exec", getattr(task_spec, attr)))
    for condition, _target in getattr(task_spec, "cond_task_specs", []):
        expression = getattr(condition, "args", [None])[0] if condition is not None else None
        if isinstance(expression, str):
            found.append(("eval", expression))
    timer_expression = getattr(getattr(task_spec, "event_definition", None), "expression", None)
    if isinstance(timer_expression, str):
        found.append(("eval", timer_expression))
    for param in (getattr(task_spec, "operation_params", None) or {}).values():
        found.append(("eval", param["value"]))
    task_properties = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
    for name in ("dueDate", "followUpDate"):
        if task_properties.get(name):
            found.append(("eval", task_properties[name]))
    return found


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
