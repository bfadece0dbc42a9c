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
        return [t.id for t in timers]


def fire_due_timers(services: Services, worker: str, limit: int = 50) -> int:
    fired = 0
    for timer_id in claim_due_timers(services, worker, limit):
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
