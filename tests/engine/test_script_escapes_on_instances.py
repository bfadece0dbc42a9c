"""Escapes written into a process model end as a clear incident on the instance; nothing runs."""
from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from app.db import transaction
from app.db.models import Incident
from app.engine.deploy import deploy_source
from app.engine.errors import DeploymentError, ScriptFailed
from app.engine.runtime import Actor
from app.services import Services

from .helpers import event_kinds, instance, open_tasks

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="d" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="escape_attempt" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="prepare" name="Prepare">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidateGroups" value="testers" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="attack" name="Attack">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare" />
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="attack" />
    <bpmn:sequenceFlow id="f3" sourceRef="attack" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

# Refused when the process owner deploys: the sandbox will not compile them.
REFUSED_AT_DEPLOYMENT = [
    "import os\nos.system('id')",
    "__import__('os').system('id')",
    "x = ().__class__.__bases__[0].__subclasses__()",
    "g = (i for i in [1])\nx = g.gi_frame.f_back.f_globals",
]

# Compile, but are stopped when they run.
ESCAPES = [
    "x = open('/etc/passwd').read()",
    "x = os.listdir('/')",
    "x = getattr(1, '__class__')",
    "while True:\n    pass",
    "x = 'a' * 10**10",
    "x = [0] * 10**9",
    "x = 10 ** 10 ** 10",
]


@pytest.mark.parametrize("script", REFUSED_AT_DEPLOYMENT)
def test_an_escaping_script_is_refused_at_deployment(services: Services, script: str) -> None:
    with pytest.raises(DeploymentError) as err, transaction(services.sessions) as session:
        deploy_source(session, "escape.bpmn", MODEL.format(script=escape(script)), "t")
    assert err.value.element_id == "attack" and "not allowed" in str(err.value)


@pytest.mark.parametrize("script", ESCAPES)
def test_an_escaping_script_task_is_refused_with_an_incident(services: Services, script: str) -> None:
    with transaction(services.sessions) as session:
        deploy_source(session, "escape.bpmn", MODEL.format(script=escape(script)), "t")
    iid = services.engine.start("escape_attempt", {}, business_key="E-1", actor=Actor("t"))
    [task] = open_tasks(services, iid)
    before = instance(services, iid).state
    with pytest.raises(ScriptFailed) as err:
        services.engine.complete_task(task.id, Actor("x", frozenset({"testers"})), {})
    assert err.value.element_id == "attack"
    assert "Traceback" not in str(err.value)
    assert instance(services, iid).state == before
    assert open_tasks(services, iid)[0].id == task.id
    with services.sessions() as session:
        [incident] = session.scalars(select(Incident).where(Incident.instance_id == iid)).all()
    assert incident.element_id == "attack" and incident.kind == "script"
    assert "incident_opened" in event_kinds(services, iid)
