"""Retries with backoff, incidents an operator can see and retry, and script failures."""
from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from app.db.models import Incident
from app.engine import incidents
from app.engine.errors import ScriptFailed
from app.engine.runtime import Actor
from app.services import Services
from workers.jobs import run_due_jobs

from .helpers import deploy_fixture, event_kinds, instance, jobs, open_tasks

TESTER = Actor("x", frozenset({"testers"}))


def _start_to_job(services: Services, divisor: int = 1) -> int:
    deploy_fixture(services, "wait_then_call.bpmn")
    # A zero duration: the timer fires in the step that reaches it, leaving the notify job ready.
    iid = services.engine.start("wait_then_call", {"wait_for": "PT0S", "court": "RIGA",
                                                   "case_number": "T-9", "divisor": divisor,
                                                   "review_due": "2030-01-31"},
                                business_key="T-9", actor=Actor("t"))
    services.engine.complete_task(open_tasks(services, iid)[0].id, TESTER, {})
    assert [j.status for j in jobs(services, iid)] == ["ready"]
    return iid


def _inject(simulator: object, mode: str, count: int) -> None:
    requests.post(f"{simulator.url}/_control/faults",  # type: ignore[attr-defined]
                  json={"mode": mode, "count": count}, timeout=5).raise_for_status()


def _run_until_settled(services: Services, iid: int, rounds: int = 40) -> None:
    for _ in range(rounds):
        run_due_jobs(services, "w1")
        if jobs(services, iid)[0].status in ("done", "incident"):
            return
        time.sleep(0.06)


def test_a_failing_call_is_retried_with_backoff_then_succeeds(services: Services,
                                                             npais_simulator: object) -> None:
    iid = _start_to_job(services)
    _inject(npais_simulator, "fault", 2)
    _run_until_settled(services, iid)
    [job] = jobs(services, iid)
    assert (job.status, job.attempts) == ("done", 3)
    assert event_kinds(services, iid).count("job_failed") == 2
    assert instance(services, iid).status == "completed"


def test_exhausted_retries_become_an_incident_that_an_operator_retries(services: Services,
                                                                      npais_simulator: object) -> None:
    iid = _start_to_job(services)
    _inject(npais_simulator, "malformed", 5)
    _run_until_settled(services, iid)
    [job] = jobs(services, iid)
    assert (job.status, job.attempts) == ("incident", 5)
    assert "could not be read" in (job.last_error or "")
    with services.sessions() as session:
        [incident] = incidents.open_incidents(session, iid)
    incidents.retry(services.sessions, incident.id, "operator")
    _run_until_settled(services, iid)
    assert jobs(services, iid)[0].status == "done"
    assert instance(services, iid).status == "completed"
    with services.sessions() as session:
        assert incidents.open_incidents(session, iid) == []


def test_a_contract_fault_is_not_retried(services: Services, npais_simulator: object) -> None:
    deploy_fixture(services, "wait_then_call.bpmn")
    iid = services.engine.start("wait_then_call", {"wait_for": "PT0S", "court": "NO-SUCH-COURT",
                                                   "case_number": "T-8", "divisor": 1,
                                                   "review_due": "2030-01-31"},
                                business_key="T-8", actor=Actor("t"))
    services.engine.complete_task(open_tasks(services, iid)[0].id, TESTER, {})
    _run_until_settled(services, iid)
    [job] = jobs(services, iid)
    assert (job.status, job.attempts) == ("incident", 1)


def test_a_script_that_raises_after_the_call_becomes_an_incident_and_keeps_the_state(
        services: Services, npais_simulator: object) -> None:
    iid = _start_to_job(services, divisor=0)
    before = instance(services, iid)
    run_due_jobs(services, "w1")
    [job] = jobs(services, iid)
    assert job.status == "incident"
    with services.sessions() as session:
        [incident] = session.scalars(select(Incident).where(Incident.instance_id == iid)).all()
    assert incident.element_id == "after" and "division by zero" in incident.message
    after = instance(services, iid)
    assert after.state == before.state and after.status == "active"


def test_a_script_failure_on_completion_is_reported_and_nothing_is_saved(services: Services) -> None:
    deploy_fixture(services, "wait_then_call.bpmn")
    iid = services.engine.start("wait_then_call", {"wait_for": "not a duration", "court": "RIGA",
                                                   "case_number": "T-7", "divisor": 1,
                                                   "review_due": "2030-01-31"},
                                business_key="T-7", actor=Actor("t"))
    [task] = open_tasks(services, iid)
    before = instance(services, iid)
    with pytest.raises(ScriptFailed) as err:
        services.engine.complete_task(task.id, TESTER, {})
    assert err.value.element_id == "wait"
    assert open_tasks(services, iid)[0].id == task.id
    assert instance(services, iid).state == before.state
    assert "incident_opened" in event_kinds(services, iid)


def test_operators_list_and_retry_incidents_from_the_command_line(services: Services,
                                                                  npais_simulator: object) -> None:
    import subprocess
    import sys

    from app.config import PROJECT_ROOT

    iid = _start_to_job(services)
    _inject(npais_simulator, "malformed", 5)
    _run_until_settled(services, iid)
    env = {"DICASE_DATABASE_URL": services.settings.database_url, "PATH": "/usr/bin"}

    def dicase(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                              text=True, env=env, cwd=PROJECT_ROOT, timeout=120, check=False)

    listed = dicase("incidents")
    assert listed.returncode == 0 and f"instance {iid}" in listed.stdout and "notify" in listed.stdout
    with services.sessions() as session:
        [incident] = incidents.open_incidents(session, iid)
    assert dicase("retry", str(incident.id), "--by", "operator").returncode == 0
    again = dicase("retry", str(incident.id), "--by", "operator")
    assert again.returncode == 1 and "not open" in again.stderr
    _run_until_settled(services, iid)
    assert jobs(services, iid)[0].status == "done"
