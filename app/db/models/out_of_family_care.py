from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class ChildPlacement(RecordScope, Base):
    """A child's stay in out-of-family care (P9), one per P9 instance: where and since when, who
    started it (``source``: institution, npais, p10) and, once over, when and why it ended."""

    __tablename__ = "child_placement"
    __table_args__ = (
        Index("ix_child_placement_institution", "institution_code", "placement_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    placement_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))
    decision_reference: Mapped[str | None] = mapped_column(String(64))
    end_date: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PeriodicReportDelivery(RecordScope, Base):
    """One periodic report on a child in care (Law on Social Services and Social Assistance,
    art. 28) and the two acknowledgements of its delivery: the orphan court's (NPAIS) and the
    social service's (SOPA), each the receiving system's receipt id and time. The report's text
    stays in the instance's history (the task's completion event); this row is the register."""

    __tablename__ = "periodic_report_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    report_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    submitted_by: Mapped[str] = mapped_column(String(120))
    npais_report_id: Mapped[str] = mapped_column(String(64))
    npais_received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sopa_reference: Mapped[str] = mapped_column(String(64))
    sopa_received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the job that stored it: a retried job finds the row instead of adding another
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
