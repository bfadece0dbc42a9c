"""Deployment: BPMN/DMN files become numbered process definition versions.

The same content deployed twice is one version; a file that does not parse is refused with the
file, element and reason, and nothing of it is stored.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.audit.chain import append_system_event
from app.db import transaction
from app.db.models import ProcessDefinition

from .errors import DeploymentError
from .parsing import MAX_SOURCE_BYTES, parse_process, read_xml


@dataclass(frozen=True)
class Deployed:
    file_name: str
    process_key: str
    version: int
    created: bool


@dataclass(frozen=True)
class DirectoryDeployment:
    deployed: list[Deployed]
    errors: list[DeploymentError]


def content_hash(source: str, dmn_sources: dict[str, str]) -> str:
    digest = hashlib.sha256(source.encode("utf-8"))
    for name in sorted(dmn_sources):
        digest.update(b"\0" + name.encode("utf-8") + b"\0" + dmn_sources[name].encode("utf-8"))
    return digest.hexdigest()


def deploy_source(session: Session, file_name: str, source: str, deployed_by: str,
                  dmn_sources: dict[str, str] | None = None) -> Deployed:
    """Store ``source`` as the next version of its process, unless that content is deployed."""
    dmn_sources = dmn_sources or {}
    parsed = parse_process(source, file_name, dmn_sources)
    digest = content_hash(source, dmn_sources)
    existing = session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.process_key == parsed.process_key,
        ProcessDefinition.content_hash == digest)).first()
    if existing is not None:
        return Deployed(file_name, parsed.process_key, existing.version, created=False)
    latest = session.scalar(select(func.max(ProcessDefinition.version))
                            .where(ProcessDefinition.process_key == parsed.process_key)) or 0
    definition = ProcessDefinition(
        process_key=parsed.process_key, version=latest + 1, name=parsed.name, file_name=file_name,
        content_hash=digest, source_xml=source, dmn_sources=dmn_sources, deployed_by=deployed_by)
    session.add(definition)
    session.flush()
    append_system_event(session, "process_deployed", deployed_by,
                        {"process_key": parsed.process_key, "version": definition.version,
                         "file_name": file_name, "content_hash": digest})
    return Deployed(file_name, parsed.process_key, definition.version, created=True)


def deploy_directory(sessions: sessionmaker[Session], directory: Path,
                     deployed_by: str) -> DirectoryDeployment:
    """Deploy every BPMN file in ``directory``, each in its own transaction."""
    errors: list[DeploymentError] = []
    decisions: dict[str, tuple[str, str]] = {}
    for dmn_path in sorted(directory.glob("*.dmn")):
        try:
            text = read_model_file(dmn_path)
            for decision_id in _decision_ids(text, dmn_path.name):
                decisions[decision_id] = (dmn_path.name, text)
        except DeploymentError as err:
            errors.append(err)
    deployed: list[Deployed] = []
    for bpmn_path in sorted(directory.glob("*.bpmn")):
        try:
            source = read_model_file(bpmn_path)
            called = {name: text for decision_id, (name, text) in decisions.items()
                      if decision_id in source}
            with transaction(sessions) as session:
                deployed.append(deploy_source(session, bpmn_path.name, source, deployed_by, called))
        except DeploymentError as err:
            errors.append(err)
    return DirectoryDeployment(deployed, errors)


def read_model_file(path: Path) -> str:
    """A model file's text; one too large is refused before it is read, one that is not UTF-8
    is refused rather than stopping the whole deployment."""
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise DeploymentError(path.name, f"the file is larger than {MAX_SOURCE_BYTES // 1024 // 1024} MB")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise DeploymentError(path.name, f"the file is not UTF-8 text (byte {err.start})") from None


def _decision_ids(text: str, file_name: str) -> list[str]:
    root = read_xml(text, file_name)
    ids = [el.get("id") for el in root.iter() if isinstance(el.tag, str)
           and etree.QName(el).localname == "decision" and el.get("id")]
    if not ids:
        raise DeploymentError(file_name, "the file defines no decision")
    return ids
