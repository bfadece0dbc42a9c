"""Completed child needs assessments counted by child group and municipality (DOMAIN, P2: "the
two child groups are counted separately for statistics").

An assessment counts once its instance has completed through the approved path (a stored
summary sent to SOPA); instances that ended because the population register did not know the
child are not assessments. The child group is the one recorded at referral (task data kept in
the engine's ``task_completed`` events). Every count is scoped with ``app.access.scope``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, literal, select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, record_filter
from app.db.models import Event, ProcessInstance
from app.domain.calendar import RIGA

from .service import PROCESS_KEY, assessment_facts


@dataclass(frozen=True)
class GroupCount:
    municipality_code: str
    child_group: str
    count: int


def completed_assessments_by_group(session: Session, viewer: Viewer, *,
                                   period_from: date | None = None,
                                   period_to: date | None = None) -> list[GroupCount]:
    """Completed assessments the viewer may see, ended inside the period (inclusive, Riga days),
    counted per municipality and child group; sorted by municipality, then group."""
    query = (select(ProcessInstance.id, ProcessInstance.municipality_code)
             .where(ProcessInstance.process_key == PROCESS_KEY,
                    ProcessInstance.status == "completed",
                    record_filter(viewer, ProcessInstance),
                    exists(select(literal(1)).where(Event.instance_id == ProcessInstance.id,
                                                    Event.kind == "task_completed",
                                                    Event.element_id == "review"))))
    if period_from is not None:
        query = query.where(ProcessInstance.ended_at >= _riga_midnight(period_from))
    if period_to is not None:
        query = query.where(ProcessInstance.ended_at < _riga_midnight(period_to, next_day=True))
    rows = list(session.execute(query))
    facts = assessment_facts(session, [row.id for row in rows])
    counts: Counter[tuple[str, str]] = Counter()
    for row in rows:
        group = facts[row.id].child_group
        if group is not None and facts[row.id].decision == "APPROVE":
            counts[(row.municipality_code or "", group)] += 1
    return [GroupCount(m, g, n) for (m, g), n in sorted(counts.items())]


def _riga_midnight(day: date, *, next_day: bool = False) -> datetime:
    start = datetime.combine(day + timedelta(days=1) if next_day else day, time(0), tzinfo=RIGA)
    return start.astimezone(UTC)
