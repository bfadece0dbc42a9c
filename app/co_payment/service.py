"""The co-payment months of P8, written and read. No Flask here."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import CoPaymentMonth, HumanTask, ProcessInstance
from app.domain import co_payment as rules
from app.engine.runtime import Actor

PROCESS_KEY = "p08_co_payment"
CORRECTION_MESSAGE = "p08_sais_correction"


def case_reference(person_id: int, admission_date: date) -> str:
    return f"P8-{admission_date.isoformat()}-{person_id:06d}"


def confirmed_by(session: Session, instance_id: int) -> str:
    """Who completed the instance's latest confirmation task."""
    return session.scalar(select(HumanTask.completed_by).where(
        HumanTask.instance_id == instance_id, HumanTask.element_id == "confirm_calculation",
        HumanTask.status == "completed").order_by(HumanTask.id.desc()).limit(1)) or "system"


def record_month(session: Session, instance: ProcessInstance, period: str,
                 payments: Mapping[str, Any], allowance_cents: int | None,
                 correction_reason: str | None, idempotency_key: str | None) -> CoPaymentMonth:
    """Store the month as confirmed (``allowance_cents`` None) or corrected; a month calculated
    again gets the next version. ``CalculationRefused`` if the law does not allow it."""
    if idempotency_key:
        earlier = session.scalars(select(CoPaymentMonth).where(
            CoPaymentMonth.idempotency_key == idempotency_key)).first()
        if earlier is not None:
            return earlier
    total = payments.get("total_cents")
    if isinstance(total, bool) or not isinstance(total, int):
        raise rules.CalculationRefused("SAIS gave no total in whole cents")
    calculation = rules.calculate(period, total, allowance_cents)
    version = (session.scalar(select(func.max(CoPaymentMonth.version)).where(
        CoPaymentMonth.instance_id == instance.id, CoPaymentMonth.period == period)) or 0) + 1
    row = CoPaymentMonth(
        instance_id=instance.id, period=period, version=version,
        payments=list(payments.get("payments") or []), total_cents=calculation.total_cents,
        minimum_percent=calculation.minimum_percent,
        minimum_allowance_cents=calculation.minimum_allowance_cents,
        allowance_cents=calculation.allowance_cents, co_payment_cents=calculation.co_payment_cents,
        confirmed_by=confirmed_by(session, instance.id),
        correction_reason=(correction_reason or None) if allowance_cents is not None else None,
        idempotency_key=idempotency_key, person_id=instance.person_id,
        record_kind=instance.record_kind, municipality_code=instance.municipality_code,
        institution_code=instance.institution_code, orphan_court_code=instance.orphan_court_code,
        confidential=instance.confidential)
    session.add(row)
    session.flush()
    return row


def statement_data(row: CoPaymentMonth, person_name: str) -> dict[str, Any]:
    first, last = rules.period_bounds(row.period)
    return {"person_name": person_name, "institution_code": row.institution_code or "",
            "period": row.period, "period_from": first.isoformat(), "period_to": last.isoformat(),
            "version": row.version, "payments": row.payments, "total_cents": row.total_cents,
            "minimum_percent": row.minimum_percent,
            "minimum_allowance_cents": row.minimum_allowance_cents,
            "allowance_cents": row.allowance_cents, "co_payment_cents": row.co_payment_cents,
            "confirmed_by": row.confirmed_by, "correction_reason": row.correction_reason or ""}


def months_of(session: Session, instance_ids: Sequence[int]) -> list[CoPaymentMonth]:
    if not instance_ids:
        return []
    return list(session.scalars(select(CoPaymentMonth).where(
        CoPaymentMonth.instance_id.in_(instance_ids))
        .order_by(CoPaymentMonth.period.desc(), CoPaymentMonth.version.desc())))


def report_correction(engine: Any, reference: str, period: str, actor: Actor,
                      details: Mapping[str, Any] | None = None) -> list[int]:
    """SAIS reported a correction of ``period``: the case recalculates that month. ``details``
    (SAIS's correction id, its reason) travel in the message and so stay in the event log."""
    rules.period_bounds(period)  # a malformed period fails here, not in the engine
    result: list[int] = engine.correlate(CORRECTION_MESSAGE, {**(details or {}), "period": period},
                                         business_key=reference, actor=actor)
    return result


def start_co_payment(engine: Any, session: Session, viewer: Any, person_id: int,
                     admission_date: date) -> tuple[int, str]:
    """Start P8 for a resident the VSAC registered; returns the instance id and case reference."""
    from app.cases.service import readable_person, start_process_for

    person = readable_person(session, viewer, person_id)
    if person is None or not person.personal_code or not person.institution_code:
        raise ValueError("the person is not a resident with a personal code in your institution")
    reference = case_reference(person_id, admission_date)
    data = {"case_reference": reference, "personal_code": person.personal_code,
            "person_name": f"{person.given_name} {person.family_name}",
            "institution_code": person.institution_code,
            "municipality_code": person.municipality_code or "",
            "admission_date": admission_date.isoformat()}
    return start_process_for(engine, session, viewer, person_id, PROCESS_KEY, data,
                             business_key=reference), reference
