"""Moving demo cases along as caseworkers and the workers would; the areas' demo data share it.

The demo runs the jobs and timers itself (``dicase demo-data`` runs before the workers start),
and only when every external system has an address: without the simulators a job would end as an
incident in the demo rather than wait.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.db.models import HumanTask
from app.engine.runtime import Actor
from app.services import Services

WORKER = "demo-data"


def external_systems_reachable(services: Services) -> bool:
    settings = services.settings
    return all((settings.npais_url, settings.pmlp_url, settings.sopa_url, settings.vdeavk_url,
                settings.sais_url))


def run_workers(services: Services, *, timers: bool = False, rounds: int = 50) -> None:
    """Run the due jobs (and with ``timers`` the due timers) until nothing is left to do."""
    if not external_systems_reachable(services):
        return
    from workers.jobs import run_due_jobs
    from workers.timers import fire_due_timers

    for _ in range(rounds):
        busy = run_due_jobs(services, WORKER)
        if timers:
            busy += fire_due_timers(services, WORKER)
        if not busy:
            return


def open_task_id(services: Services, instance_id: int, element_id: str) -> int | None:
    """The instance's open task at ``element_id``, once what comes before it has run."""
    for attempt in range(2):
        with services.sessions() as session:
            task_id = session.scalar(select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.element_id == element_id,
                HumanTask.status == "open"))
        if task_id is not None or attempt:
            return task_id
        run_workers(services)
    return None


def complete(services: Services, instance_id: int, element_id: str, actor: Actor,
             data: dict[str, Any], *, timers: bool = False) -> bool:
    """Complete the task at ``element_id`` and run what follows; False if it is not open
    (the case waits elsewhere, for an external system the demo cannot reach)."""
    run_workers(services, timers=timers)
    task_id = open_task_id(services, instance_id, element_id)
    if task_id is None:
        return False
    services.engine.complete_task(task_id, actor, data)
    run_workers(services, timers=timers)
    return True
