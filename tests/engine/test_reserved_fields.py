"""A field named ``typename`` in data from outside (start data, a form, a message, a service's
answer) is refused before it reaches a workflow: SpiffWorkflow's stored form would read it back
as a typed object and the instance could never be loaded again."""
from __future__ import annotations

from typing import Any

import pytest

from adapters.registry import CallContext, operation
from app.db import transaction
from app.db.models import ProcessInstance
from app.engine.deploy import deploy_source
from app.engine.errors import ReservedFieldName
from app.engine.runtime import Actor
from app.services import Services
from workers.jobs import run_due_jobs

from .helpers import deploy_fixture, instance, jobs, open_tasks

TESTER = Actor("x", frozenset({"testers"}))
RESERVED = {"child": {"siblings": [{"name": "A", "typename": "Task"}]}}


def test_start_data_with_the_reserved_name_is_refused(services: Services) -> None:
    deploy_fixture(services, "wait_then_share.bpmn")
    with pytest.raises(ReservedFieldName) as refused:
        services.engine.start("wait_then_share", {"due": "2030-01-01T00:00:00+00:00", **RESERVED},
                              business_key="R-1", actor=Actor("t"))
    assert refused.value.http_status == 422 and "typename" in str(refused.value)
    with services.sessions() as session:
        assert session.query(ProcessInstance).count() == 0


def test_a_form_with_the_reserved_name_is_refused_and_the_task_stays_open(
        services: Services) -> None:
    deploy_fixture(services, "wait_then_call.bpmn")
    iid = services.engine.start("wait_then_call", {"wait_for": "PT1H", "court": "RIGA",
                                                   "case_number": "R-2", "divisor": 1,
                                                   "review_due": "2030-01-31"},
                                business_key="R-2", actor=Actor("t"))
    [review] = open_tasks(services, iid)
    with pytest.raises(ReservedFieldName):
        services.engine.complete_task(review.id, TESTER, RESERVED)
    assert [t.id for t in open_tasks(services, iid)] == [review.id]
    services.engine.complete_task(review.id, TESTER, {"child": {"siblings": [{"name": "A"}]}})
    assert open_tasks(services, iid) == []  # the instance still loads and runs on


def test_a_message_with_the_reserved_name_is_refused(services: Services) -> None:
    deploy_fixture(services, "await_message.bpmn")
    iid = services.engine.start("await_message", {}, business_key="R-3", actor=Actor("t"))
    before = instance(services, iid).state
    with pytest.raises(ReservedFieldName):
        services.engine.correlate("orphan_court_decision", RESERVED, business_key="R-3",
                                  actor=Actor("npais"))
    assert instance(services, iid).state == before


@operation("tests.answer_with_reserved_name")
def _answer_with_reserved_name(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    return {"decision": {"typename": "placed"}}


ASKS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="d" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="asks_a_service" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="ask" name="Ask">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="tests.answer_with_reserved_name"
                                           resultVariable="answer" />
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask" />
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_service_answer_with_the_reserved_name_becomes_an_incident(services: Services) -> None:
    with transaction(services.sessions) as session:
        deploy_source(session, "asks_a_service.bpmn", ASKS, "test")
    iid = services.engine.start("asks_a_service", {}, business_key="R-4", actor=Actor("t"))
    before = instance(services, iid).state
    run_due_jobs(services, "w1")
    [job] = jobs(services, iid)
    # Not retried: the same answer would come back. An operator sees why.
    assert job.status == "incident" and "typename" in (job.last_error or "")
    assert instance(services, iid).state == before and instance(services, iid).status == "active"
