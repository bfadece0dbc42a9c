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
from app.internal_operations import instance_transaction, job_services

from .plans import PlanError, store_plan_version, version_result


@operation("assessment.store_plan_version")
def store_plan(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "assessment.store_plan_version"
    job_services(name, call)
    source = str(params.get("source") or "")
    plan = params.get("plan")
    if not isinstance(plan, dict):
        raise AdapterError(f"{name}: 'plan' must be an object", retryable=False)
    with instance_transaction(name, call, PlanError) as (session, instance):
        stored, duplicate = store_plan_version(
            session, instance, source=source, plan=plan,
            external_reference=params.get("external_reference") or None,
            idempotency_key=call.idempotency_key, created_by="system")
        return version_result(stored, duplicate)
