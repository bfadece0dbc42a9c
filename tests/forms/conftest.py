"""Fixtures of the form tests: the real web app (the web tests' fixtures) with a forms directory
that also holds ``every_construct.json``, a test form using every construct forms may use, and
a two-step process whose first step fills it in."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.config import PROJECT_ROOT, Settings
from app.db import transaction
from app.db.models import Event
from app.engine.deploy import deploy_source
from app.services import Services
from tests.web.conftest import (
    anna,
    app,
    make_user,
    open_tasks,
    sign_in,
    start_for_child,
    web_services,
)

__all__ = ["anna", "app", "make_user", "sign_in", "web_services"]

HERE = Path(__file__).resolve().parent
TEST_FORM = "every_construct.json"

# A complete, valid submission of the test form, as a browser posts it.
VALID: dict[str, Any] = {
    "assessment_date": "07.03.2026",
    "summary": "Saskarsme ar ģimeni ir regulāra.\nOtrā rindā <b>treknrakstā</b>.",
    "living_arrangement": "group_home", "mobility": "aided", "care_level": "3",
    "support_hours": "20", "distance_km": "2,5",
    "monthly_allowance": "1 234,5", "service_cost": "99,99",
    "services": ["day_care", "personal_assistant"],
    "address.city": "Rīga", "address.street": "Brīvības iela 1",
    "has_guardian": "true", "guardian.name": "Anna Bērziņa", "guardian.appointed_on": "2025-12-01",
    "household": ["0", "1"],
    "household.0.given_name": "Jānis", "household.0.relation": "parent",
    "household.0.works": "true", "household.0.employer": "SIA Koks", "household.0.income": "850",
    "household.1.given_name": "Līga", "household.1.relation": "sibling",
    "household.1.birth_date": "02.04.2010",
    "referral_to": "ngo", "referral_reason": "Nepieciešams atbalsts darbā.",
}

# The data the engine receives for VALID: typed, money never as float.
VALID_DATA: dict[str, Any] = {
    "assessment_date": "2026-03-07",
    "summary": "Saskarsme ar ģimeni ir regulāra.\nOtrā rindā <b>treknrakstā</b>.",
    "living_arrangement": "group_home", "plan_to_move": False, "mobility": "aided",
    "care_level": 3, "support_hours": 20, "distance_km": 2.5,
    "monthly_allowance": "1234.50", "service_cost": 9999,
    "services": ["day_care", "personal_assistant"],
    "address": {"city": "Rīga", "street": "Brīvības iela 1"},
    "has_guardian": True, "guardian": {"name": "Anna Bērziņa", "appointed_on": "2025-12-01"},
    "household": [
        {"given_name": "Jānis", "relation": "parent", "works": True, "employer": "SIA Koks",
         "income": "850.00"},
        {"given_name": "Līga", "relation": "sibling", "birth_date": "2010-04-02", "works": False},
    ],
    "referral_to": "ngo", "referral_reason": "Nepieciešams atbalsts darbā.",
}


@pytest.fixture
def web_settings(database_url: str, tmp_path: Path) -> Settings:
    forms_dir = tmp_path / "forms"
    forms_dir.mkdir()
    for path in [*(PROJECT_ROOT / "forms").glob("*.json"), HERE / TEST_FORM]:
        shutil.copy(path, forms_dir / path.name)
    return Settings(database_url=database_url, forms_dir=forms_dir,
                    processes_dir=PROJECT_ROOT / "processes", secret_key="web-tests-secret",
                    start_simulators=False, in_process_workers=False)


@pytest.fixture
def start_plan(web_services: Services) -> Callable[..., int]:
    """Starts the test process for a new child; returns its first task's id (the test form)."""
    deployed: list[bool] = []

    def start(case_number: str = "T-PLAN-1") -> int:
        if not deployed:
            with transaction(web_services.sessions) as session:
                deploy_source(session, "forms_plan.bpmn", _PLAN_PROCESS, "test")
            deployed.append(True)
        instance_id = start_for_child(web_services, "forms_plan", {}, case_number)
        (task,) = open_tasks(web_services, instance_id)
        return task.id

    return start


@pytest.fixture
def plan_task(start_plan: Callable[..., int]) -> int:
    return start_plan()


def submitted_data(services: Services, task_id: int) -> dict[str, Any]:
    """What the engine received when the task was completed (its task_completed event)."""
    with services.sessions() as session:
        for detail in session.scalars(select(Event.detail).where(Event.kind == "task_completed")):
            if detail.get("task_id") == task_id:
                return dict(detail["data"])
    raise AssertionError(f"task {task_id} was not completed")


def second_task(services: Services, first_task_id: int) -> int:
    from tests.web.conftest import task_row

    (task,) = open_tasks(services, task_row(services, first_task_id).instance_id)
    return task.id


def page_of(client: FlaskClient, task_id: int, lang: str | None = None) -> str:
    return client.get(f"/tasks/{task_id}" + (f"?lang={lang}" if lang else "")).text


_PLAN_PROCESS = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="forms_plan_definitions" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="forms_plan" name="Veidlapu tests" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="plan" name="Sagatavot atbalsta plānu">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="{TEST_FORM}" />
          <spiffworkflow:property name="candidateGroups" value="institution" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="review" name="Pārskatīt plānu">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="candidateGroups" value="institution" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="plan" />
    <bpmn:sequenceFlow id="f2" sourceRef="plan" targetRef="review" />
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
