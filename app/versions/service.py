"""The process owners' version tools, as functions of a session and plain values: which source a
unit-test run uses (the person's draft, else the latest version) and its results."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from app.engine import unit_tests
from app.engine.errors import DeploymentError
from app.modeler import service as modeler


@dataclass
class TestRun:
    process_key: str
    tested: str  # "draft" or "version N"
    results: list[unit_tests.CaseResult]
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and all(r.passed for r in self.results)


def run_unit_tests(session: Session, process_key: str, tests_dir: Path, processes_dir: Path,
                   username: str) -> TestRun:
    """The process's cases against the person's draft of it, if they have one, else against its
    latest deployed version. Nothing is written."""
    draft = modeler.load_draft(session, modeler.BPMN_DRAFT, process_key, username)
    latest = modeler.definition(session, process_key)
    if draft is not None:
        source, tested = draft.source, "draft"
        dmn = modeler.dmn_sources_for(session, source, processes_dir, latest, username)
    elif latest is not None:
        source, tested, dmn = latest.source_xml, f"version {latest.version}", latest.dmn_sources
    else:
        return TestRun(process_key, "", [], "the process has neither a draft nor a version")
    files = unit_tests.case_files(tests_dir, process_key)
    try:
        results = unit_tests.run_source(source, f"{process_key}.bpmn", dmn or {}, files)
    except DeploymentError as err:
        return TestRun(process_key, tested, [], str(err))
    return TestRun(process_key, tested, results)
