"""P9's internal service-task operations: a delivered report with its two receipts, and the
placement's end, each stored in the job's instance transaction (a refusal becomes an incident)."""
from __future__ import annotations

from datetime import date
from typing import Any

from adapters.registry import AdapterError, CallContext, operation
from app.internal_operations import instance_transaction

from . import service


def _day(name: str, params: dict[str, Any], key: str, *, required: bool = True) -> date | None:
    value = params.get(key)
    if not value and not required:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise AdapterError(f"{name}: '{key}' must be a date (YYYY-MM-DD)", retryable=False) \
            from None


def _receipt(name: str, params: dict[str, Any], key: str) -> dict[str, Any]:
    value = params.get(key)
    if not isinstance(value, dict):
        raise AdapterError(f"{name}: '{key}' must be the delivery's receipt", retryable=False)
    return value


@operation("out_of_family_care.record_report")
def record_report(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Params: ``report_date``, ``due_date``, ``placement_date``, ``npais_receipt`` (the result of
    ``npais.deliver_periodic_report``), ``sopa_receipt`` (of ``sopa.deliver_periodic_report``)."""
    name = "out_of_family_care.record_report"
    report_date = _day(name, params, "report_date")
    placement_date = _day(name, params, "placement_date")
    due_date = _day(name, params, "due_date", required=False)
    npais, sopa = _receipt(name, params, "npais_receipt"), _receipt(name, params, "sopa_receipt")
    assert report_date is not None and placement_date is not None
    with instance_transaction(name, call, service.PlacementError) as (session, instance):
        row = service.record_report(session, instance, report_date=report_date,
                                    due_date=due_date, placement_date=placement_date,
                                    npais_receipt=npais, sopa_receipt=sopa,
                                    idempotency_key=call.idempotency_key)
        return {"report_id": row.id, "npais_report_id": row.npais_report_id,
                "sopa_reference": row.sopa_reference}


@operation("out_of_family_care.record_end")
def record_end(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Params: ``end_date``, ``reason`` (Latvian text), ``placement_date``."""
    name = "out_of_family_care.record_end"
    end_date = _day(name, params, "end_date")
    placement_date = _day(name, params, "placement_date")
    assert end_date is not None and placement_date is not None
    reason = str(params.get("reason") or "").strip()
    with instance_transaction(name, call, service.PlacementError) as (session, instance):
        placement = service.record_end(session, instance, end_date=end_date, reason=reason,
                                       placement_date=placement_date)
        return {"end_date": end_date.isoformat(), "reason": placement.end_reason or ""}
