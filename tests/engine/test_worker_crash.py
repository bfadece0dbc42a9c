"""A worker killed in the middle of a job: after its lease the job is taken by another worker and
its side effect happens once (the simulator counts idempotency keys)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from app.config import PROJECT_ROOT
from app.engine.runtime import Actor
from app.services import Services
from workers.jobs import run_due_jobs

from .helpers import deploy_fixture, event_kinds, instance, jobs, open_tasks


def _wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_a_killed_worker_s_job_is_taken_over_after_the_lease_and_applied_once(
        services: Services, npais_simulator: object) -> None:
    url = npais_simulator.url  # type: ignore[attr-defined]
    deploy_fixture(services, "wait_then_call.bpmn")
    iid = services.engine.start("wait_then_call", {"wait_for": "PT0S", "court": "RIGA",
                                                   "case_number": "K-1", "divisor": 1,
                                                   "review_due": "2030-01-31"},
                                business_key="K-1", actor=Actor("t"))
    services.engine.complete_task(open_tasks(services, iid)[0].id,
                                  Actor("x", frozenset({"testers"})), {})
    requests.post(f"{url}/_control/faults", json={"mode": "slow", "count": 1, "delay": 2.0},
                  timeout=5).raise_for_status()
    env = dict(os.environ, DICASE_DATABASE_URL=services.settings.database_url, DICASE_NPAIS_URL=url,
               DICASE_LEASE_SECONDS="1", DICASE_POLL_SECONDS="0.05")
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker", "--timers", "0"],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: jobs(services, iid)[0].status == "running")
        assert f":{worker.pid}:" in (jobs(services, iid)[0].locked_by or "")
        time.sleep(0.3)  # the call is now in flight, held by the simulator
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    assert jobs(services, iid)[0].status == "running"  # left behind by the dead worker
    _wait_for(lambda: run_due_jobs(services, "survivor") > 0)  # once the 1 s lease has run out
    [job] = jobs(services, iid)
    assert (job.status, job.attempts, job.locked_by) == ("done", 2, None)
    assert instance(services, iid).status == "completed"
    assert event_kinds(services, iid).count("job_succeeded") == 1

    time.sleep(2.2)  # let the simulator finish the dead worker's slow request too
    applied = requests.get(f"{url}/_control/applied", timeout=5).json()
    counts = applied.get("applied", applied)
    assert counts[job.idempotency_key] == 1
