from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class Person(Base):
    """A client: the subject of a case file. Every read of it goes through ``app.access``."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised ``DDMMYY-NNNNN``; validated with python-stdnum before it is stored.
    personal_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    given_name: Mapped[str] = mapped_column(String(120))
    family_name: Mapped[str] = mapped_column(String(120))
    # Lower-cased "given family" for search; the inbox and case search match on it.
    search_name: Mapped[str] = mapped_column(String(250), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    address: Mapped[str] = mapped_column(String(500), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    # The record's scope: who is responsible for the person and who may therefore see them.
    municipality_code: Mapped[str | None] = mapped_column(
        ForeignKey("organisation.code"), index=True)
    institution_code: Mapped[str | None] = mapped_column(ForeignKey("organisation.code"), index=True)
    orphan_court_code: Mapped[str | None] = mapped_column(ForeignKey("organisation.code"), index=True)
    # Adoption data: visible only to the adoption register unit (and auditors, read-only).
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
