from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class NskEligibility(RecordScope, Base):
    """One NSK eligibility check of a person (P7's eligibility process): the facts it used, the
    result and every condition with whether it was met (``reasons``: code, met, message_lv,
    message_en). The latest check of a person decides whether the monthly report includes him."""

    __tablename__ = "nsk_eligibility"
    __table_args__ = (Index("ix_nsk_eligibility_municipality", "municipality_code", "eligible"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    checked_on: Mapped[date] = mapped_column(Date)
    eligible: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    birth_date: Mapped[date | None] = mapped_column(Date)
    # The discharge date of the VSAC stay: the last day of state-funded care.
    care_ended_on: Mapped[date | None] = mapped_column(Date)
    entered_as_child: Mapped[bool] = mapped_column(Boolean, default=False)
    # The VDEĀVK answer (vdeavk.get_disability_status), when the rule needed it.
    disability: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NskReport(RecordScope, Base):
    """One version of a municipality's monthly NSK compensation report. A report the ministry
    returns is kept (status ``returned`` with the reason) and the corrected one is the next
    version. ``status``: submitted, returned, approved."""

    __tablename__ = "nsk_report"
    __table_args__ = (
        UniqueConstraint("instance_id", "version", name="uq_nsk_report_instance_version"),
        Index("ix_nsk_report_municipality", "municipality_code", "period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    persons: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    # The rates the decision table gave: [{service_type, unit, rate_cents}]
    rates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    return_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NskCompensation(RecordScope, Base):
    """A report version's line: one service record of one person, its eligible days and the
    compensation in cents (``reasons``: why days did not count)."""

    __tablename__ = "nsk_compensation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("nsk_report.id"), index=True)
    service_record_id: Mapped[int] = mapped_column(ForeignKey("service_record.id"))
    service_type: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(10))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    volume: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    cost_cents: Mapped[int] = mapped_column(BigInteger)
    days_in_month: Mapped[int] = mapped_column(Integer)
    eligible_days: Mapped[int] = mapped_column(Integer)
    rate_cents: Mapped[int | None] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class NskPayment(RecordScope, Base):
    """The payment instruction recorded when the ministry approves a report: the amount the
    municipality is paid for the month, with its reference."""

    __tablename__ = "nsk_payment"
    __table_args__ = (Index("ix_nsk_payment_municipality", "municipality_code", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("nsk_report.id"), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(80), unique=True)
    instructed_on: Mapped[date] = mapped_column(Date)
    approved_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
