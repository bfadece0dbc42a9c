from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class CoPaymentMonth(RecordScope, Base):
    """One month's co-payment calculation of a VSAC resident (P8), as the caseworker confirmed or
    corrected it. A recalculation (SAIS reported a correction) adds the next ``version`` of the
    month; earlier versions stay. Amounts are whole euro cents; ``payments`` is what SAIS reported
    (kind, amount_cents, paid_on, period, reference)."""

    __tablename__ = "co_payment_month"
    __table_args__ = (
        UniqueConstraint("instance_id", "period", "version",
                         name="uq_co_payment_month_instance_period_version"),
        Index("ix_co_payment_month_institution", "institution_code", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    version: Mapped[int] = mapped_column(Integer, default=1)
    payments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total_cents: Mapped[int] = mapped_column(Integer)
    minimum_percent: Mapped[int] = mapped_column(Integer)
    minimum_allowance_cents: Mapped[int] = mapped_column(Integer)
    allowance_cents: Mapped[int] = mapped_column(Integer)
    co_payment_cents: Mapped[int] = mapped_column(Integer)
    confirmed_by: Mapped[str] = mapped_column(String(120))
    # set when the caseworker changed the allowance: why
    correction_reason: Mapped[str | None] = mapped_column(Text)
    # the job that stored it: a retried job finds the row instead of adding another
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
