"""Caseworkers, as a process of their own: start the probe instances and complete their review
tasks through the engine, as the web app's views do, until stopped. The crash test kills this
process like a worker; started again, it carries on from what the database holds.

    python -m tests.reliability.caseworkers INSTANCES [BATCH]   (settings from DICASE_*)
"""
from __future__ import annotations

import signal
import sys
import threading

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.config import Settings
from app.db.models import HumanTask, ProcessInstance
from app.engine.errors import EngineError
from app.engine.runtime import Actor
from app.services import Services, build_services
from tests.reliability.harness import PROBE, REVIEWERS, probe_data

CASEWORKER = Actor("caseworker", frozenset({REVIEWERS}))


def main(instances: int, batch: int) -> None:
    services = build_services(Settings())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.is_set():
        try:
            busy = _work(services, instances, batch)
        except OperationalError as err:
            # The database is away (the outage test restarts it): like the workers, wait a little.
            print(f"caseworkers: database unavailable ({type(err).__name__}), retrying", flush=True)
            stop.wait(0.5)
            continue
        if not busy:
            stop.wait(0.2)


def _work(services: Services, instances: int, batch: int) -> bool:
    """Start the next instances and complete open review tasks; whether there was anything."""
    with services.sessions() as session:
        started = session.scalar(select(func.count()).select_from(ProcessInstance)) or 0
        review = list(session.scalars(select(HumanTask.id).where(
            HumanTask.process_key == PROBE, HumanTask.status == "open")
            .order_by(HumanTask.id).limit(batch)))
    for number in range(started + 1, min(started + batch, instances) + 1):
        business_key, data = probe_data(number)
        services.engine.start(PROBE, data, business_key=business_key, actor=CASEWORKER)
    for task_id in review:
        try:
            services.engine.complete_task(task_id, CASEWORKER, {"reviewed": True})
        except EngineError as err:  # a refusal would be a finding: say so and go on
            print(f"REFUSED task {task_id}: {type(err).__name__}: {err}", flush=True)
    return started < instances or bool(review)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20)
