"""P8's internal service-task operation: the confirmed month is stored in its own transaction in
the job runner, so a refusal becomes an incident an operator can read."""
from __future__ import annotations

from typing import Any

from adapters.registry import AdapterError, CallContext, operation
from app.db.models import Person
from app.domain import co_payment as rules
from app.internal_operations import instance_transaction

from . import service


@operation("co_payment.record_month")
def record_month(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "co_payment.record_month"
    payments = params.get("payments")
    if not isinstance(payments, dict):
        raise AdapterError(f"{name}: 'payments' must be an object", retryable=False)
    corrected = params.get("decision") == "CORRECT"
    allowance = params.get("allowance_cents") if corrected else None
    with instance_transaction(name, call, rules.CalculationRefused, ValueError) as (
            session, instance):
        row = service.record_month(
            session, instance, str(params.get("period") or ""), payments,
            int(allowance) if allowance is not None else None,
            str(params.get("correction_reason") or ""), call.idempotency_key)
        person = session.get(Person, instance.person_id) if instance.person_id else None
        name_of = f"{person.given_name} {person.family_name}" if person else ""
        return service.statement_data(row, name_of)
