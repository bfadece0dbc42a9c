"""The statistics store (the product's LabIS side) and the open-data releases made from it.

Nothing here names a person: a person is a pseudonym (app/pseudonyms.py), keyed by a secret held
outside the database. The store is filled from register extracts and the product's own cases
(app/opendata/extract.py); the nine open-data sets are computed from it (docs/opendata.md).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class StatLoad(Base):
    """One extract read into the store: which source, which file (its SHA-256, so the same
    file is not read twice), how many rows, under which pseudonym key version, when and by whom.
    The facts of a source are those of its latest load."""

    __tablename__ = "stat_load"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(40), index=True)
    file_name: Mapped[str] = mapped_column(String(255), default="")
    content_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    key_version: Mapped[str] = mapped_column(String(8), default="")
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(120), default="")


class StatSubject(Base):
    """A person as the population register last described him: pseudonym, sex, month of birth
    (the first of the month; the day is not kept) and declared municipality (the product's
    territory code, data/territories.csv)."""

    __tablename__ = "stat_subject"

    pseudonym: Mapped[str] = mapped_column(String(40), primary_key=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_month: Mapped[date] = mapped_column(Date)
    municipality_code: Mapped[str] = mapped_column(String(20), index=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("stat_load.id"), index=True)


class StatFact(Base):
    """One fact of a source about a subject, over a span of days.

    ``subject`` is a pseudonym (or, for the register of service providers, the provider's
    registration number). ``municipality_code`` is where the fact belongs when that is not the
    person's declared residence (a provider's territory, the municipality a request was made to);
    empty means "the subject's". ``category`` (aid type, service type, benefit), ``severity``
    (disability group), ``months`` and ``amount_cents`` (insured months and contribution wage)
    are filled where the source has them."""

    __tablename__ = "stat_fact"
    __table_args__ = (
        Index("ix_stat_fact_source_started", "source", "started_on"),
        Index("ix_stat_fact_subject", "subject"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    load_id: Mapped[int] = mapped_column(ForeignKey("stat_load.id"), index=True)
    source: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(40))
    municipality_code: Mapped[str] = mapped_column(String(20), default="")
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(60), default="")
    severity: Mapped[str] = mapped_column(String(8), default="")
    months: Mapped[int | None] = mapped_column(Integer)
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)


class OpenDataRelease(Base):
    """One version of one data set for one period, as disclosure control let it out.

    ``status``: draft (prepared, awaiting the statistician's review), published, discarded.
    ``content`` holds the published table (columns and rows, suppressed cells marked); every
    format (CSV, JSON, data package) is rendered from it, so a published version never changes.
    Re-running a period makes the next version; earlier ones stay as history."""

    __tablename__ = "opendata_release"
    __table_args__ = (
        UniqueConstraint("dataset", "period", "version", name="uq_opendata_release_version"),
        Index("ix_opendata_release_status", "dataset", "status", "period_end"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(10))  # 2025, 2025-Q3 or 2025-10
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    definition_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    suppressed_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(120), default="")
    # Why the statistician returned a draft (also in the audit event ``opendata_discarded``).
    discard_reason: Mapped[str] = mapped_column(Text, default="")
