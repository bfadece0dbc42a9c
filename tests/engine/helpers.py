"""Small helpers the engine tests share; they drive the product through its own services."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.db import transaction
from app.db.models import Event, HumanTask, Job, ProcessInstance, Timer
from app.engine.deploy import deploy_directory, deploy_source
from app.services import Services

FIXTURES = Path(__file__).parent / "fixtures"
P9 = "p09_out_of_family_care"


def deploy_fixture(services: Services, name: str) -> None:
    with transaction(services.sessions) as session:
        deploy_source(session, name, (FIXTURES / name).read_text(encoding="utf-8"), "test")


def deploy_processes(services: Services) -> None:
    outcome = deploy_directory(services.sessions, services.settings.processes_dir, "test")
    assert not outcome.errors, outcome.errors


def open_tasks(services: Services, instance_id: int) -> list[HumanTask]:
    with services.sessions() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open").order_by(HumanTask.id)))


def jobs(services: Services, instance_id: int) -> list[Job]:
    with services.sessions() as session:
        return list(session.scalars(select(Job).where(Job.instance_id == instance_id).order_by(Job.id)))


def timers(services: Services, instance_id: int) -> list[Timer]:
    with services.sessions() as session:
        return list(session.scalars(select(Timer).where(Timer.instance_id == instance_id)
                                    .order_by(Timer.id)))


def instance(services: Services, instance_id: int) -> ProcessInstance:
    with services.sessions() as session:
        found = session.get(ProcessInstance, instance_id)
        assert found is not None
        return found


def event_kinds(services: Services, instance_id: int) -> list[str]:
    with services.sessions() as session:
        return list(session.scalars(select(Event.kind).where(Event.instance_id == instance_id)
                                    .order_by(Event.seq)))


def p9_start_data(case_number: str = "P9-T-0001", **overrides: Any) -> dict[str, Any]:
    data = {"case_number": case_number, "child_birth_date": "2023-03-15",
            "placement_date": "2025-01-10", "orphan_court_code": "RIGA",
            "municipality_code": "RIGA"}
    data.update(overrides)
    return data


PLACEMENT_FORM = {"placement_date": "2025-01-10", "child_birth_date": "2023-03-15",
                  "institution_name": "VSAC «Rīga»", "orphan_court_code": "RIGA"}


def report_form(report_date: str, care_ended: bool) -> dict[str, Any]:
    text = "Regulāra saskarsme."
    return {"report_date": report_date, "contact_with_parents": text, "contact_with_siblings": text,
            "contact_with_others": text, "cooperation": text, "physical_development": text,
            "psychosocial_development": text, "care_ended": care_ended}


def one_task_process(key: str, *, groups: str, properties: dict[str, str] | None = None,
                     task_name: str = "Work") -> str:
    """BPMN of a process with one user task offered to ``groups`` between start and end;
    ``properties`` become further spiffworkflow properties of the task (dueDate, …)."""
    extra = "".join(f'\n        <spiffworkflow:property name="{name}" value="{value}" />'
                    for name, value in (properties or {}).items())
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="{key}_definitions" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="{key}" name="{key}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="work" name="{task_name}">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidateGroups" value="{groups}" />{extra}
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
