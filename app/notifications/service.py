"""Making reminders and escalations for a task, and listing those a person should see.

No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, group_offer, record_filter
from app.db.models import HumanTask, Notification, Person, ProcessInstance, utcnow
from app.inbox.service import InboxRow, describe, process_names
from app.outbox import service as outbox

REMINDER = "reminder"
ESCALATION = "escalation"


class NotificationError(ValueError):
    """The notification cannot be made; the message says why (a modelling mistake)."""


def notify(session: Session, instance_id: int, element_id: str, kind: str,
           idempotency_key: str, supervisor_group: str = "") -> int:
    """Notifications about the open tasks of ``element_id`` in the instance; how many were made.

    A reminder goes to the task's assignee, or, unassigned, to its candidate groups; an
    escalation goes to ``supervisor_group``. A retried job makes nothing new.
    """
    made_before = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.idempotency_key == idempotency_key))
    if made_before:
        return int(made_before)
    if kind == ESCALATION and not supervisor_group.strip():
        raise NotificationError("an escalation needs the supervisors' group (supervisor_group)")
    tasks = list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.element_id == element_id,
        HumanTask.status == "open")))
    if not tasks and session.get(ProcessInstance, instance_id) is None:
        raise NotificationError(f"no process instance {instance_id}")
    for task in tasks:
        if kind == ESCALATION:
            username, groups = None, supervisor_group.strip()
        else:
            username = task.assignee or None
            groups = "" if username else task.candidate_groups
        session.add(Notification(
            kind=kind, instance_id=instance_id, task_id=task.id, recipient_username=username,
            recipient_groups=groups, idempotency_key=idempotency_key,
            person_id=task.person_id, record_kind=task.record_kind,
            municipality_code=task.municipality_code, institution_code=task.institution_code,
            orphan_court_code=task.orphan_court_code, confidential=task.confidential))
    return len(tasks)


def _addressed_to(viewer: Viewer):  # type: ignore[no-untyped-def]
    """SQL condition: the notification is for this viewer (by name, or by one of their groups)."""
    by_group = and_(Notification.recipient_username.is_(None),
                    Notification.recipient_groups != "",
                    group_offer(viewer.groups, Notification.recipient_groups))
    return and_(record_filter(viewer, Notification), HumanTask.status == "open",
                or_(Notification.recipient_username == viewer.username, by_group))


@dataclass(frozen=True)
class Shown:
    """A notification with its task as the inbox shows a task (person, due date, process)."""

    id: int
    kind: str
    created_at: datetime
    row: InboxRow


def for_viewer(session: Session, viewer: Viewer, now: datetime | None = None,
               limit: int = 200) -> list[Shown]:
    """The notifications about open tasks this viewer should act on, newest first."""
    if not viewer.works_on_cases:
        return []
    now = now or utcnow()
    found = session.execute(
        select(Notification, HumanTask, Person.given_name, Person.family_name,
               Person.personal_code)
        .join(HumanTask, HumanTask.id == Notification.task_id)
        .outerjoin(Person, Person.id == HumanTask.person_id)
        .where(_addressed_to(viewer))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()
    names = process_names(session, {(task.process_key, task.process_version)
                                    for _, task, *_ in found})
    # One line per task: once its deadline has passed, the escalation says all the reminder did.
    escalated = {task.id for n, task, *_ in found if n.kind == ESCALATION}
    return [Shown(n.id, n.kind, n.created_at,
                  describe(task, names.get((task.process_key, task.process_version)), now,
                           given, family, code))
            for n, task, given, family, code in found
            if n.kind == ESCALATION or task.id not in escalated]


def count_for_viewer(session: Session, viewer: Viewer) -> int:
    """What waits for the viewer: tasks with a reminder or escalation, and messages to their
    organisation nobody has marked received yet."""
    if not viewer.works_on_cases:
        return 0
    return _task_count(session, viewer) + outbox.unconfirmed_count(session, viewer)


def _task_count(session: Session, viewer: Viewer) -> int:
    # Tasks, not notifications: a reminder and an escalation of one task are one thing to do.
    return int(session.scalar(
        select(func.count(func.distinct(Notification.task_id))).select_from(Notification)
        .join(HumanTask, HumanTask.id == Notification.task_id)
        .where(_addressed_to(viewer))) or 0)
