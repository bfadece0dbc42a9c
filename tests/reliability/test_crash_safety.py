"""Crash safety: worker processes and the caseworkers' process are killed with SIGKILL at random
points while instances run (a job calling NPAIS, a timer, a review task, another job). After
restarts every instance is consistent (state, human tasks, timers, jobs and events agree), every
job is done, NPAIS applied each notice once, and every timer fired once."""
from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from app.db.migrate import upgrade
from app.db.models import Job
from app.db.scratch import reachable_server_version, scratch_database
from app.services import Services, build_services
from tests.conftest import make_settings

from .harness import (
    WORKER,
    Crew,
    caseworkers_command,
    child_environment,
    deploy_probe,
    instance_counts,
    verify_run,
    wait_for,
)

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _hold_calls(npais_url: str, count: int, delay: float) -> None:
    """NPAIS holds the next ``count`` calls ``delay`` seconds, so a kill finds calls in flight."""
    requests.post(f"{npais_url}/_control/faults",
                  json={"mode": "slow", "count": count, "delay": delay},
                  timeout=5).raise_for_status()


def test_a_worker_killed_mid_call_leaves_every_instance_consistent(
        services: Services, simulators: dict[str, Any], tmp_path: Path) -> None:
    instances = 24
    npais = simulators["npais"].url
    deploy_probe(services)
    _hold_calls(npais, 4, 1.5)
    crew = Crew({"worker-1": WORKER, "worker-2": WORKER,
                 "caseworkers": caseworkers_command(instances, instances)},
                child_environment(services.settings.database_url, npais, lease_seconds=1.0),
                tmp_path)
    try:
        first = crew.start("worker-1")
        crew.start("caseworkers")

        def held_by_first_worker() -> list[int]:
            with services.sessions() as session:
                return list(session.scalars(select(Job.id).where(
                    Job.status == "running", Job.locked_by.contains(f":{first.pid}:"))))

        wait_for(lambda: bool(held_by_first_worker()), 60, "the first worker holds a job")
        time.sleep(0.3)  # its call is now in flight, held by NPAIS
        in_flight = held_by_first_worker()
        crew.kill("worker-1")
        crew.start("worker-2")
        wait_for(lambda: _completed(services) == instances, 120, "every instance completed",
                 every=0.3)
    finally:
        crew.stop_all()
    time.sleep(1.6)  # the dead worker's held calls reach NPAIS too, and must change nothing

    figures = verify_run(services, npais, instances)
    with services.sessions() as session:
        attempts = dict(session.execute(select(Job.id, Job.attempts)
                                        .where(Job.id.in_(in_flight))).all())
    # Taken over after the lease, and (verify_run) applied once under the job's key, whether or
    # not the killed worker's call had reached NPAIS.
    assert attempts and all(n >= 2 for n in attempts.values()), attempts
    assert figures["received"] >= figures["applied"] == 2 * instances
    assert "REFUSED" not in crew.log_text("caseworkers")


def _completed(services: Services) -> int:
    with services.sessions() as session:
        return instance_counts(session)["completed"]


@pytest.mark.slow
def test_a_few_thousand_instances_while_processes_are_killed_at_random(
        simulators: dict[str, Any], tmp_path: Path) -> None:
    server = os.environ.get("DICASE_TEST_DATABASE_URL") or POSTGRES
    if server.startswith("sqlite") or reachable_server_version(server) is None:
        pytest.skip(f"needs a PostgreSQL server (DICASE_TEST_DATABASE_URL, default {POSTGRES})")
    instances = int(os.environ.get("DICASE_RELIABILITY_INSTANCES", "3000"))
    seed = int(os.environ.get("DICASE_RELIABILITY_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    npais = simulators["npais"].url
    with scratch_database(server, "dicase_crash") as url:
        upgrade(url)
        services = build_services(make_settings(url))
        deploy_probe(services)
        crew = Crew({"worker-1": WORKER, "worker-2": WORKER,
                     "caseworkers": caseworkers_command(instances)},
                    child_environment(url, npais, lease_seconds=2.0), tmp_path)
        began = time.monotonic()
        deadline = began + max(1200.0, instances * 0.8)
        try:
            for name in crew.commands:
                crew.start(name)
            while _completed(services) < instances:
                assert time.monotonic() < deadline, f"{instance_counts_text(services)} at the deadline"
                # A kill every few seconds: each process is killed about every twenty seconds,
                # and the others work on meanwhile.
                time.sleep(rng.uniform(2.0, 10.0))
                if rng.random() < 0.5:
                    _hold_calls(npais, rng.randint(1, 6), rng.uniform(0.2, 1.0))
                victim = rng.choice(sorted(crew.running))
                crew.kill(victim)
                time.sleep(rng.uniform(0.0, 1.0))
                crew.start(victim)
                for name, process in crew.running.items():
                    assert process.poll() is None, f"{name} exited by itself:\n{crew.log_text(name)}"
        finally:
            crew.stop_all()
        took = time.monotonic() - began
        time.sleep(1.2)  # calls still held by NPAIS for a killed worker arrive, and change nothing
        figures = verify_run(services, npais, instances)
        services.db.dispose()
    print(f"\ncrash safety (seed {seed}): {instances} instances in {took:.0f} s; "
          f"kills {dict(crew.kills)}; {figures['summary']}; {figures['retaken']} jobs taken over "
          f"after a kill; NPAIS received {figures['received']} calls, applied "
          f"{figures['applied']} notices")
    assert "REFUSED" not in crew.log_text("caseworkers")


def instance_counts_text(services: Services) -> str:
    with services.sessions() as session:
        return str(dict(instance_counts(session)))
