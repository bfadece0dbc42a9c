"""The task inbox: which human tasks a person may work on, and how their deadlines read.

``workable_tasks`` is the one place that decides whether a person may see or act on a task; the
list, the task page and every POST go through it, and the filter runs in SQL so the database
never hands back a row the person may not see.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, case, false, literal, or_, select
from sqlalchemy.orm import Session

from app.db.models import HumanTask, ProcessDefinition
from app.domain.calendar import RIGA


def workable_tasks(username: str, groups: Iterable[str]) -> Select[HumanTask]:
    """Open tasks assigned to ``username``, or unassigned and offered to one of ``groups``.

    ``candidate_groups`` is a space-separated list, so each group is matched as a whole word
    inside ``' ' || candidate_groups || ' '`` (LIKE with escaping works on SQLite and PostgreSQL).
    """
    padded = literal(" ") + HumanTask.candidate_groups + literal(" ")
    offered = [padded.contains(f" {group} ", autoescape=True)
               for group in sorted(set(groups)) if group and not any(c.isspace() for c in group)]
    return select(HumanTask).where(
        HumanTask.status == "open",
        or_(HumanTask.assignee == username,
            and_(HumanTask.assignee.is_(None), or_(false(), *offered))),
    )


def find_workable_task(session: Session, username: str, groups: Iterable[str],
                       task_id: int) -> HumanTask | None:
    """The task, if this person may work on it now; None also when it does not exist."""
    return session.scalars(workable_tasks(username, groups).where(HumanTask.id == task_id)).first()


@dataclass(frozen=True)
class InboxRow:
    task: HumanTask
    process_name: str
    due_day: date | None
    due_state: str  # overdue | today | later | none


def inbox(session: Session, username: str, groups: Iterable[str], now: datetime) -> list[InboxRow]:
    """The person's open tasks, soonest deadline first (tasks without one last), then oldest."""
    query = (
        workable_tasks(username, groups)
        .add_columns(ProcessDefinition.name)
        .outerjoin(ProcessDefinition, and_(
            ProcessDefinition.process_key == HumanTask.process_key,
            ProcessDefinition.version == HumanTask.process_version))
        .order_by(case((HumanTask.due_at.is_(None), 1), else_=0), HumanTask.due_at,
                  HumanTask.created_at, HumanTask.id)
    )
    return [describe(task, name, now) for task, name in session.execute(query).all()]


def describe(task: HumanTask, process_name: str | None, now: datetime) -> InboxRow:
    return InboxRow(task, process_name or task.process_key, due_day(task.due_at),
                    due_state(task.due_at, now))


def process_name(session: Session, task: HumanTask) -> str:
    name = session.scalar(select(ProcessDefinition.name).where(
        ProcessDefinition.process_key == task.process_key,
        ProcessDefinition.version == task.process_version))
    return name or task.process_key


def due_day(due_at: datetime | None) -> date | None:
    """The last Latvian calendar day on which the task is on time.

    Deadlines on a day are stored as the following midnight in Riga (``end_of_day``), which
    belongs to the day before: a due time of 11.04. 00:00 reads "due 10.04.".
    """
    if due_at is None:
        return None
    return (due_at.astimezone(RIGA) - timedelta(microseconds=1)).date()


def due_state(due_at: datetime | None, now: datetime) -> str:
    if due_at is None:
        return "none"
    if now >= due_at:
        return "overdue"
    if due_day(due_at) == now.astimezone(RIGA).date():
        return "today"
    return "later"
