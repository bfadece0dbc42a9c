from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ProcessDefinition(Base):
    """One deployed version of a BPMN process. Running instances keep the version they started on."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("process_key", "version"),
        UniqueConstraint("process_key", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    file_name: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    # Loaded only when needed: the engine parses a version once and keeps the spec.
    source_xml: Mapped[str] = mapped_column(Text, deferred=True)
    # Decision tables (DMN) the process calls, by file name, so a version is self-contained.
    dmn_sources: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, deferred=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_by: Mapped[str] = mapped_column(String(120))
