from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow
from .instances import RecordScope


class CaseDocument(RecordScope, Base):
    """A document the product generated for a case (a support plan, a monthly report ...).

    The data it was rendered from is kept beside the PDF, so the same PDF can be rendered again
    from it and compared; the scope columns come from the instance, so the one access rule of
    ``app.access.scope`` decides who may download it.
    """

    __tablename__ = "case_document"
    __table_args__ = (
        Index("ix_case_document_instance_kind", "instance_id", "kind", "version", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    kind: Mapped[str] = mapped_column(String(40))
    # Counts from 1 per instance and kind: a re-approved plan is version 2.
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    template: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    content_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # A retried job that stores the same document again finds it by this key.
    idempotency_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
