"""The monthly regeneration of the open data sets as a process (processes/opendata_regeneration.bpmn):
the one long-lived instance, the drafts it has prepared and who reviewed them. No Flask here;
functions that take a session never commit (the caller owns the transaction)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import HumanTask, OpenDataRelease, ProcessInstance
from app.domain.open_data_schedule import next_regeneration_at

PROCESS_KEY = "opendata_regeneration"
# One instance regenerates every data set, month after month.
BUSINESS_KEY = "OPEN-DATA"
REVIEW_TASK = "review"
# The ministry's statisticians, who review the figures before they are published.
STATISTICS_GROUP = "statistics"
# Who the statistics store and the drafts record as having made them.
SYSTEM_ACTOR = "opendata-regeneration"
# An operator may suspend the instance; a suspended one is still the one, not to be doubled.
_LIVE = ("active", "suspended")


def running_instance_id(session: Session) -> int | None:
    """The regeneration instance that is active or suspended, if there is one."""
    return session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.process_key == PROCESS_KEY, ProcessInstance.business_key == BUSINESS_KEY,
        ProcessInstance.status.in_(_LIVE)).order_by(ProcessInstance.id.desc()).limit(1))


def ensure_running(engine: Any, sessions: Any, now: datetime | None = None,
                   first_run_at: datetime | None = None) -> list[int]:
    """Start the regeneration process when none is running, waiting for the next run (or for
    ``first_run_at``); returns the started instance's id, or nothing. Harmless to repeat: the
    calendar and ``dicase demo-data`` both call it."""
    from app.access.scope import Scope
    from app.engine.runtime import Actor

    with sessions() as session:
        if running_instance_id(session) is not None:
            return []
    moment = first_run_at or next_regeneration_at(now or datetime.now(UTC))
    return [engine.start(PROCESS_KEY, {"case_number": BUSINESS_KEY,
                                       "next_run_at": moment.astimezone(UTC).isoformat()},
                         business_key=BUSINESS_KEY, actor=Actor.system(),
                         scope=Scope.for_process(PROCESS_KEY))]


def open_review_task(session: Session, instance_id: int) -> HumanTask | None:
    return session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.element_id == REVIEW_TASK,
        HumanTask.status == "open").order_by(HumanTask.id.desc()).limit(1)).first()


def reviewer(session: Session, instance_id: int) -> str:
    """Who completed the instance's latest review (published or returned the drafts)."""
    return session.scalar(select(HumanTask.completed_by).where(
        HumanTask.instance_id == instance_id, HumanTask.element_id == REVIEW_TASK,
        HumanTask.status == "completed").order_by(HumanTask.id.desc()).limit(1)) or SYSTEM_ACTOR


def drafts_of(session: Session, instance_id: int) -> list[OpenDataRelease]:
    """The instance's releases still waiting for the statistician, in data-set order."""
    rows = session.scalars(select(OpenDataRelease).where(
        OpenDataRelease.instance_id == instance_id, OpenDataRelease.status == "draft"))
    return sorted(rows, key=lambda r: (_dataset_order(r.dataset), r.period, r.version))


def _dataset_order(code: str) -> tuple[int, str]:
    digits = "".join(ch for ch in code if ch.isdigit())
    return (int(digits) if digits else 0, code)
