"""The monthly regeneration of the open data sets as a process (processes/opendata_regeneration.bpmn):
the one long-lived instance, the drafts it has prepared and who reviewed them. No Flask here;
functions that take a session never commit (the caller owns the transaction)."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import standing_processes
from app.db.models import HumanTask, OpenDataRelease
from app.domain.open_data_schedule import next_regeneration_at

PROCESS_KEY = "opendata_regeneration"
# One instance regenerates every data set, month after month.
BUSINESS_KEY = "OPEN-DATA"
REVIEW_TASK = "review"
# The ministry's statisticians, who review the figures before they are published.
STATISTICS_GROUP = "statistics"
# Who the statistics store and the drafts record as having made them.
SYSTEM_ACTOR = "opendata-regeneration"


def running_instance_id(session: Session) -> int | None:
    """The regeneration instance that is active or suspended, if there is one."""
    return standing_processes.running_instance_id(session, PROCESS_KEY, BUSINESS_KEY)


def ensure_running(engine: Any, sessions: Any, now: datetime | None = None,
                   first_run_at: datetime | None = None) -> list[int]:
    """Start the regeneration process when none is running, waiting for the next run (or for
    ``first_run_at``); returns the started instance's id, or nothing."""
    return standing_processes.ensure_running(
        engine, sessions, PROCESS_KEY, BUSINESS_KEY,
        first_run_at or next_regeneration_at(now or datetime.now(UTC)))


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
