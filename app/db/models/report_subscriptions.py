from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ReportSubscriber(Base):
    """Where a person wants the monthly report pack sent. Accounts carry no e-mail address (the
    identity provider does not share one), so the person gives a work address when subscribing."""

    __tablename__ = "report_subscriber"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportSubscription(Base):
    """One report a person wants in the monthly pack. Whether they may still see it is checked
    again each month, when the pack is made under their access of that day."""

    __tablename__ = "report_subscription"
    __table_args__ = (
        Index("ix_report_subscription_user_report", "user_id", "report_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    report_id: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportPack(Base):
    """A person's monthly pack: the PDF of their subscribed reports for one month, made under
    their access, and the e-mail that tells them it is there. One per person and month, so a
    repeated run of the month finds it and queues nothing again."""

    __tablename__ = "report_pack"
    __table_args__ = (
        Index("ix_report_pack_user_period", "user_id", "period", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    # YYYY-MM: the month the figures are for.
    period: Mapped[str] = mapped_column(String(7))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # The reports the pack holds, in the order they appear, and the periods each was run for.
    contents: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
