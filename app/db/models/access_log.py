from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class AccessLogEntry(Base):
    """Who looked at (or was refused) which record, and when. Append-only.

    Holds record ids, never personal codes or names, so the log itself can be shown to auditors
    and data-protection inspectors without disclosing more than it records.
    """

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_record", "record_type", "record_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(120), index=True)
    organisation_code: Mapped[str | None] = mapped_column(String(40))
    # view | download | search | export | denied
    action: Mapped[str] = mapped_column(String(20))
    # person | task | instance | attachment
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int | None] = mapped_column(Integer)
    # The route that was asked for (path without the query string).
    path: Mapped[str] = mapped_column(String(500), default="")
