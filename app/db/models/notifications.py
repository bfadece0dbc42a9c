from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class Notification(RecordScope, Base):
    """A reminder that a task's deadline is near, or an escalation to the supervisors that it has
    passed. Made by a process's boundary timer (operations ``tasks.remind`` / ``tasks.escalate``).

    It is addressed to one person (the task's assignee) or to groups (space-separated, matched
    whole-word like a task's candidate groups), and carries the task's scope columns, so the one
    access rule decides who sees it. It is shown while its task is open.
    """

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_task", "task_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # reminder | escalation
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    recipient_username: Mapped[str | None] = mapped_column(String(120))
    recipient_groups: Mapped[str] = mapped_column(String(255), default="")
    # The job that made it: a retried job finds what it made before instead of repeating it.
    idempotency_key: Mapped[str] = mapped_column(String(120), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
