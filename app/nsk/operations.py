"""P7's internal service-task operations, each in one transaction with the job's instance inside
the job runner: a refusal of the data becomes an incident, not a retry."""
from __future__ import annotations

from typing import Any

from adapters.registry import AdapterError, CallContext, operation
from app.domain import nsk as rules
from app.domain.calendar import today_in_latvia
from app.internal_operations import instance_transaction

from . import service


def _period(name: str, params: dict[str, Any]) -> tuple[str, str]:
    code, period = params.get("municipality_code"), str(params.get("period") or "")
    if not code:
        raise AdapterError(f"{name} needs municipality_code", retryable=False)
    try:
        rules.period_bounds(period)
    except ValueError:
        raise AdapterError(f"{name}: period {period!r} is not YYYY-MM", retryable=False) from None
    return str(code), period


@operation("nsk.gather_facts")
def gather_facts(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "nsk.gather_facts"
    with instance_transaction(name, call, service.NskError) as (session, instance):
        return service.gather_facts(session, instance,
                                    service.parse_day(params.get("check_date"), "check_date"))


@operation("nsk.decide_eligibility")
def decide_eligibility(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "nsk.decide_eligibility"
    disability = params.get("disability")
    if disability is not None and not isinstance(disability, dict):
        raise AdapterError(f"{name}: 'disability' must be an object", retryable=False)
    with instance_transaction(name, call, service.NskError) as (session, instance):
        row = service.decide_eligibility(
            session, instance, service.parse_day(params.get("check_date"), "check_date"),
            disability, call.idempotency_key)
        return {"eligibility_id": row.id, "eligible": row.eligible, "reasons": row.reasons}


@operation("nsk.collect_services")
def collect_services(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "nsk.collect_services"
    code, period = _period(name, params)
    with instance_transaction(name, call, service.NskError) as (session, _instance):
        return service.collect_services(session, code, period)


@operation("nsk.compute_report")
def compute_report(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "nsk.compute_report"
    code, period = _period(name, params)
    keys, rates = params.get("rate_keys") or [], params.get("rates") or []
    if not isinstance(keys, list) or not isinstance(rates, list):
        raise AdapterError(f"{name}: rate_keys and rates must be lists", retryable=False)
    with instance_transaction(name, call, service.NskError) as (session, instance):
        report = service.compute_report(session, instance, code, period, keys, rates,
                                        call.idempotency_key)
        return service.report_data(session, report)


@operation("nsk.mark_returned")
def mark_returned(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "nsk.mark_returned"
    with instance_transaction(name, call, service.NskError) as (session, instance):
        report = service.mark_returned(session, instance, str(params.get("return_reason") or ""),
                                       service.reviewer(session, instance.id))
        return {"report_id": report.id, "version": report.version, "status": report.status}


@operation("nsk.record_payment")
def record_payment(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "nsk.record_payment"
    with instance_transaction(name, call, service.NskError) as (session, instance):
        payment = service.record_payment(session, instance, today_in_latvia())
        return {"payment_id": payment.id, "reference": payment.reference,
                "amount_cents": payment.amount_cents,
                "instructed_on": payment.instructed_on.isoformat()}
