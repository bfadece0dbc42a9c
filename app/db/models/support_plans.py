from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class SupportPlanVersion(RecordScope, Base):
    """One version of a person's individual support plan (IAP). Versions are never changed or
    deleted: the assessment (P1) makes the first, the municipality's later changes arrive from
    SOPA as new versions, and every one stays for comparison and monitoring.

    ``content``: ``goals`` (list of text), ``services`` (list of ``{service_type,
    hours_per_week, frequency, notes}``; service types as in ``app.domain.service_types``),
    ``responsible_municipality``, ``notes``.
    """

    __tablename__ = "support_plan_version"
    __table_args__ = (
        Index("ix_support_plan_version_person", "person_id", "version", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # Counts from 1 per person.
    version: Mapped[int] = mapped_column(Integer)
    # "assessment" (made in P1) or "municipality" (a later version from SOPA)
    source: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The sender's reference for a version from SOPA; a message delivered twice is stored once.
    external_reference: Mapped[str | None] = mapped_column(String(120), unique=True)
    # The job that stored the version: a retried job finds the version it stored before.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
