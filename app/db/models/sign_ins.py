"""Signed-in browser sessions, one row each, so that a session can be ended on the server.

The browser's cookie carries a random token; the row keeps only its SHA-256, so someone who
can read the database cannot take over a session. Only what ending a session needs is kept:
no address, no browser description.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class SignedInSession(Base):
    __tablename__ = "signed_in_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    # password | sso
    method: Mapped[str] = mapped_column(String(10))
    # Indexed for the pruning of old rows at sign-in (app.auth.service.KEEP_SIGNED_IN_SESSIONS).
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # NULL while the session is open.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # signed_out | idle | max_age | ended_by_admin | account_deactivated | replaced
    # (app.auth.service.SessionEnd)
    end_reason: Mapped[str | None] = mapped_column(String(24))
