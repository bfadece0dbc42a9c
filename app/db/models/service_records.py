from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class ServiceRecordBatch(Base):
    """One submission of community-service records (P3) by a municipality for a period: a CSV or
    form entries through the portal, or a batch fetched from SOPA."""

    __tablename__ = "service_record_batch"
    __table_args__ = (
        Index("ix_service_record_batch_municipality", "municipality_code", "period_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(40))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    # PORTAL_CSV | PORTAL_FORM | SOPA | CORRECTION
    source: Mapped[str] = mapped_column(String(20))
    # The monthly submission cycle (p03_community_services) it belongs to, if any.
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ServiceRecord(RecordScope, Base):
    """One service given to one person, as submitted, with the validation's verdict.

    ``status``: pending (not validated yet), accepted, rejected (``errors`` says why), corrected
    (a rejected record replaced by the one whose ``corrects_id`` points to it), withdrawn (a
    rejected record the municipality took back). Only accepted
    records count for monitoring and open data (``app.community_services.records``).
    """

    __tablename__ = "service_record"
    __table_args__ = (
        Index("ix_service_record_person", "person_id", "service_type", "status", "period_from"),
        Index("ix_service_record_municipality", "municipality_code", "status", "period_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("service_record_batch.id"), index=True)
    # The sender's id (SOPA's record id, a CSV line's own id); a batch fetched twice is stored once.
    external_id: Mapped[str | None] = mapped_column(String(120))
    personal_code: Mapped[str] = mapped_column(String(12))
    service_type: Mapped[str] = mapped_column(String(40))
    provider_code: Mapped[str] = mapped_column(String(40))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    volume: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    # HOURS | DAYS | SESSIONS
    unit: Mapped[str] = mapped_column(String(10))
    cost_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    # [{rule, message_lv, message_en}] of the last validation
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("service_record.id"))
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
