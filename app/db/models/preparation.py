from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class SelfCareAssessment(RecordScope, Base):
    """One self-care ability assessment of a VSAC resident (P6); ``scores`` maps each skill area
    of forms/p06_self_care_scale.json to a level 0–4. Kept for comparison over time."""

    __tablename__ = "self_care_assessment"
    __table_args__ = (Index("ix_self_care_assessment_person", "person_id", "assessed_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    assessed_on: Mapped[date] = mapped_column(Date)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    assessed_by: Mapped[str] = mapped_column(String(120))
    # The job that stored it: a retried job finds the row instead of adding another.
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DailyActivityEntry(RecordScope, Base):
    """A mentor's log entry about a resident's daily activity (P6)."""

    __tablename__ = "daily_activity_entry"
    __table_args__ = (Index("ix_daily_activity_entry_person", "person_id", "entry_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_date: Mapped[date] = mapped_column(Date)
    activity: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    # 0 (could not even with help) … 4 (independently), as on the self-care scale
    independence_level: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    mentor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
