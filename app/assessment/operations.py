"""The internal operation that stores an IAP version with the person's case (P1).

``assessment.store_plan_version`` takes ``source`` ("assessment" for the plan approved in P1,
"municipality" for a later version from SOPA), ``plan`` (goals, services, responsible
municipality, valid_from, valid_to, notes) and, for a municipality's version,
``external_reference`` (SOPA's reference: a version delivered twice is stored once). A retried job
finds the version it stored by its idempotency key.
"""
from __future__ import annotations

from typing import Any

from adapters.registry import AdapterError, CallContext, operation
from app.db import transaction
from app.db.models import ProcessInstance

from .plans import PlanError, store_plan_version, version_result


@operation("assessment.store_plan_version")
def store_plan(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    if call.services is None or call.instance_id is None:
        raise AdapterError("assessment.store_plan_version runs only inside the job runner",
                           retryable=False)
    source = str(params.get("source") or "")
    plan = params.get("plan")
    if not isinstance(plan, dict):
        raise AdapterError("assessment.store_plan_version: 'plan' must be an object",
                           retryable=False)
    with transaction(call.services.sessions) as session:
        instance = session.get(ProcessInstance, call.instance_id)
        if instance is None:
            raise AdapterError(f"no process instance {call.instance_id}", retryable=False)
        try:
            stored, duplicate = store_plan_version(
                session, instance, source=source, plan=plan,
                external_reference=params.get("external_reference") or None,
                idempotency_key=call.idempotency_key, created_by="system")
        except PlanError as err:
            raise AdapterError(f"assessment.store_plan_version: {err}", retryable=False) from None
        return version_result(stored, duplicate)
