"""Derives the report tables of ``app.db.models.report_facts`` from what the processes keep.

P1 keeps the needs levels an interviewer gave only in the interview's ``task_completed`` event,
and the services of an IAP inside the plan version's JSON; the outcomes and the planned-vs-
delivered reports need them as rows. ``refresh`` reads what is new since its cursor (events and
plan versions only ever get added) and writes one row per domain or service, in its own unit of
work: the cursor rows are locked (``FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE``), so two reports
refreshing at once derive each row once. The engine refreshes before a report that reads them.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import WRITE_OPTION, transaction
from app.db.models import (
    Event,
    ProcessInstance,
    ReportFactCursor,
    ReportGroupHome,
    ReportNeedsLevel,
    ReportPlannedService,
    SupportPlanVersion,
)
from app.domain import group_homes
from app.domain.calendar import RIGA
from app.domain.needs_assessment import needs_levels_by_domain

P1_KEY = "p01_adult_needs_assessment"
INTERVIEW = "interview"
NEEDS_CURSOR = "needs_levels"
PLANS_CURSOR = "planned_services"
# Rows read per round: enough to catch up a national backlog in a few dozen statements.
BATCH = 2000


def refresh(session: Session) -> dict[str, int]:
    """Bring the derived tables up to date in a unit of work of their own (committed), using
    the database ``session`` is bound to; returns how many rows each derivation added.

    Inside a caller's unit of work (``app.db.transaction``, which already holds SQLite's write
    lock) the rows are written in it instead, for the caller to commit: a second writer would
    wait for the first. A caller's read transaction that began before the refresh keeps its
    snapshot on SQLite (PostgreSQL reads each statement afresh), so a report reads best from a
    session that has not read yet, as the report pages do."""
    if session.in_transaction() and session.connection().get_execution_options().get(
            WRITE_OPTION, False):
        return refresh_in(session)
    factory = sessionmaker(bind=session.get_bind(), expire_on_commit=False)
    with transaction(factory) as work:
        return refresh_in(work)


def refresh_in(session: Session) -> dict[str, int]:
    """The same, in the caller's unit of work (which must hold the write lock and commit)."""
    cursors = _cursors(session)
    added = {NEEDS_CURSOR: _needs_levels(session, cursors[NEEDS_CURSOR]),
             PLANS_CURSOR: _planned_services(session, cursors[PLANS_CURSOR])}
    _group_homes(session)
    session.flush()
    return added


def _cursors(session: Session) -> dict[str, ReportFactCursor]:
    names = (NEEDS_CURSOR, PLANS_CURSOR)
    found = {c.name: c for c in session.scalars(
        select(ReportFactCursor).where(ReportFactCursor.name.in_(names))
        .with_for_update())}
    for name in names:
        if name not in found:
            found[name] = ReportFactCursor(name=name, last_id=0)
            session.add(found[name])
    session.flush()
    return found


def _scope(row: Any) -> dict[str, Any]:
    return {"person_id": row.person_id, "record_kind": row.record_kind,
            "municipality_code": row.municipality_code, "institution_code": row.institution_code,
            "orphan_court_code": row.orphan_court_code, "confidential": row.confidential}


def _needs_levels(session: Session, cursor: ReportFactCursor) -> int:
    added = 0
    while True:
        batch = session.execute(
            select(Event.id, Event.instance_id, Event.occurred_at, Event.detail,
                   ProcessInstance.person_id, ProcessInstance.record_kind,
                   ProcessInstance.municipality_code, ProcessInstance.institution_code,
                   ProcessInstance.orphan_court_code, ProcessInstance.confidential)
            .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
            .where(Event.id > cursor.last_id, Event.kind == "task_completed",
                   Event.element_id == INTERVIEW, ProcessInstance.process_key == P1_KEY)
            .order_by(Event.id).limit(BATCH)).all()
        if not batch:
            return added
        for event in batch:
            data = event.detail.get("data") if isinstance(event.detail, Mapping) else None
            needs = data.get("needs") if isinstance(data, Mapping) else None
            try:
                levels = needs_levels_by_domain(needs if isinstance(needs, dict) else None)
            except (ValueError, TypeError):
                levels = {}  # an interview the form would have refused: nothing to count
            assessed_on = event.occurred_at.astimezone(RIGA).date()
            for domain, level in sorted(levels.items()):
                session.add(ReportNeedsLevel(event_id=event.id, instance_id=event.instance_id,
                                             assessed_on=assessed_on, domain=domain[:40],
                                             level=level, **_scope(event)))
                added += 1
        cursor.last_id = batch[-1].id
        session.flush()


def _hours(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _planned_services(session: Session, cursor: ReportFactCursor) -> int:
    added = 0
    while True:
        batch = session.scalars(select(SupportPlanVersion)
                                .where(SupportPlanVersion.id > cursor.last_id)
                                .order_by(SupportPlanVersion.id).limit(BATCH)).all()
        if not batch:
            return added
        for version in batch:
            seen: set[str] = set()
            for service in (version.content or {}).get("services") or []:
                code = str(service.get("service_type") or "")[:40]
                if not code or code in seen:  # the plan rule allows each type once
                    continue
                seen.add(code)
                session.add(ReportPlannedService(
                    plan_version_id=version.id, instance_id=version.instance_id,
                    plan_version=version.version, service_type=code,
                    hours_per_week=_hours(service.get("hours_per_week")),
                    valid_from=version.valid_from, valid_to=version.valid_to, **_scope(version)))
                added += 1
        cursor.last_id = batch[-1].id
        session.flush()


def _group_homes(session: Session) -> None:
    """The register file as a table (it changes when the ministry replaces the file)."""
    stored = {h.code: h for h in session.scalars(select(ReportGroupHome))}
    for home in group_homes.register().values():
        row = stored.get(home.code)
        if row is None:
            session.add(ReportGroupHome(code=home.code, municipality_code=home.municipality_code,
                                        daily_cost_cents=home.daily_cost_cents,
                                        capacity=home.capacity))
        elif (row.municipality_code, row.daily_cost_cents, row.capacity) != (
                home.municipality_code, home.daily_cost_cents, home.capacity):
            row.municipality_code = home.municipality_code
            row.daily_cost_cents = home.daily_cost_cents
            row.capacity = home.capacity
