from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    # argon2 hash; empty for accounts that sign in through the identity provider only.
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    # Product roles (caseworker, supervisor, process_owner, auditor, admin …).
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Candidate groups the user belongs to; a user task offered to any of them appears in the inbox.
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    organisation_code: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(5), default="lv")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
