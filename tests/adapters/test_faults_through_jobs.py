"""Every adapter × every fault its simulator can inject, through the job runner: the service
task's job is retried, becomes an incident when its attempts run out, and succeeds once an
operator retries it; a slow answer within the timeout is simply an answer. Notices the systems
apply are applied once however often they were sent (the simulators count the keys)."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from app.db import transaction
from app.demo import valid_personal_code
from app.engine import incidents
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.services import Services, build_services
from tests.conftest import make_settings
from tests.engine.helpers import instance, jobs
from workers.jobs import run_due_jobs

# One operation per system, with parameters its simulator's fixtures answer. "applies" marks a
# notice the system stores (counted by idempotency key), against a question it only answers.
CALLS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "npais": ("npais.notify_orphan_court", {
        "orphan_court_code": "RIGA", "case_reference": "F-1", "notice_type": "REPORT_OVERDUE",
        "recipients": ["ORPHAN_COURT"], "text": "Ziņojums nav iesniegts"}, True),
    "sais": ("sais.notify_admission", {
        "personal_code": valid_personal_code(7), "institution_code": "VSAC-RIGA",
        "admission_date": "2026-11-02"}, True),
    "sopa": ("sopa.deliver_periodic_report", {
        "municipality_code": "RIGA", "case_reference": "F-1", "report_period_end": "2026-11-01",
        **{part: "Teksts" for part in ("contact_with_parents", "contact_with_siblings",
                                        "contact_with_others", "cooperation",
                                        "physical_development", "psychosocial_development")}},
              True),
    "pmlp": ("pmlp.get_person", {"personal_code": valid_personal_code(3)}, False),
    "vdeavk": ("vdeavk.get_disability_status", {"personal_code": valid_personal_code(9),
                                                "on_date": "2026-11-26"}, False),
}
ATTEMPTS = 3
TIMEOUT = 1.0  # the client's; a "timeout" fault holds the request longer, a "slow" one shorter


def _model(operation: str, params: dict[str, Any]) -> str:
    parameters = "".join(
        f'<spiffworkflow:parameter id="{name}" type="{"list" if isinstance(value, list) else "str"}"'
        f' value="{_expression(value)}" />' for name, value in params.items())
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d"
    targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="one_call" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="call" name="Call">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="{operation}" resultVariable="answer">
          <spiffworkflow:parameters>{parameters}</spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def _expression(value: Any) -> str:
    """A Python literal for the parameter's value expression, quoted for an XML attribute."""
    return repr(value).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


@pytest.fixture
def fault_services(database_url: str, simulators: dict[str, Any]) -> Iterator[Services]:
    from adapters.simulators import adapter_settings

    built = build_services(make_settings(database_url, adapter_timeout=TIMEOUT,
                                         job_max_attempts=ATTEMPTS,
                                         **adapter_settings(simulators)))
    yield built
    built.db.dispose()


def _control(simulator: Any, action: str, body: dict[str, Any] | None = None) -> Any:
    url = f"{simulator.url}/_control/{action}"
    answer = (requests.post(url, json=body, timeout=5) if body is not None
              else requests.get(url, timeout=5))
    answer.raise_for_status()
    return answer.json()


def _start(services: Services, system: str) -> int:
    operation, params, _ = CALLS[system]
    with transaction(services.sessions) as session:
        deploy_source(session, "one_call.bpmn", _model(operation, params), "test")
    return services.engine.start("one_call", {}, business_key=f"F-{system}", actor=Actor("t"))


def _settle(services: Services, iid: int, deadline: float = 60.0) -> str:
    """Run the job runner until the instance's job is done or an incident."""
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        run_due_jobs(services, "w1")
        status = jobs(services, iid)[0].status
        if status in ("done", "incident"):
            return status
        time.sleep(0.05)
    return jobs(services, iid)[0].status


@pytest.mark.parametrize("fault", ["timeout", "fault", "malformed"])
@pytest.mark.parametrize("system", sorted(CALLS))
def test_a_fault_on_every_attempt_is_an_incident_an_operator_retry_clears(
        fault_services: Services, simulators: dict[str, Any], system: str, fault: str) -> None:
    simulator = simulators[system]
    _control(simulator, "faults", {"mode": fault, "count": ATTEMPTS,
                                   **({"delay": TIMEOUT + 1.0} if fault == "timeout" else {})})
    iid = _start(fault_services, system)

    assert _settle(fault_services, iid) == "incident"
    [job] = jobs(fault_services, iid)
    assert job.attempts == ATTEMPTS
    expected = {"timeout": f"did not answer within {TIMEOUT:g} s",
                "fault": "temporarily unavailable (injected)",
                "malformed": "could not be read"}[fault]
    assert expected in (job.last_error or "")
    with fault_services.sessions() as session:
        [incident] = incidents.open_incidents(session, iid)
    assert instance(fault_services, iid).status == "active"

    incidents.retry(fault_services.sessions, incident.id, "operator")
    assert _settle(fault_services, iid) == "done"
    assert instance(fault_services, iid).status == "completed"
    with fault_services.sessions() as session:
        assert incidents.open_incidents(session, iid) == []
    if CALLS[system][2]:
        if fault == "timeout":  # the held attempts took effect after the client gave up
            time.sleep(TIMEOUT + 1.5)
        assert _control(simulator, "applied")["applied"] == {job.idempotency_key: 1}


@pytest.mark.parametrize("system", sorted(CALLS))
def test_a_slow_answer_within_the_timeout_is_an_answer(
        fault_services: Services, simulators: dict[str, Any], system: str) -> None:
    _control(simulators[system], "faults", {"mode": "slow", "count": 1, "delay": TIMEOUT / 4})
    iid = _start(fault_services, system)
    assert _settle(fault_services, iid) == "done"
    assert jobs(fault_services, iid)[0].attempts == 1
    assert instance(fault_services, iid).status == "completed"
