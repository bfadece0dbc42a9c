"""Fixtures of the outbox tests: the web tests' app and accounts, with settings that retry at
once (backoff 0), ask NPAIS for acknowledgements at once, and write e-mail to a test folder;
a probe process whose service task calls ``outbox.send`` with the data it was started with."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from app.config import Settings
from app.db import transaction
from app.db.models import Event, Job, OutboxMessage
from app.engine.deploy import deploy_source
from app.services import Services
from tests.conftest import make_settings
from tests.web import conftest as web_fixtures
from tests.web.conftest import start_for_child
from workers.jobs import run_due_jobs

# The web tests' app, services and accounts, built on this module's ``web_settings``.
app = web_fixtures.app
make_user = web_fixtures.make_user
web_services = web_fixtures.web_services

PROBE = "p09_outbox_probe"
PROBE_BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="outbox_probe" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="{PROBE}" name="Paziņojumu pārbaude" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="notify" name="Paziņot iestādēm">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="outbox.send" resultVariable="notified">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="recipients" type="any" value="recipients" />
            <spiffworkflow:parameter id="topic" type="str" value="topic" />
            <spiffworkflow:parameter id="subject" type="str" value="subject" />
            <spiffworkflow:parameter id="text" type="str" value="text" />
            <spiffworkflow:parameter id="due_date" type="str" value="due_date" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="follow_up" name="Sekot paziņojumiem">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidateGroups" value="institution" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="notify" />
    <bpmn:sequenceFlow id="f2" sourceRef="notify" targetRef="follow_up" />
    <bpmn:sequenceFlow id="f3" sourceRef="follow_up" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

MESSAGE: dict[str, Any] = {
    "topic": "CHILD_SEPARATED",
    "subject": "Bērns šķirts no ģimenes",
    "text": "Lietā pieņemts lēmums par bērna šķiršanu no ģimenes. Lūdzam sagatavot ārpusģimenes "
            "aprūpes plānu.",
    "due_date": "2026-12-15",
}


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Overridden by a test module (e.g. SMTP settings) before ``web_settings`` is built."""
    return {}


@pytest.fixture
def web_settings(database_url: str, simulators: dict[str, Any], mail_dir: Path,
                 settings_overrides: dict[str, Any]) -> Settings:
    from adapters.simulators import adapter_settings

    values: dict[str, Any] = {
        "secret_key": "outbox-tests-secret", "mail_dir": mail_dir, "mail_transport": "file",
        "outbox_backoff_seconds": 0.0, "outbox_ack_poll_seconds": 0.0,
        "outbox_max_attempts": 3, **adapter_settings(simulators)}
    values.update(settings_overrides)
    return make_settings(database_url, **values)


@pytest.fixture
def start_probe(web_services: Services) -> Callable[..., int]:
    """Starts the probe process about a child of VSAC «Rīga» (municipality RIGA, orphan court
    RIGA-BT) and runs its ``outbox.send`` job; returns the instance id."""
    with transaction(web_services.sessions) as session:
        deploy_source(session, f"{PROBE}.bpmn", PROBE_BPMN, "test")

    def start(recipients: list[Any], case_number: str = "P9-2026-0101", run_job: bool = True,
              **message: Any) -> int:
        data = {**MESSAGE, **message, "recipients": recipients}
        instance_id = start_for_child(web_services, PROBE, data, case_number)
        if run_job:
            assert run_due_jobs(web_services, "jobs-1") == 1
        return instance_id

    return start


def rows(services: Services, instance_id: int | None = None) -> list[OutboxMessage]:
    with services.sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if instance_id is not None:
            query = query.where(OutboxMessage.instance_id == instance_id)
        return list(session.scalars(query))


def events(services: Services, instance_id: int, prefix: str = "outbox_") -> list[Event]:
    with services.sessions() as session:
        return [e for e in session.scalars(select(Event).where(
            Event.instance_id == instance_id).order_by(Event.seq)) if e.kind.startswith(prefix)]


def job_of(services: Services, instance_id: int) -> Job:
    with services.sessions() as session:
        return session.scalars(select(Job).where(Job.instance_id == instance_id)).one()


def npais_control(simulators: dict[str, Any], action: str, body: dict[str, Any] | None = None,
                  method: str = "post") -> Any:
    url = f"{simulators['npais'].url}/_control/{action}"
    response = (requests.post(url, json=body or {}, timeout=5) if method == "post"
                else requests.get(url, timeout=5))
    response.raise_for_status()
    return response.json()
