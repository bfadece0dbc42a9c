from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class OutboxMessage(RecordScope, Base):
    """One notification to one organisation over one channel (NPAIS notice, e-mail, in-app),
    queued by a process (operation ``outbox.send``) and delivered by the outbox sender.

    Status: queued → sent → acknowledged, or failed with the reason in ``last_error``. While a
    sender works on a queued row it holds a lease (``locked_by``/``locked_until``), so two
    senders never deliver the same row; ``next_attempt_at`` is when it is due (the next attempt
    of a queued row, the next acknowledgement poll of a sent NPAIS notice). The scope columns
    are the instance's, so the one access rule decides who reads it.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_recipient", "channel", "recipient_code", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # The job that queued it: a retried job finds its rows instead of queueing them again.
    idempotency_key: Mapped[str] = mapped_column(String(120), index=True)
    # The key this row is delivered under (NPAIS applies a key once), unique per row.
    delivery_key: Mapped[str] = mapped_column(String(128), unique=True)
    case_reference: Mapped[str] = mapped_column(String(120))
    topic: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    # orphan_court | social_service | ministry | institution | police | child_rights_inspectorate
    recipient_role: Mapped[str] = mapped_column(String(40))
    recipient_code: Mapped[str] = mapped_column(String(40))
    recipient_name: Mapped[str] = mapped_column(String(200))
    # npais | email | in_app; ``address`` is the NPAIS court code or the e-mail address.
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(254), default="")
    # queued | sent | acknowledged | failed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # With a message broker: when the row's id was last handed to it.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # NPAIS's notice id, or the e-mail's Message-ID.
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
