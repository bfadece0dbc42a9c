"""NPAIS is down (nothing listens on its address) while cases need it: every job is retried with
backoff, then becomes an incident; once NPAIS is back, the operator retries them all from the
operations cockpit's service, and every case finishes with each notice applied once.

tests/adapters/test_faults_through_jobs.py injects each fault into each system for one job; here
the system is away altogether, for many cases at once."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import select

from adapters.simulators import RunningSimulator, start_simulator
from app.db.models import Event, Incident, Job
from app.engine import incidents
from app.engine.runtime import Actor
from app.operations.service import retry_incidents
from app.services import Services, build_services
from tests.conftest import make_settings
from tests.engine.helpers import open_tasks
from workers.jobs import run_due_jobs

from .consistency import check_instances
from .harness import PROBE, REVIEWERS, deploy_probe, probe_data

ATTEMPTS = 3
CASES = 12


@pytest.fixture
def npais() -> Iterator[RunningSimulator]:
    """An NPAIS simulator of this test's own, so the test can take it away."""
    from adapters.npais.simulator import create_app

    running = start_simulator(create_app())
    yield running
    running.stop()


@pytest.fixture
def outage_services(database_url: str, npais: RunningSimulator) -> Iterator[Services]:
    built = build_services(make_settings(database_url, npais_url=npais.url, adapter_timeout=1.0,
                                         job_max_attempts=ATTEMPTS, job_backoff_seconds=0.01))
    yield built
    built.db.dispose()


def _run_jobs_until_none_due(services: Services) -> None:
    for _ in range(1000):  # a bound, so a runner that never settles fails instead of hanging
        with services.sessions() as session:
            waiting = session.scalar(select(Job.id).where(Job.status.in_(("ready", "running"))))
        if waiting is None:
            return
        run_due_jobs(services, "runner")
    pytest.fail("jobs still due after 1000 rounds")


def test_cases_waiting_on_a_system_that_is_down_finish_after_the_operator_retries(
        outage_services: Services, npais: RunningSimulator) -> None:
    services = outage_services
    deploy_probe(services)
    port = int(npais.url.rsplit(":", 1)[1])
    app = npais.app
    npais.stop()  # NPAIS goes away before the first call
    instance_ids = []
    for number in range(1, CASES + 1):
        business_key, data = probe_data(number, wait_for="PT0S")
        instance_ids.append(services.engine.start(PROBE, data, business_key=business_key,
                                                  actor=Actor("t")))

    _run_jobs_until_none_due(services)
    with services.sessions() as session:
        jobs = list(session.scalars(select(Job)))
        opened = incidents.open_incidents(session)
    assert [(j.status, j.attempts) for j in jobs] == [("incident", ATTEMPTS)] * CASES
    assert all("Could not connect to NPAIS" in (j.last_error or "") for j in jobs)
    assert sorted(i.instance_id for i in opened) == sorted(instance_ids)

    back = start_simulator(app, port=port)  # the same system, with the same memory, returns
    try:
        retried, refused = retry_incidents(services.sessions, [i.id for i in opened], "operator")
        assert (len(retried), refused) == (CASES, [])
        _run_jobs_until_none_due(services)  # the first notices; then the timers fire at once
        reviewer = Actor("reviewer", frozenset({REVIEWERS}))
        for instance_id in instance_ids:
            [task] = open_tasks(services, instance_id)
            services.engine.complete_task(task.id, reviewer, {"reviewed": True})
        _run_jobs_until_none_due(services)  # the last notices
        ledger = requests.get(f"{back.url}/_control/applied", timeout=5).json()
    finally:
        back.stop()

    with services.sessions() as session:
        consistency = check_instances(session)
        left_open = incidents.open_incidents(session)
        resolved_by = {i.resolved_by for i in session.scalars(select(Incident))}
        events = Counter(session.scalars(select(Event.kind).where(Event.kind.in_(
            ("incident_retried", "job_failed", "job_succeeded")))))
    assert consistency.problems == []
    assert dict(consistency.instances) == {"completed": CASES}
    assert (left_open, resolved_by) == ([], {"operator"})
    assert events == {"job_failed": ATTEMPTS * CASES, "incident_retried": CASES,
                      "job_succeeded": 2 * CASES}
    # Nothing reached NPAIS while it was down; since, each notice once.
    assert len(ledger["applied"]) == 2 * CASES and set(ledger["applied"].values()) == {1}
    assert set(ledger["received"].values()) == {1}
    assert consistency.job_attempts == 2 * CASES  # the retried jobs started again from zero
