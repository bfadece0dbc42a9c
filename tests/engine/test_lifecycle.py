"""The life of an instance: start → user task → complete → timer → job → end, through the
real workers and the NPAIS simulator over HTTP."""
from __future__ import annotations

import time

import pytest
import requests

from app.access.scope import Scope
from app.audit.chain import verify_instance_history
from app.engine.errors import InstanceNotActive, MessageNotCorrelated, NotYourTask
from app.engine.runtime import Actor
from app.services import Services
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers

from .helpers import (
    P9,
    PLACEMENT_FORM,
    deploy_fixture,
    deploy_processes,
    event_kinds,
    instance,
    jobs,
    open_tasks,
    p9_start_data,
    report_form,
    timers,
)

INSTITUTION = Actor("inese", frozenset({"institution"}))


def test_p9_runs_from_placement_to_end(services: Services, npais_simulator: object) -> None:
    deploy_processes(services)
    # The notices go to the organisations of the instance's scope (a child of Riga).
    scope = Scope.for_process(P9, municipality_code="RIGA", orphan_court_code="RIGA-BT",
                              institution_code="VSAC-RIGA")
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-T-0001", actor=Actor("t"),
                                scope=scope)
    [placement] = open_tasks(services, iid)
    assert placement.element_id == "register_placement" and placement.candidate_groups == "institution"

    services.engine.complete_task(placement.id, INSTITUTION, PLACEMENT_FORM)
    [report] = open_tasks(services, iid)
    assert report.element_id == "submit_periodic_report"
    # Placed 10.01.2025 at 22 months: a 3-month period, due 10.04.2025, passed at Riga midnight.
    assert report.due_at is not None and report.due_at.isoformat() == "2025-04-10T21:00:00+00:00"
    # Both deadlines have long passed, so the reminder and the overdue timers fired in the same
    # step: a reminder job and the overdue notice to the three recipients wait.
    by_operation = {j.operation: j for j in jobs(services, iid)}
    assert set(by_operation) == {"tasks.remind", "outbox.send"}
    overdue = by_operation["outbox.send"]
    assert overdue.status == "ready" and overdue.parameters["topic"] == "REPORT_OVERDUE"
    assert overdue.parameters["recipients"] == ["orphan_court", "social_service", "ministry"]
    assert overdue.parameters["due_date"] == "2025-04-10"

    _run_all_jobs(services)
    assert {j.operation: j.status for j in jobs(services, iid)} == {
        "tasks.remind": "done", "outbox.send": "done", "tasks.escalate": "done"}
    assert [t.element_id for t in open_tasks(services, iid)] == ["submit_periodic_report"]

    services.engine.complete_task(report.id, INSTITUTION, report_form("2025-04-20", care_ended=True))
    _run_all_jobs(services)
    after_report = [j.operation for j in jobs(services, iid)][3:]
    assert after_report == ["npais.deliver_periodic_report", "sopa.deliver_periodic_report",
                            "out_of_family_care.record_report", "out_of_family_care.record_end",
                            "outbox.send"]
    applied = requests.get(f"{npais_simulator.url}/_control/applied", timeout=5).json()  # type: ignore[attr-defined]
    assert applied["applied"]  # the simulator received the report

    done = instance(services, iid)
    assert done.status == "completed" and done.ended_at is not None
    assert open_tasks(services, iid) == []
    kinds = event_kinds(services, iid)
    for kind in ("instance_started", "task_completed", "timer_fired", "job_started", "job_succeeded",
                 "instance_ended"):
        assert kind in kinds
    with services.sessions() as session:
        assert verify_instance_history(session, done).intact


def test_a_report_on_time_loops_to_the_next_period(services: Services) -> None:
    deploy_processes(services)
    # A child turning 3 long before: 6-month periods. Placement recent enough for the timer to wait.
    today = time.strftime("%Y-%m-%d")
    iid = services.engine.start(P9, p9_start_data(child_birth_date="2015-01-01", placement_date=today),
                                business_key="P9-T-0002", actor=Actor("t"))
    services.engine.complete_task(open_tasks(services, iid)[0].id, INSTITUTION,
                                  dict(PLACEMENT_FORM, placement_date=today,
                                       child_birth_date="2015-01-01"))
    waiting = timers(services, iid)
    assert {(t.element_id, t.status) for t in waiting} == {("report_reminder", "waiting"),
                                                           ("report_overdue", "waiting")}
    [report] = open_tasks(services, iid)
    services.engine.complete_task(report.id, INSTITUTION, report_form(today, care_ended=False))
    _run_all_jobs(services)
    [next_report] = open_tasks(services, iid)
    assert next_report.id != report.id and next_report.element_id == "submit_periodic_report"
    # The old boundary timers were cancelled with their task, new ones wait for the next period.
    assert [t.status for t in timers(services, iid)] == ["cancelled", "cancelled",
                                                        "waiting", "waiting"]


def _run_all_jobs(services: Services) -> None:
    """Run jobs until none is left (a finished job may lead to the next one)."""
    for _ in range(20):
        if not run_due_jobs(services, "w1"):
            return


def test_the_scheduler_fires_a_due_timer_and_the_job_runs(services: Services) -> None:
    deploy_fixture(services, "wait_then_call.bpmn")
    iid = services.engine.start("wait_then_call", {"wait_for": "PT1S", "court": "RIGA",
                                                   "case_number": "T-1", "divisor": 1,
                                                   "review_due": "2030-01-31"},
                                business_key="T-1", actor=Actor("t"))
    [review] = open_tasks(services, iid)
    assert review.due_at is not None and review.due_at.isoformat() == "2030-01-31T22:00:00+00:00"
    services.engine.complete_task(review.id, Actor("x", frozenset({"testers"})), {})
    [timer] = timers(services, iid)
    assert timer.status == "waiting"
    assert fire_due_timers(services, "w1") == 0  # not yet due
    deadline = time.monotonic() + 10
    while fire_due_timers(services, "w1") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert timers(services, iid)[0].status == "fired"
    assert run_due_jobs(services, "w1") == 1
    assert instance(services, iid).status == "completed"


def test_a_message_is_correlated_by_business_key(services: Services) -> None:
    deploy_fixture(services, "await_message.bpmn")
    first = services.engine.start("await_message", {}, business_key="K-1", actor=Actor("t"))
    second = services.engine.start("await_message", {}, business_key="K-2", actor=Actor("t"))
    with pytest.raises(MessageNotCorrelated):
        services.engine.correlate("orphan_court_decision", {}, business_key="K-3", actor=Actor("npais"))
    assert services.engine.correlate("orphan_court_decision", {"decision": "placed"},
                                     business_key="K-2", actor=Actor("npais")) == [second]
    assert instance(services, second).status == "completed"
    assert instance(services, first).status == "active"


def test_candidate_groups_decide_who_may_complete(services: Services) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-T-3", actor=Actor("t"))
    [task] = open_tasks(services, iid)
    with pytest.raises(NotYourTask):
        services.engine.complete_task(task.id, Actor("janis", frozenset({"orphan_court"})),
                                      PLACEMENT_FORM)
    assert open_tasks(services, iid)[0].status == "open"


def test_suspended_instances_wait_and_terminated_ones_close_everything(services: Services) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-T-4", actor=Actor("t"))
    [task] = open_tasks(services, iid)
    services.engine.suspend(iid, Actor("operator"), "court hearing pending")
    with pytest.raises(InstanceNotActive):
        services.engine.complete_task(task.id, INSTITUTION, PLACEMENT_FORM)
    services.engine.resume(iid, Actor("operator"))
    services.engine.terminate(iid, Actor("operator"), "entered by mistake")
    assert open_tasks(services, iid) == []
    assert instance(services, iid).status == "terminated"
    assert event_kinds(services, iid)[-3:] == ["instance_suspended", "instance_resumed",
                                               "instance_terminated"]
