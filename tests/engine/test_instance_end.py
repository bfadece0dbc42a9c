"""The step that ends an instance writes what it finished before closing what is left open:
on PostgreSQL a step's writes go as one statement in one snapshot, where two writes to the same
row would not both happen."""
from __future__ import annotations

from sqlalchemy import select

from app.db import transaction
from app.db.models import HumanTask, ProcessInstance
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.services import Services

KEY = "p03_last_step"
SOURCE = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="last_step_definitions" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="{KEY}" name="Last step" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="only" name="Only task">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidateGroups" value="social_service" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="only" />
    <bpmn:sequenceFlow id="f2" sourceRef="only" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_completing_the_last_task_marks_it_completed_not_cancelled(services: Services) -> None:
    with transaction(services.sessions) as session:
        deploy_source(session, "last_step.bpmn", SOURCE, "test")
    instance_id = services.engine.start(KEY, {}, actor=Actor("t"))
    with services.sessions() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id)).one()
    services.engine.complete_task(task_id, Actor("anna", frozenset({"social_service"})), {})
    with services.sessions() as session:
        task = session.get(HumanTask, task_id)
        instance = session.get(ProcessInstance, instance_id)
        assert task is not None and instance is not None
        assert (task.status, task.completed_by) == ("completed", "anna")
        assert instance.status == "completed"
