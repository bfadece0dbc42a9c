"""P7 (NSK): eligibility checks and the monthly compensation reports, read and written for the
operations, pages and panels. No Flask here; functions never commit (the caller owns the
transaction)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.assessment.plans import plan_versions
from app.community_services.records import accepted_records
from app.db.models import (
    Event,
    HumanTask,
    NskCompensation,
    NskEligibility,
    NskPayment,
    NskReport,
    Person,
    ProcessInstance,
    ServiceRecord,
)
from app.domain import nsk as rules
from app.domain.calendar import format_lv, parse_date
from app.domain.community_services import unit_name, volume_text
from app.domain.service_types import service_type_name
from app.monthly_reports import csv_text, euro_text, start_per_municipality

ELIGIBILITY_PROCESS = "p07_nsk_eligibility"
REPORT_PROCESS = "p07_nsk_report"
REPORT_KIND = "nsk_report"
# Where P8 records the end of state-funded VSAC care: its discharge task's date.
CO_PAYMENT_PROCESS = "p08_co_payment"
DISCHARGE_TASK = "await_next_month"


class NskError(ValueError):
    """The data does not allow the step; the message says why."""


def parse_day(value: Any, what: str) -> date:
    try:
        return parse_date(str(value))
    except ValueError:
        raise NskError(f"{what}: not a date") from None


def _scope_of(instance: ProcessInstance) -> dict[str, Any]:
    return {"person_id": instance.person_id, "record_kind": instance.record_kind,
            "municipality_code": instance.municipality_code,
            "institution_code": instance.institution_code,
            "orphan_court_code": instance.orphan_court_code,
            "confidential": instance.confidential}


# -- facts -----------------------------------------------------------------------------------------


def vsac_care_ended_on(session: Session, person_id: int) -> date | None:
    """The last discharge from a VSAC that P8 recorded for the person (the discharge task's date),
    or None while he is there or P8 never had him."""
    ids = list(session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.person_id == person_id, ProcessInstance.process_key == CO_PAYMENT_PROCESS)))
    if not ids:
        return None
    ended: date | None = None
    for detail in session.scalars(select(Event.detail).where(
            Event.instance_id.in_(ids), Event.kind == "task_completed",
            Event.element_id == DISCHARGE_TASK)):
        data = detail.get("data") if isinstance(detail, Mapping) else None
        value = data.get("discharge_date") if isinstance(data, Mapping) else None
        if value:
            day = parse_date(str(value))
            ended = day if ended is None or day > ended else ended
    return ended


def plan_windows(session: Session, person_id: int) -> tuple[rules.PlanWindow, ...]:
    return tuple(rules.PlanWindow(
        p.version, p.valid_from, p.valid_to,
        frozenset(str(s.get("service_type")) for s in (p.content or {}).get("services") or []))
        for p in plan_versions(session, person_id))


def person_facts(session: Session, person_id: int,
                 disability: rules.DisabilityStatus | None = None) -> rules.NskFacts:
    person = session.get(Person, person_id)
    if person is None:
        raise NskError(f"no person {person_id}")
    return rules.NskFacts(person.birth_date, vsac_care_ended_on(session, person_id), disability,
                          plan_windows(session, person_id))


def gather_facts(session: Session, instance: ProcessInstance, check_date: date) -> dict[str, Any]:
    """What the eligibility process needs before it decides, JSON-ready."""
    if instance.person_id is None:
        raise NskError("the case has no person")
    facts = person_facts(session, instance.person_id)
    return {"birth_date": facts.birth_date.isoformat() if facts.birth_date else None,
            "care_ended_on": facts.care_ended_on.isoformat() if facts.care_ended_on else None,
            "entered_as_child": rules.entered_as_child(facts),
            "needs_disability_check": rules.needs_disability_check(facts, check_date)}


def decide_eligibility(session: Session, instance: ProcessInstance, check_date: date,
                       disability: Mapping[str, Any] | None,
                       idempotency_key: str | None) -> NskEligibility:
    """Store the eligibility of the instance's person on ``check_date`` with every reason."""
    if idempotency_key:
        earlier = session.scalars(select(NskEligibility).where(
            NskEligibility.idempotency_key == idempotency_key)).first()
        if earlier is not None:
            return earlier
    if instance.person_id is None:
        raise NskError("the case has no person")
    status = rules.DisabilityStatus.from_result(disability)
    facts = person_facts(session, instance.person_id, status)
    verdict = rules.eligibility_on(facts, check_date)
    row = NskEligibility(
        instance_id=instance.id, checked_on=check_date, eligible=verdict.eligible,
        reasons=[r.as_dict() for r in verdict.reasons], birth_date=facts.birth_date,
        care_ended_on=facts.care_ended_on, entered_as_child=rules.entered_as_child(facts),
        disability=status.as_result() if status else None, idempotency_key=idempotency_key,
        **_scope_of(instance))
    session.add(row)
    session.flush()
    return row


def latest_checks(session: Session, person_ids: Iterable[int] | None = None,
                  municipality_code: str | None = None) -> dict[int, NskEligibility]:
    """Each person's latest eligibility check (by check date, then the order stored)."""
    query = select(NskEligibility).order_by(NskEligibility.checked_on, NskEligibility.id)
    if person_ids is not None:
        query = query.where(NskEligibility.person_id.in_(list(person_ids)))
    if municipality_code is not None:
        query = query.where(NskEligibility.municipality_code == municipality_code)
    return {row.person_id: row for row in session.scalars(query) if row.person_id is not None}


def eligible_person_ids(session: Session, municipality_code: str) -> list[int]:
    return sorted(pid for pid, row in latest_checks(session, municipality_code=municipality_code)
                  .items() if row.eligible)


def municipalities_with_eligible_persons(session: Session) -> list[str]:
    return sorted({row.municipality_code for row in latest_checks(session).values()
                   if row.eligible and row.municipality_code})


def facts_of_check(session: Session, check: NskEligibility) -> rules.NskFacts:
    """The facts the check found, with the plans as they are now (a plan can change after it)."""
    return rules.NskFacts(check.birth_date, check.care_ended_on,
                          rules.DisabilityStatus.from_result(check.disability),
                          plan_windows(session, check.person_id) if check.person_id else ())


# -- the monthly report ----------------------------------------------------------------------------


def _records(session: Session, municipality_code: str, period: str) -> list[ServiceRecord]:
    first, last = rules.period_bounds(period)
    persons = eligible_person_ids(session, municipality_code)
    if not persons:
        return []
    return [r for r in accepted_records(session, municipality_codes=[municipality_code],
                                        period_from=first, period_to=last)
            if r.person_id in set(persons)]


def _line(record: ServiceRecord) -> rules.ServiceLine:
    return rules.ServiceLine(record.id, record.service_type, record.unit, record.period_from,
                             record.period_to, Decimal(record.volume), int(record.cost_cents))


def collect_services(session: Session, municipality_code: str, period: str) -> dict[str, Any]:
    """The month's accepted records of the municipality's eligible persons, summed up for the
    process: the (service type, unit) pairs the decision table must price."""
    records = _records(session, municipality_code, period)
    return {"rate_keys": rules.rate_keys(_line(r) for r in records), "records": len(records),
            "persons": len({r.person_id for r in records})}


def latest_report(session: Session, instance_id: int) -> NskReport | None:
    return latest_reports(session, [instance_id]).get(instance_id)


def latest_reports(session: Session, instance_ids: Sequence[int]) -> dict[int, NskReport]:
    """The latest version of each instance's report, in one query."""
    if not instance_ids:
        return {}
    newest = (select(NskReport.instance_id, func.max(NskReport.version).label("version"))
              .where(NskReport.instance_id.in_(instance_ids))
              .group_by(NskReport.instance_id).subquery())
    return {row.instance_id: row for row in session.scalars(select(NskReport).join(
        newest, (newest.c.instance_id == NskReport.instance_id)
        & (newest.c.version == NskReport.version)))}


def compute_report(session: Session, instance: ProcessInstance, municipality_code: str,
                   period: str, rate_keys: Sequence[Mapping[str, Any]], rates: Sequence[Any],
                   idempotency_key: str | None) -> NskReport:
    """The next version of the month's report: each record's compensation at the decision
    table's rates, stored with its lines."""
    if idempotency_key:
        earlier = session.scalars(select(NskReport).where(
            NskReport.idempotency_key == idempotency_key)).first()
        if earlier is not None:
            return earlier
    try:
        by_key = rules.rates_by_key(rate_keys, rates)
    except ValueError as err:
        raise NskError(str(err)) from None
    records = _records(session, municipality_code, period)
    checks = latest_checks(session, {r.person_id for r in records if r.person_id is not None})
    facts = {pid: facts_of_check(session, check) for pid, check in checks.items()}
    version = (session.scalar(select(func.max(NskReport.version)).where(
        NskReport.instance_id == instance.id)) or 0) + 1
    report = NskReport(instance_id=instance.id, period=period, version=version, status="submitted",
                       persons=0, total_cents=0, idempotency_key=idempotency_key,
                       rates=[{"service_type": s, "unit": u, "rate_cents": rate}
                              for (s, u), rate in sorted(by_key.items())],
                       **_scope_of(instance))
    session.add(report)
    session.flush()
    total, paid_persons = 0, set()
    for record in records:
        assert record.person_id is not None
        line = _line(record)
        result = rules.compensate(line, facts[record.person_id],
                                  by_key.get((record.service_type, record.unit)), period)
        total += result.amount_cents
        if result.amount_cents:
            paid_persons.add(record.person_id)
        session.add(NskCompensation(
            report_id=report.id, service_record_id=record.id, service_type=record.service_type,
            unit=record.unit, period_from=record.period_from, period_to=record.period_to,
            volume=record.volume, cost_cents=record.cost_cents, days_in_month=result.days_in_month,
            eligible_days=result.eligible_days, rate_cents=result.rate_cents,
            amount_cents=result.amount_cents, reasons=[r.as_dict() for r in result.reasons],
            person_id=record.person_id, record_kind=instance.record_kind,
            municipality_code=municipality_code, confidential=False))
    report.total_cents, report.persons = total, len(paid_persons)
    session.flush()
    return report


def compensation_lines(session: Session, report_ids: Sequence[int]) -> list[NskCompensation]:
    if not report_ids:
        return []
    return list(session.scalars(select(NskCompensation).where(
        NskCompensation.report_id.in_(report_ids)).order_by(NskCompensation.person_id,
                                                             NskCompensation.period_from,
                                                             NskCompensation.id)))


def report_data(session: Session, report: NskReport) -> dict[str, Any]:
    """The report as the PDF and the CSV show it (JSON-ready): a row per record, a subtotal
    per person, the rates used."""
    first, last = rules.period_bounds(report.period)
    lines = compensation_lines(session, [report.id])
    people = {p.id: p for p in session.scalars(select(Person).where(
        Person.id.in_({line.person_id for line in lines})))}
    rows: list[dict[str, Any]] = []
    per_person: dict[int | None, dict[str, Any]] = {}
    for line in lines:
        person = people.get(line.person_id or 0)
        name = f"{person.given_name} {person.family_name}" if person else ""
        rows.append({"person_name": name, "personal_code": (person.personal_code or "") if person else "",
                     "service_type": line.service_type,
                     "service_name": service_type_name(line.service_type),
                     "from": line.period_from.isoformat(), "to": line.period_to.isoformat(),
                     "volume": volume_text(line.volume), "unit": unit_name(line.unit),
                     "days_in_month": line.days_in_month, "eligible_days": line.eligible_days,
                     "rate_cents": line.rate_cents, "cost_cents": line.cost_cents,
                     "amount_cents": line.amount_cents,
                     "reasons": "; ".join(r["message_lv"] for r in line.reasons or [])})
        entry = per_person.setdefault(line.person_id, {"person_name": name, "amount_cents": 0})
        entry["amount_cents"] += line.amount_cents
    return {"municipality_code": report.municipality_code, "period": report.period,
            "period_from": first.isoformat(), "period_to": last.isoformat(),
            "version": report.version, "report_id": report.id, "rows": rows,
            "persons": report.persons, "total_cents": report.total_cents,
            "per_person": sorted(per_person.values(), key=lambda p: str(p["person_name"])),
            "rates": [dict(r, service_name=service_type_name(str(r["service_type"])),
                           unit_name=unit_name(str(r["unit"]))) for r in report.rates]}


CSV_COLUMNS = ("person_name", "personal_code", "service_type", "from", "to", "volume", "unit",
               "days_in_month", "eligible_days", "rate_cents", "cost_cents", "amount_cents",
               "reasons")


def report_csv(data: Mapping[str, Any]) -> str:
    return csv_text(CSV_COLUMNS, data.get("rows", []),
                    ["KOPĀ", "", "", "", "", "", "", "", "", "", "",
                     euro_text(int(data.get("total_cents", 0))), ""])


def mark_returned(session: Session, instance: ProcessInstance, reason: str,
                  decided_by: str) -> NskReport:
    report = latest_report(session, instance.id)
    if report is None:
        raise NskError("the case has no report to return")
    if report.status == "submitted":
        report.status, report.return_reason, report.decided_by = "returned", reason, decided_by
    return report


def reviewer(session: Session, instance_id: int) -> str:
    """Who completed the instance's latest review task."""
    return session.scalar(select(HumanTask.completed_by).where(
        HumanTask.instance_id == instance_id, HumanTask.element_id == "review_report",
        HumanTask.status == "completed").order_by(HumanTask.id.desc()).limit(1)) or "system"


def payment_reference(report: NskReport) -> str:
    return f"NSK-{report.municipality_code}-{report.period}-V{report.version}"


def record_payment(session: Session, instance: ProcessInstance, on: date) -> NskPayment:
    """The ministry approved the latest version: record the payment instruction (once)."""
    report = latest_report(session, instance.id)
    if report is None:
        raise NskError("the case has no report to approve")
    earlier = session.scalars(select(NskPayment).where(NskPayment.report_id == report.id)).first()
    if earlier is not None:  # a retried job
        return earlier
    approved_by = reviewer(session, instance.id)
    report.status, report.decided_by = "approved", approved_by
    payment = NskPayment(report_id=report.id, instance_id=instance.id, period=report.period,
                         amount_cents=report.total_cents, reference=payment_reference(report),
                         instructed_on=on, approved_by=approved_by, **_scope_of(instance))
    session.add(payment)
    session.flush()
    return payment


def report_business_key(municipality_code: str, period: str) -> str:
    return f"P7-NSK-{municipality_code}-{period}"


def start_monthly_reports(engine: Any, sessions: Any, period: str,
                          municipality_codes: list[str] | None = None) -> list[int]:
    """Start the month's report for every municipality with eligible persons, once each."""
    rules.period_bounds(period)  # a malformed period fails here, not in the engine
    if municipality_codes is None:
        with sessions() as session:
            municipality_codes = municipalities_with_eligible_persons(session)
    return start_per_municipality(engine, sessions, REPORT_PROCESS, period, municipality_codes,
                                  report_business_key)


@dataclass(frozen=True)
class CheckStart:
    instance_id: int
    case_number: str


def start_eligibility_check(engine: Any, session: Session, viewer: Any, person_id: int,
                            check_date: date) -> CheckStart:
    """Start P7's eligibility check of a person the viewer works on."""
    from app.cases.service import readable_person, start_process_for

    person = readable_person(session, viewer, person_id)
    if person is None or not person.personal_code:
        raise NskError("the person is not in your records or has no personal code")
    count = session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.person_id == person_id,
        ProcessInstance.process_key == ELIGIBILITY_PROCESS)) or 0
    case_number = f"P7-ATB-{person_id:06d}-{count + 1}"
    data = {"case_number": case_number, "personal_code": person.personal_code,
            "person_name": f"{person.given_name} {person.family_name}",
            "check_date": check_date.isoformat()}
    iid = start_process_for(engine, session, viewer, person_id, ELIGIBILITY_PROCESS, data,
                            business_key=case_number)
    return CheckStart(iid, case_number)


def checks_text(check: NskEligibility) -> str:
    """The check's unmet conditions in one line (Latvian), for lists."""
    return "; ".join(r["message_lv"] for r in check.reasons if not r.get("met")) or \
        f"Atbilst ({format_lv(check.checked_on)})"
