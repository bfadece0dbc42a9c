"""A process instance and the rows derived from its workflow state.

The serialised workflow is the truth; ``human_task``, ``timer``, ``job`` and
``message_subscription`` are derived from it in the same transaction, so lists and schedulers
query indexed tables and never deserialise workflows.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class RecordScope:
    """Columns that say whose record a row is; ``app.access.scope`` filters every query on them.

    An instance takes them from its person when it starts, and its human tasks copy them, so
    the inbox filters one indexed table instead of joining through instances and persons.
    """

    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # assessment | service | child_protection | adoption | other (see app.access.record_kinds)
    record_kind: Mapped[str] = mapped_column(String(20), default="other")
    municipality_code: Mapped[str | None] = mapped_column(String(40))
    institution_code: Mapped[str | None] = mapped_column(String(40))
    orphan_court_code: Mapped[str | None] = mapped_column(String(40))
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)


def sparse_index(name: str, *columns: str) -> Index:
    """An index over the rows whose first column is set. Every engine step writes these two
    tables, and each index entry is work in its commit; a column that is often empty (a task
    nobody has claimed or completed, a record with no institution) then costs nothing. Queries
    that compare the column (``=``, ``IN``) use such an index on both databases; none of the
    product's queries look for the empty rows through these indexes (``scope.unassigned``)."""
    where = text(f"{columns[0]} IS NOT NULL")
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class ProcessInstance(RecordScope, Base):
    __tablename__ = "process_instance"
    __table_args__ = (
        sparse_index("ix_process_instance_person_id", "person_id"),
        sparse_index("ix_process_instance_municipality", "municipality_code", "status"),
        sparse_index("ix_process_instance_institution", "institution_code", "status"),
        sparse_index("ix_process_instance_orphan_court", "orphan_court_code", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(Integer)  # indexed above
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(120), index=True)
    business_key: Mapped[str | None] = mapped_column(String(120), index=True)
    # active | suspended | completed | terminated
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    state: Mapped[str] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The instance's event chain: sequence number and hash of its last event.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")
    # Optimistic concurrency: every write checks and bumps this number.
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it once


class HumanTask(RecordScope, Base):
    """A user task waiting for (or done by) a person: the only table the inbox reads."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_open", "status", "due_at"),
        # An engine step reads its instance's open rows by both columns. With the status in the
        # same index PostgreSQL never ANDs it with the large "every open task" part of
        # ix_human_task_open, which it did when its statistics were behind a growing table
        # (bench/engine.py: completions slowed with the number of open tasks).
        Index("ix_human_task_instance_status", "instance_id", "status"),
        sparse_index("ix_human_task_person_id", "person_id"),
        sparse_index("ix_human_task_assignee", "assignee"),
        sparse_index("ix_human_task_municipality", "municipality_code", "status", "due_at"),
        sparse_index("ix_human_task_institution", "institution_code", "status", "due_at"),
        sparse_index("ix_human_task_orphan_court", "orphan_court_code", "status", "due_at"),
        # The "completed" tab: a person's completed tasks, newest first. Status and confidential
        # are in it so that SQLite, which has no statistics, prefers it to the scope indexes
        # (those hold every completed task of a municipality); see bench/inbox.py.
        sparse_index("ix_human_task_completed", "completed_by", "status", "confidential",
                     "completed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(Integer)  # indexed above
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    process_key: Mapped[str] = mapped_column(String(120))
    process_version: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(120))
    element_id: Mapped[str] = mapped_column(String(255))
    element_name: Mapped[str] = mapped_column(String(255))
    form_key: Mapped[str | None] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(255))
    # Space-separated group names; a person in any of them may claim the task.
    candidate_groups: Mapped[str] = mapped_column(String(500), default="")
    assignee: Mapped[str | None] = mapped_column(String(120))  # indexed above
    # Set while the task is delegated: the person who delegated it and gets it back when the
    # delegate is done or when they take it back.
    delegated_by: Mapped[str | None] = mapped_column(String(120))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When someone should look at the task again, before it is due (BPMN followUpDate property).
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # open | completed | cancelled
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(120))


class Timer(Base):
    """A timer event the instance waits on; the scheduler fires it when ``due_at`` has passed."""

    __tablename__ = "timer"
    __table_args__ = (Index("ix_timer_due", "status", "due_at", "id"),
                      Index("ix_timer_instance_status", "instance_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_guid: Mapped[str] = mapped_column(String(36), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # waiting | fired | cancelled | incident
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Job(Base):
    """A service task to run outside any web request, with retries and a lease."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_due", "status", "next_attempt_at", "id"),
                      Index("ix_job_instance_status", "instance_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_guid: Mapped[str] = mapped_column(String(36), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(120))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # ready | running | done | incident | cancelled
    status: Mapped[str] = mapped_column(String(20), default="ready")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Sent with every call, so a retried call is applied at most once by the receiving system.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageSubscription(Base):
    """A message catch event the instance waits on, so correlation never scans workflows."""

    __tablename__ = "message_subscription"
    __table_args__ = (Index("ix_message_subscription_lookup", "message_name", "business_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(255))
    message_name: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Incident(Base):
    """Something the engine could not do by itself; stays open until an operator resolves it."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))
    timer_id: Mapped[int | None] = mapped_column(ForeignKey("timer.id"))
    element_id: Mapped[str | None] = mapped_column(String(255))
    # job | timer | script | message
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by: Mapped[str | None] = mapped_column(String(120))
