from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.config import PROJECT_ROOT
from app.db import transaction
from app.db.models import ProcessDefinition
from app.engine.deploy import deploy_directory, deploy_source
from app.engine.errors import DeploymentError
from app.engine.runtime import Actor
from app.services import Services

from .helpers import P9, deploy_processes, instance, p9_start_data

P9_FILE = PROJECT_ROOT / "processes" / "p09_out_of_family_care.bpmn"
MIWG = PROJECT_ROOT / "tests" / "conformance" / "bpmn-miwg-reference"


def _versions(services: Services, key: str) -> list[int]:
    with services.sessions() as session:
        return list(session.scalars(select(ProcessDefinition.version)
                                    .where(ProcessDefinition.process_key == key)
                                    .order_by(ProcessDefinition.version)))


def test_same_content_deployed_twice_is_one_version(services: Services) -> None:
    deploy_processes(services)
    deploy_processes(services)
    assert _versions(services, P9) == [1]


def test_changed_content_is_a_new_version_and_running_instances_keep_theirs(services: Services) -> None:
    deploy_processes(services)
    first = services.engine.start(P9, p9_start_data(), business_key="A", actor=Actor("t"))
    changed = P9_FILE.read_text(encoding="utf-8").replace("Reģistrēt ievietošanu",
                                                          "Reģistrēt bērna ievietošanu")
    with transaction(services.sessions) as session:
        outcome = deploy_source(session, P9_FILE.name, changed, "process-owner")
    assert outcome.created and outcome.version == 2
    second = services.engine.start(P9, p9_start_data(), business_key="B", actor=Actor("t"))
    with services.sessions() as session:
        v1 = session.get(ProcessDefinition, instance(services, first).definition_id)
        v2 = session.get(ProcessDefinition, instance(services, second).definition_id)
        assert (v1.version, v2.version) == (1, 2)
        assert v2.deployed_by == "process-owner" and len(v2.content_hash) == 64


@pytest.mark.parametrize("source, expected", [
    ("<bpmn:definitions", "not well-formed XML"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
     "entities are not allowed"),
])
def test_unreadable_files_are_refused_with_the_file_named(services: Services, source: str,
                                                          expected: str) -> None:
    with pytest.raises(DeploymentError) as err, transaction(services.sessions) as session:
        deploy_source(session, "broken.bpmn", source, "t")
    assert "broken.bpmn" in str(err.value) and expected in str(err.value)


def test_a_flow_to_a_missing_element_is_refused_naming_the_element(services: Services) -> None:
    source = P9_FILE.read_text(encoding="utf-8").replace(
        'targetRef="record_report" />', 'targetRef="no_such_task" />')
    with pytest.raises(DeploymentError) as err, transaction(services.sessions) as session:
        deploy_source(session, "p09_broken.bpmn", source, "t")
    assert err.value.file_name == "p09_broken.bpmn"
    # SpiffWorkflow reports the element whose outgoing flow is broken, and names the missing target.
    assert err.value.element_id == "submit_periodic_report"
    assert "no_such_task" in str(err.value)
    assert _versions(services, P9) == []


def test_a_file_without_an_executable_process_is_refused(services: Services) -> None:
    source = P9_FILE.read_text(encoding="utf-8").replace('isExecutable="true"', 'isExecutable="false"')
    with pytest.raises(DeploymentError, match="isExecutable"), transaction(services.sessions) as s:
        deploy_source(s, "p09.bpmn", source, "t")


def test_directory_deploy_keeps_good_files_and_reports_bad_ones(services: Services,
                                                                 tmp_path: Path) -> None:
    (tmp_path / "good.bpmn").write_text(P9_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bad.bpmn").write_text("<not-bpmn/>", encoding="utf-8")
    outcome = deploy_directory(services.sessions, tmp_path, "t")
    assert [d.process_key for d in outcome.deployed] == [P9]
    assert len(outcome.errors) == 1 and outcome.errors[0].file_name == "bad.bpmn"


def test_cli_refuses_a_bad_file_without_a_stack_trace(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "bad.bpmn").write_text("<bpmn:definitions", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "deploy", "--dir", str(tmp_path)],
        check=False, capture_output=True, text=True, env={"DICASE_DATABASE_URL": database_url, "PATH": "/usr/bin"},
        cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 1
    assert "REFUSED bad.bpmn" in result.stderr and "Traceback" not in result.stderr


def test_every_miwg_reference_model_deploys_or_is_refused_clearly(services: Services) -> None:
    outcomes = {}
    for path in sorted(MIWG.glob("*.bpmn")):
        try:
            with transaction(services.sessions) as session:
                outcomes[path.name] = deploy_source(session, path.name,
                                                    path.read_text(encoding="utf-8"), "t").process_key
        except DeploymentError as err:
            assert path.name in str(err) and err.reason
            outcomes[path.name] = f"refused: {err.reason}"
    assert len(outcomes) >= 20


def test_a_script_the_sandbox_refuses_is_refused_at_deployment(services: Services) -> None:
    source = P9_FILE.read_text(encoding="utf-8").replace(
        "reports_submitted = 0", "reports_submitted = ().__class__")
    with pytest.raises(DeploymentError) as err, transaction(services.sessions) as session:
        deploy_source(session, "p09.bpmn", source, "t")
    assert err.value.element_id == "start_reporting" and "__class__" in str(err.value)


def test_a_condition_that_does_not_compile_is_refused_at_deployment(services: Services) -> None:
    source = P9_FILE.read_text(encoding="utf-8").replace(
        ">care_ended</bpmn:conditionExpression>", ">care_ended ==</bpmn:conditionExpression>")
    with pytest.raises(DeploymentError) as err, transaction(services.sessions) as session:
        deploy_source(session, "p09.bpmn", source, "t")
    assert err.value.element_id == "care_continues"
