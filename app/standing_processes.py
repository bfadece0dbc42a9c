"""Processes that run as one long-lived instance waiting on their own monthly timer (the open
data's regeneration, the monthly report pack): finding that instance, and starting it when none
is running. The calendar and ``dicase demo-data`` call ``ensure_running`` as often as they like."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import ProcessInstance

# An operator may suspend the instance; a suspended one is still the one, not to be doubled.
LIVE = ("active", "suspended")


def running_instance_id(session: Session, process_key: str, business_key: str) -> int | None:
    """The process's instance that is active or suspended, if there is one."""
    return session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.process_key == process_key, ProcessInstance.business_key == business_key,
        ProcessInstance.status.in_(LIVE)).order_by(ProcessInstance.id.desc()).limit(1))


def ensure_running(engine: Any, sessions: Any, process_key: str, business_key: str,
                   first_run_at: datetime) -> list[int]:
    """Start the instance, its first run due at ``first_run_at``, unless one is running; the
    started instance's id, or nothing."""
    from app.access.scope import Scope
    from app.engine.runtime import Actor

    with sessions() as session:
        if running_instance_id(session, process_key, business_key) is not None:
            return []
    return [engine.start(process_key, {"case_number": business_key,
                                       "next_run_at": first_run_at.astimezone(UTC).isoformat()},
                         business_key=business_key, actor=Actor.system(),
                         scope=Scope.for_process(process_key))]
