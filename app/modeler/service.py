"""The process owners' side: the process catalogue, drafts, and deploying from the modeler.

No Flask here. Deploying goes through ``app.engine.deploy.deploy_source``, so a model deployed
from the browser becomes a version exactly like one deployed with ``dicase deploy``; running
instances keep the version they started on.
"""
from __future__ import annotations

import gettext
import json
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from adapters import registry
from app.db.models import ProcessDefinition, ProcessDraft, ProcessInstance, utcnow
from app.engine.deploy import Deployed, deploy_source
from app.engine.errors import DeploymentError
from app.engine.parsing import DMN_NAMESPACES, read_xml
from app.forms.service import FormNotFound, Schema, load_schema

from .validation import BPMN, NS, Problem, has_errors, validate_process

BPMN_DRAFT = "bpmn"
DMN_DRAFT = "dmn"
FORM_DRAFT = "form"
DRAFT_KINDS = (BPMN_DRAFT, DMN_DRAFT, FORM_DRAFT)
RUNNING = ("active", "suspended")
MAX_DRAFT_CHARS = 5 * 1024 * 1024
_ENGLISH = gettext.NullTranslations()


class ModelRefused(Exception):
    """A model that cannot be saved or deployed, with the problems that say why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(problem.message for problem in problems))


# --- the catalogue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    version: int
    deployed_by: str
    deployed_at: datetime
    content_hash: str
    file_name: str
    running: int


@dataclass(frozen=True)
class DraftInfo:
    id: int
    kind: str
    key: str
    saved_by: str
    saved_at: datetime
    based_on_version: int | None


@dataclass
class ProcessEntry:
    key: str
    name: str
    versions: list[VersionInfo] = field(default_factory=list)
    documentation: str = ""
    forms: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    drafts: list[DraftInfo] = field(default_factory=list)

    @property
    def latest(self) -> VersionInfo | None:
        return self.versions[0] if self.versions else None


def catalogue(session: Session, docs_dir: Path) -> list[ProcessEntry]:
    """Every deployed process with its versions (newest first), the running instances on each,
    its documentation page, the forms and decision tables its latest version uses, and the
    drafts saved for it (including drafts of processes not deployed yet)."""
    running = dict(session.execute(
        select(ProcessInstance.definition_id, func.count())
        .where(ProcessInstance.status.in_(RUNNING)).group_by(ProcessInstance.definition_id)).all())
    entries: dict[str, ProcessEntry] = {}
    definitions = session.scalars(select(ProcessDefinition).order_by(
        ProcessDefinition.process_key, ProcessDefinition.version.desc()))
    for definition in definitions:
        entry = entries.get(definition.process_key)
        if entry is None:
            entry = entries[definition.process_key] = ProcessEntry(definition.process_key,
                                                                   definition.name)
            source = definition.source_xml
            entry.forms = forms_used(source)
            entry.decisions = sorted(set(definition.dmn_sources or {}) | set(decisions_called(source)))
            entry.documentation = documentation(docs_dir, definition.process_key)
        entry.versions.append(VersionInfo(definition.version, definition.deployed_by,
                                          definition.deployed_at, definition.content_hash,
                                          definition.file_name, running.get(definition.id, 0)))
    for draft in drafts(session, BPMN_DRAFT):
        entry = entries.setdefault(draft.key, ProcessEntry(draft.key, draft.key))
        entry.drafts.append(draft)
    return sorted(entries.values(), key=lambda e: e.key)


def documentation(docs_dir: Path, process_key: str) -> str:
    """The process's page in docs/processes, as text ('' when it has none)."""
    if not process_key.replace("_", "").isalnum():
        return ""
    # A page is named after the key, or after the programme's process number (P1.md for p01_…).
    names = [f"{process_key}.md"]
    prefix = process_key.split("_", 1)[0]
    if len(prefix) == 3 and prefix[0] == "p" and prefix[1:].isdigit():
        names.append(f"P{int(prefix[1:])}.md")
    for name in names:
        try:
            return (docs_dir / name).read_text(encoding="utf-8")
        except OSError:
            continue
    return ""


def forms_used(source: str) -> list[str]:
    root = _root(source)
    return sorted({prop.get("value", "").strip() for prop in root.iterfind(
        ".//spiffworkflow:property[@name='formJsonSchemaFilename']", NS)
        if prop.get("value", "").strip()})


def decisions_called(source: str) -> list[str]:
    root = _root(source)
    return sorted({(called.text or "").strip() for called in root.iterfind(
        ".//spiffworkflow:calledDecisionId", NS) if (called.text or "").strip()})


def _root(source: str) -> Any:
    try:
        return read_xml(source, "model")
    except DeploymentError:
        return etree.Element("empty")


# --- what the properties panel offers ------------------------------------------------------------


def form_names(forms_dir: Path) -> list[str]:
    """The forms a user task may name: every JSON Schema file in ``forms/``."""
    return sorted(path.name for path in forms_dir.glob("*.json") if path.is_file())


def form_choices(forms_dir: Path, lang: str) -> list[dict[str, str]]:
    """The forms with their titles, for the modeler's select."""
    choices = []
    for name in form_names(forms_dir):
        try:
            schema = load_schema(forms_dir, name)
        except FormNotFound:
            continue
        title = schema.get("x-title-en") if lang == "en" else schema.get("title")
        choices.append({"name": name, "title": str(title or schema.get("title") or name)})
    return choices


def operation_choices() -> list[dict[str, str]]:
    """The operations service tasks may name, from the adapters' registry."""
    choices = []
    for name in registry.names():
        doc = (registry.lookup(name).__doc__ or "").strip().splitlines()
        choices.append({"name": name, "description": doc[0] if doc else ""})
    return choices


# --- versions and drafts -------------------------------------------------------------------------


def definition(session: Session, process_key: str, version: int | None = None) -> ProcessDefinition | None:
    """A deployed version of a process (the latest when ``version`` is None)."""
    query = select(ProcessDefinition).where(ProcessDefinition.process_key == process_key)
    if version is not None:
        query = query.where(ProcessDefinition.version == version)
    return session.scalars(query.order_by(ProcessDefinition.version.desc())).first()


def drafts(session: Session, kind: str | None = None, key: str | None = None) -> list[DraftInfo]:
    query = select(ProcessDraft).order_by(ProcessDraft.process_key, ProcessDraft.saved_at.desc())
    if kind is not None:
        query = query.where(ProcessDraft.kind == kind)
    if key is not None:
        query = query.where(ProcessDraft.process_key == key)
    return [DraftInfo(d.id, d.kind, d.process_key, d.saved_by, d.saved_at, d.based_on_version)
            for d in session.scalars(query)]


def load_draft(session: Session, kind: str, key: str, saved_by: str) -> ProcessDraft | None:
    return session.scalars(select(ProcessDraft).where(
        ProcessDraft.kind == kind, ProcessDraft.process_key == key,
        ProcessDraft.saved_by == saved_by)).first()


def save_draft(session: Session, kind: str, key: str, source: str, saved_by: str,
               based_on_version: int | None = None) -> ProcessDraft:
    """Keep ``source`` as the person's draft of ``key`` (replacing their earlier one)."""
    if kind not in DRAFT_KINDS:
        raise ValueError(f"unknown draft kind {kind!r}")
    if len(source) > MAX_DRAFT_CHARS:
        raise ValueError("the draft is too large")
    draft = load_draft(session, kind, key, saved_by)
    if draft is None:
        draft = ProcessDraft(kind=kind, process_key=key, saved_by=saved_by, source=source)
        session.add(draft)
    draft.source = source
    draft.saved_at = utcnow()
    draft.based_on_version = based_on_version
    session.flush()
    return draft


def draft_by_id(session: Session, draft_id: int) -> ProcessDraft | None:
    return session.get(ProcessDraft, draft_id)


def process_key_of(source: str, translations: gettext.NullTranslations = _ENGLISH) -> str:
    """The key a BPMN model deploys under: its executable process's id (or its only process's)."""
    try:
        root = read_xml(source, "model")
    except DeploymentError as err:
        raise ModelRefused([Problem("", translations.gettext("The file cannot be read: %(reason)s")
                                    % {"reason": err.reason}, source="engine")]) from None
    if etree.QName(root) != etree.QName(BPMN, "definitions"):
        raise ModelRefused([Problem("", translations.gettext(
            "The file is not a BPMN 2.0 model: its root element is %(element)s, not definitions "
            "in the namespace %(namespace)s.") % {"element": etree.QName(root).text,
                                                   "namespace": BPMN}, source="engine")])
    processes = root.findall("bpmn:process", NS)
    executable = [p for p in processes if p.get("isExecutable") == "true"] or processes
    if not executable or not executable[0].get("id"):
        raise ModelRefused([Problem("", translations.gettext("The model has no process."), source="engine")])
    return str(executable[0].get("id"))


def dmn_key_of(source: str, translations: gettext.NullTranslations = _ENGLISH) -> str:
    """The file name a decision table is kept under: its definitions' id plus '.dmn'."""
    try:
        root = read_xml(source, "decisions.dmn")
    except DeploymentError as err:
        raise ModelRefused([Problem("", translations.gettext("The file cannot be read: "
                                                             "%(reason)s") % {"reason": err.reason},
                                    source="engine")]) from None
    if etree.QName(root).localname != "definitions" or not root.get("id") \
            or etree.QName(root).namespace not in DMN_NAMESPACES:
        raise ModelRefused([Problem("", translations.gettext(
            "The file is not a DMN model (definitions with an id)."))])
    return f"{root.get('id')}.dmn"


# --- decision tables -----------------------------------------------------------------------------


def dmn_sources_for(session: Session, source: str, processes_dir: Path,
                    based_on: ProcessDefinition | None, saved_by: str) -> dict[str, str]:
    """The decision tables a model calls: the person's DMN drafts first, then those of the
    version it is based on, then the files in ``processes/``; a table is included when one of
    its decision ids appears in the model (the rule ``dicase deploy`` uses)."""
    candidates: dict[str, str] = {}
    for path in sorted(processes_dir.glob("*.dmn")):
        candidates[path.name] = path.read_text(encoding="utf-8")
    if based_on is not None:
        candidates.update(based_on.dmn_sources or {})
    for draft in session.scalars(select(ProcessDraft).where(ProcessDraft.kind == DMN_DRAFT,
                                                            ProcessDraft.saved_by == saved_by)):
        candidates[draft.process_key] = draft.source
    return {name: text for name, text in candidates.items()
            if any(decision_id in source for decision_id in _decision_ids(text))}


def _decision_ids(text: str) -> list[str]:
    root = _root(text)
    return [str(el.get("id")) for el in root.iter() if isinstance(el.tag, str)
            and etree.QName(el).localname == "decision" and el.get("id")]


def dmn_file(session: Session, name: str, processes_dir: Path) -> str | None:
    """A decision table by file name: from the newest version that carries it, else processes/."""
    for definition_row in session.scalars(select(ProcessDefinition).order_by(
            ProcessDefinition.deployed_at.desc(), ProcessDefinition.id.desc())):
        if name in (definition_row.dmn_sources or {}):
            return str(definition_row.dmn_sources[name])
    path = processes_dir / name
    if name.endswith(".dmn") and "/" not in name and path.is_file():
        return path.read_text(encoding="utf-8")
    return None


# --- validate and deploy -------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    process_key: str
    file_name: str
    dmn_sources: dict[str, str]
    problems: list[Problem]


def check_model(session: Session, source: str, *, forms_dir: Path, processes_dir: Path,
                saved_by: str, translations: gettext.NullTranslations = _ENGLISH) -> Checked:
    """Everything the modeler's Validate reports for ``source``."""
    try:
        key = process_key_of(source, translations)
    except ModelRefused as err:
        return Checked("", "", {}, err.problems)
    latest = definition(session, key)
    file_name = latest.file_name if latest is not None else f"{key}.bpmn"
    dmn_sources = dmn_sources_for(session, source, processes_dir, latest, saved_by)
    problems = validate_process(source, file_name, forms_dir=forms_dir,
                                operations=registry.names(), dmn_sources=dmn_sources,
                                translations=translations)
    return Checked(key, file_name, dmn_sources, problems)


def deploy_model(session: Session, source: str, deployed_by: str, *, forms_dir: Path,
                 processes_dir: Path,
                 translations: gettext.NullTranslations = _ENGLISH) -> tuple[Deployed, list[Problem]]:
    """Validate ``source`` and store it as the next version of its process; the person's draft
    of it is then gone. Raises ModelRefused with the problems when it has errors. Returns the
    deployment and the warnings."""
    checked = check_model(session, source, forms_dir=forms_dir, processes_dir=processes_dir,
                          saved_by=deployed_by, translations=translations)
    if has_errors(checked.problems):
        raise ModelRefused(checked.problems)
    try:
        deployed = deploy_source(session, checked.file_name, source, deployed_by,
                                 checked.dmn_sources)
    except DeploymentError as err:
        raise ModelRefused([Problem(err.element_id, err.reason, source="engine")]) from None
    session.execute(delete(ProcessDraft).where(ProcessDraft.kind == BPMN_DRAFT,
                                               ProcessDraft.process_key == deployed.process_key,
                                               ProcessDraft.saved_by == deployed_by))
    return deployed, checked.problems


# --- forms ---------------------------------------------------------------------------------------


def read_form_schema(text: str) -> Schema:
    """A form schema typed into the form editor, checked by the same rules as the files in
    ``forms/`` (``load_schema``); raises FormNotFound with the reason."""
    try:
        json.loads(text)
    except ValueError as err:
        raise FormNotFound("draft.json", f"not valid JSON ({err})") from None
    with tempfile.TemporaryDirectory(prefix="dicase-form-") as directory:
        path = Path(directory) / "draft.json"
        path.write_text(text, encoding="utf-8")
        return load_schema(Path(directory), path.name)


def form_source(forms_dir: Path, name: str) -> str | None:
    """The text of a form file in ``forms/`` (None when there is no such form)."""
    if name not in form_names(forms_dir):
        return None
    return (forms_dir / name).read_text(encoding="utf-8")


def new_process_xml(process_key: str, name: str) -> str:
    """A model to start from: one start event, in the spiffworkflow namespace, executable."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        f'id="{process_key}_definitions" targetNamespace="urn:lv:dicase:processes">\n'
        f'  <bpmn:process id="{process_key}" name="{_attr(name)}" isExecutable="true">\n'
        '    <bpmn:startEvent id="start" />\n'
        '  </bpmn:process>\n'
        f'  <bpmndi:BPMNDiagram id="{process_key}_diagram">\n'
        f'    <bpmndi:BPMNPlane id="{process_key}_plane" bpmnElement="{process_key}">\n'
        '      <bpmndi:BPMNShape id="start_di" bpmnElement="start">'
        '<dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>\n'
        '    </bpmndi:BPMNPlane>\n'
        '  </bpmndi:BPMNDiagram>\n'
        '</bpmn:definitions>\n')


def new_dmn_xml(definitions_id: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
        'xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" '
        'xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" '
        f'id="{definitions_id}" name="{definitions_id}" namespace="urn:lv:dicase:decisions">\n'
        f'  <decision id="{definitions_id}_decision" name="Decision">\n'
        '    <decisionTable id="table" hitPolicy="FIRST">\n'
        '      <input id="input_1" label="Input"><inputExpression id="input_expression_1" '
        'typeRef="string"><text>value</text></inputExpression></input>\n'
        '      <output id="output_1" label="Output" name="result" typeRef="string" />\n'
        '    </decisionTable>\n'
        '  </decision>\n'
        '  <dmndi:DMNDI><dmndi:DMNDiagram id="diagram">\n'
        f'    <dmndi:DMNShape id="shape" dmnElementRef="{definitions_id}_decision">'
        '<dc:Bounds height="80" width="180" x="160" y="100" /></dmndi:DMNShape>\n'
        '  </dmndi:DMNDiagram></dmndi:DMNDI>\n'
        '</definitions>\n')


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def is_key(text: str) -> bool:
    """A process key, DMN or form file name the modeler accepts in a URL or a new model."""
    stem = text.removesuffix(".json").removesuffix(".dmn")
    return bool(stem) and len(text) <= 200 and stem.replace("_", "").replace("-", "").isalnum() \
        and stem[0].isalpha()


def names_in(items: Iterable[dict[str, str]]) -> list[str]:
    return [item["name"] for item in items]
