"""The timer scheduler: fires timers whose due time has passed, within a poll interval."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, or_, select

from app.db import transaction
from app.db.models import ProcessInstance, Timer, utcnow
from app.engine.errors import EngineError
from app.observability.logs import timer_context
from app.services import Services

log = logging.getLogger(__name__)


def claim_due_timers(services: Services, worker: str, limit: int = 50) -> list[int]:
    """Lease up to ``limit`` due timers to ``worker``, the earliest first; their ids in the
    order of their instances, so that two schedulers firing batches lock instances in the same
    order and never wait for each other in a circle."""
    now = utcnow()
    with transaction(services.sessions) as session:
        timers = session.scalars(
            select(Timer)
            .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
            .where(ProcessInstance.status == "active", Timer.status == "waiting",
                   Timer.due_at <= now,
                   or_(Timer.locked_until.is_(None), Timer.locked_until < now))
            .order_by(Timer.due_at, Timer.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Timer)
        ).all()
        for timer in timers:
            timer.locked_by = worker
            timer.locked_until = now + timedelta(seconds=services.settings.lease_seconds)
        return [t.id for t in sorted(timers, key=lambda t: (t.instance_id, t.id))]


def fire_due_timers(services: Services, worker: str, limit: int = 50) -> int:
    """Fire the due timers this worker can claim, in batches of ``timer_batch`` per transaction;
    a batch that fails is fired again one timer at a time."""
    claimed = claim_due_timers(services, worker, limit)
    size = max(1, services.settings.timer_batch)
    fired = 0
    for first in range(0, len(claimed), size):
        batch = claimed[first:first + size]
        if len(batch) > 1:
            try:
                fired += services.engine.fire_timers(batch, worker)
                continue
            except Exception as err:  # noqa: BLE001 - each is retried alone just below
                log.info("a batch of %d timers was rolled back (%s); firing them one by one",
                         len(batch), type(err).__name__)
        fired += _fire_one_by_one(services, worker, batch)
    return fired


def _fire_one_by_one(services: Services, worker: str, timer_ids: list[int]) -> int:
    fired = 0
    for timer_id in timer_ids:
        with timer_context(timer_id):
            try:
                fired += services.engine.fire_timer(timer_id, worker)
            except EngineError as err:
                # ScriptFailed is recorded as an incident on the instance by the engine.
                log.warning("timer %s did not fire: %s", timer_id, type(err).__name__)
    return fired


def seconds_to_next_timer(services: Services, ceiling: float) -> float:
    with services.sessions() as session:
        due = session.scalar(select(func.min(Timer.due_at)).where(Timer.status == "waiting"))
    if due is None:
        return ceiling
    return max(0.0, min(ceiling, (due - utcnow()).total_seconds()))
