"""Password sign-in attempts, kept for a few days so repeated failures can be throttled."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username", "username_key", "attempted_at"),
        Index("ix_login_attempt_ip", "ip_address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # A keyed hash of the username typed, never the name itself (app.auth.throttle.username_key).
    username_key: Mapped[str] = mapped_column(String(64))
    ip_address: Mapped[str] = mapped_column(String(45))
    # failed | succeeded | refused (not checked because the limit was reached)
    outcome: Mapped[str] = mapped_column(String(10))
