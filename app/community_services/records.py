"""Service records (P3): storing a submission, validating it, correcting rejected records, and the
one query monitoring and open data (D9) read: ``accepted_records``.

Functions take a session and plain values and never commit; the caller owns the transaction.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.access import record_kinds
from app.access.scope import Viewer, record_filter
from app.assessment.plans import current_plan
from app.cases import personal_codes
from app.db.models import Person, ServiceRecord, ServiceRecordBatch
from app.domain.calendar import parse_date
from app.domain.community_services import (
    Booked,
    PlanPeriod,
    ServiceRecordData,
    validate_record,
)
from app.forms.service import parse_money

from .providers import registered_providers

CSV_COLUMNS = ("personal_code", "service_type", "provider_code", "period_from", "period_to",
               "volume", "unit", "cost_cents")


class RecordError(ValueError):
    """A submitted row that cannot even be read as a record (bad date, bad number)."""


@dataclass(frozen=True)
class ValidationSummary:
    checked: int
    accepted: int
    rejected: int
    # Rejected records of the period still waiting for a correction (this round's and earlier).
    outstanding: int = 0

    def as_result(self) -> dict[str, int]:
        return {"checked": self.checked, "accepted": self.accepted, "rejected": self.rejected,
                "outstanding": self.outstanding}


def _cents_of(euro: str) -> int:
    amount = parse_money(euro)
    if amount is None:
        raise ValueError(f"not an amount in euro: {euro[:20]}")
    return int(amount * 100)


def read_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A record's fields from a CSV line, a form or a SOPA record; raises RecordError."""
    # The portal's form asks for euro as people write them; CSV files and SOPA carry cents.
    typed_euro = str(row.get("cost_eur", "") or "").strip()
    missing = [c for c in CSV_COLUMNS if str(row.get(c, "") or "").strip() == ""
               and not (c == "cost_cents" and typed_euro)]
    if missing:
        raise RecordError("missing: " + ", ".join(missing))
    try:
        volume = Decimal(str(row["volume"]).strip().replace(",", "."))
        cost = _cents_of(typed_euro) if typed_euro else int(str(row["cost_cents"]).strip())
        period_from, period_to = parse_date(str(row["period_from"])), parse_date(str(row["period_to"]))
    except (InvalidOperation, ValueError) as err:
        raise RecordError(f"unreadable value: {err}") from None
    code = str(row["personal_code"]).strip()
    try:
        code = personal_codes.normalise(code)
    except personal_codes.InvalidPersonalCode:
        pass  # kept as given; the validation reports the person as unknown
    return {"personal_code": code[:12], "service_type": str(row["service_type"]).strip().upper(),
            "provider_code": str(row["provider_code"]).strip().upper(), "period_from": period_from,
            "period_to": period_to, "volume": volume, "unit": str(row["unit"]).strip().upper(),
            "cost_cents": cost, "external_id": (str(row.get("external_id") or "").strip() or None)}


def parse_csv(text: str) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """The rows of an uploaded CSV (comma or semicolon separated) and the lines that cannot be
    read, numbered as a spreadsheet shows them (the header is line 1)."""
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows, problems = [], []
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    absent = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if absent:
        return [], [(1, "missing columns: " + ", ".join(absent))]
    for number, row in enumerate(reader, start=2):
        try:
            rows.append(read_row(row))
        except RecordError as err:
            problems.append((number, str(err)))
    return rows, problems


def submit_batch(session: Session, *, municipality_code: str, period_from: date, period_to: date,
                 source: str, rows: Iterable[Mapping[str, Any]], submitted_by: str,
                 instance_id: int | None = None) -> ServiceRecordBatch:
    """Store a submission's records as pending. A record whose external id the municipality sent
    before (a SOPA batch fetched twice) is not stored again."""
    batch = ServiceRecordBatch(municipality_code=municipality_code, period_from=period_from,
                               period_to=period_to, source=source, instance_id=instance_id,
                               submitted_by=submitted_by)
    session.add(batch)
    session.flush()
    for row in rows:
        if row.get("external_id") and session.scalar(
                select(ServiceRecord.id).where(ServiceRecord.municipality_code == municipality_code,
                                               ServiceRecord.external_id == row["external_id"])):
            continue
        session.add(_new_record(session, batch, row))
    session.flush()
    return batch


def _new_record(session: Session, batch: ServiceRecordBatch, row: Mapping[str, Any],
                corrects_id: int | None = None) -> ServiceRecord:
    person_id = session.scalar(select(Person.id).where(Person.personal_code == row["personal_code"]))
    return ServiceRecord(
        batch_id=batch.id, external_id=row.get("external_id"), personal_code=row["personal_code"],
        service_type=row["service_type"], provider_code=row["provider_code"],
        period_from=row["period_from"], period_to=row["period_to"], volume=row["volume"],
        unit=row["unit"], cost_cents=int(row["cost_cents"]), status="pending", errors=[],
        corrects_id=corrects_id, person_id=person_id, record_kind=record_kinds.SERVICE,
        municipality_code=batch.municipality_code, confidential=False)


def _plan_period(session: Session, person_id: int, on: date) -> PlanPeriod | None:
    plan = current_plan(session, person_id, on)
    if plan is None:
        return None
    return PlanPeriod(valid_from=plan.valid_from, valid_to=plan.valid_to,
                      services=list((plan.content or {}).get("services") or []))


def validate_pending(session: Session, municipality_code: str, period_from: date | None = None,
                     period_to: date | None = None) -> ValidationSummary:
    """Validate the municipality's pending records (of a period, if given), oldest first, so a
    record accepted here counts for the duplicate rule of the records after it."""
    query = select(ServiceRecord).where(ServiceRecord.municipality_code == municipality_code,
                                        ServiceRecord.status == "pending")
    if period_from is not None and period_to is not None:
        query = query.where(ServiceRecord.period_from <= period_to,
                            ServiceRecord.period_to >= period_from)
    pending = list(session.scalars(query.order_by(ServiceRecord.id)))
    accepted = rejected = 0
    providers = registered_providers()
    now = datetime.now(UTC)
    for record in pending:
        findings = validate_one(session, record, providers)
        record.errors = [{"rule": f.rule, "message_lv": f.message_lv, "message_en": f.message_en}
                         for f in findings]
        record.status = "rejected" if findings else "accepted"
        record.validated_at = now
        if findings:
            rejected += 1
        else:
            accepted += 1
        session.flush()
    return ValidationSummary(len(pending), accepted, rejected,
                             _count_rejected(session, municipality_code, period_from, period_to))


def _count_rejected(session: Session, municipality_code: str, period_from: date | None,
                    period_to: date | None) -> int:
    query = select(func.count()).select_from(ServiceRecord).where(
        ServiceRecord.municipality_code == municipality_code, ServiceRecord.status == "rejected")
    if period_from is not None and period_to is not None:
        query = query.where(ServiceRecord.period_from <= period_to,
                            ServiceRecord.period_to >= period_from)
    return session.scalar(query) or 0


def validate_one(session: Session, record: ServiceRecord, providers: Mapping[str, Any]) -> list[Any]:
    data = ServiceRecordData(
        personal_code=record.personal_code, service_type=record.service_type,
        provider_code=record.provider_code, period_from=record.period_from,
        period_to=record.period_to, volume=Decimal(record.volume), unit=record.unit,
        cost_cents=int(record.cost_cents))
    if record.person_id is None:  # the person may have been registered since the submission
        record.person_id = session.scalar(select(Person.id).where(
            Person.personal_code == record.personal_code))
    plan = _plan_period(session, record.person_id, record.period_from) if record.person_id else None
    booked = [Booked(b.service_type, b.provider_code, b.period_from, b.period_to)
              for b in session.scalars(select(ServiceRecord).where(
                  ServiceRecord.person_id == record.person_id, ServiceRecord.status == "accepted",
                  ServiceRecord.id != record.id))] if record.person_id else []
    return validate_record(data, person_known=record.person_id is not None, plan=plan,
                           provider=providers.get(record.provider_code), booked=booked)


def correct_record(session: Session, record: ServiceRecord, row: Mapping[str, Any],
                   submitted_by: str) -> ServiceRecord:
    """A corrected copy of a rejected record, pending validation; the rejected one is kept,
    marked corrected, so the report still shows what was wrong."""
    if record.status != "rejected":
        raise RecordError("only a rejected record can be corrected")
    batch = ServiceRecordBatch(municipality_code=record.municipality_code or "",
                               period_from=row["period_from"], period_to=row["period_to"],
                               source="CORRECTION", submitted_by=submitted_by,
                               instance_id=session.get(ServiceRecordBatch, record.batch_id).instance_id  # type: ignore[union-attr]
                               )
    session.add(batch)
    session.flush()
    corrected = _new_record(session, batch, dict(row, external_id=None), corrects_id=record.id)
    record.status = "corrected"
    session.add(corrected)
    session.flush()
    return corrected


def withdraw_record(record: ServiceRecord) -> None:
    """The municipality takes back a rejected record it cannot correct (sent by mistake); it stays
    in the report as withdrawn and no longer holds up the month."""
    if record.status != "rejected":
        raise RecordError("only a rejected record can be withdrawn")
    record.status = "withdrawn"


def visible_records(viewer: Viewer) -> Select[ServiceRecord]:
    """Records the viewer may read: a municipality its own, a region its region, the ministry all."""
    return select(ServiceRecord).where(record_filter(viewer, ServiceRecord))


def accepted_records(session: Session, *, viewer: Viewer | None = None,
                     municipality_codes: Sequence[str] | None = None,
                     period_from: date | None = None, period_to: date | None = None,
                     service_type: str | None = None,
                     person_id: int | None = None) -> list[ServiceRecord]:
    """The accepted service records: what monitoring and open data D9 count. Given a ``viewer``,
    only those in their scope (what a person is shown); without one, all (the open-data job)."""
    query = (visible_records(viewer) if viewer is not None
             else select(ServiceRecord)).where(ServiceRecord.status == "accepted")
    if municipality_codes is not None:
        query = query.where(ServiceRecord.municipality_code.in_(municipality_codes))
    if period_from is not None:
        query = query.where(ServiceRecord.period_to >= period_from)
    if period_to is not None:
        query = query.where(ServiceRecord.period_from <= period_to)
    if service_type is not None:
        query = query.where(ServiceRecord.service_type == service_type)
    if person_id is not None:
        query = query.where(ServiceRecord.person_id == person_id)
    return list(session.scalars(query.order_by(ServiceRecord.period_from, ServiceRecord.id)))


def error_report_csv(records: Iterable[ServiceRecord], lang: str = "lv") -> str:
    """The per-record error report as CSV: the record's fields and what is wrong with it."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["record_id", *CSV_COLUMNS, "status", "errors"])
    key = "message_en" if lang == "en" else "message_lv"
    for r in records:
        writer.writerow([r.id, r.personal_code, r.service_type, r.provider_code,
                         r.period_from.isoformat(), r.period_to.isoformat(), r.volume, r.unit,
                         r.cost_cents, r.status, " | ".join(e[key] for e in r.errors or [])])
    return out.getvalue()
