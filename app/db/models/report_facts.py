"""Figures the monitoring reports need that the processes keep only inside workflow data or
documents, derived into small indexed tables (``app.reports.facts`` writes them) so reports
aggregate them in SQL instead of reading JSON row by row.

Each derived row carries the record scope of the row it came from, so
``app.access.scope.record_filter`` applies to it like to any other.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base
from .instances import RecordScope


class ReportNeedsLevel(RecordScope, Base):
    """One life domain's needs level (0–4) at one completed P1 interview (the ``task_completed``
    event it came from). A person's first interview is the baseline; a later one is a
    re-assessment."""

    __tablename__ = "report_needs_level"
    __table_args__ = (
        UniqueConstraint("event_id", "domain", name="uq_report_needs_level_event_domain"),
        Index("ix_report_needs_level_person", "person_id", "domain", "assessed_on"),
        Index("ix_report_needs_level_municipality", "municipality_code", "assessed_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    assessed_on: Mapped[date] = mapped_column(Date)
    domain: Mapped[str] = mapped_column(String(40))
    level: Mapped[int] = mapped_column(Integer)


class ReportPlannedService(RecordScope, Base):
    """One service of one IAP version (``support_plan_version.content['services']``), with the
    version's validity, so "planned vs delivered" is a join on indexed columns."""

    __tablename__ = "report_planned_service"
    __table_args__ = (
        UniqueConstraint("plan_version_id", "service_type",
                         name="uq_report_planned_service_version_type"),
        Index("ix_report_planned_service_municipality", "municipality_code", "valid_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("support_plan_version.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    plan_version: Mapped[int] = mapped_column(Integer)
    service_type: Mapped[str] = mapped_column(String(40))
    hours_per_week: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ReportGroupHome(Base):
    """The group-home register (``data/group_homes.csv``) as a table: the daily cost the
    co-financing report multiplies the days of service by."""

    __tablename__ = "report_group_home"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(40))
    daily_cost_cents: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)


class ReportFactCursor(Base):
    """How far each derivation has read its source (the highest row id done), so each run
    derives only what is new."""

    __tablename__ = "report_fact_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
