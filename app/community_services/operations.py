"""Internal service-task operations of P3: storing a SOPA batch and validating a municipality's
pending records. They run in the job runner like adapter calls, in their own transaction."""
from __future__ import annotations

from typing import Any

from adapters.registry import AdapterError, CallContext, operation
from app.db import transaction
from app.domain.calendar import parse_date
from app.internal_operations import job_services

from .records import RecordError, read_row, submit_batch, validate_pending


def _needs(params: dict[str, Any], call: CallContext, name: str, *fields: str) -> None:
    job_services(name, call)
    missing = [f for f in fields if not params.get(f)]
    if missing:
        raise AdapterError(f"{name} needs {', '.join(missing)}", retryable=False)


@operation("community_services.store_sopa_batch")
def store_sopa_batch(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    _needs(params, call, "community_services.store_sopa_batch", "municipality_code",
           "period_from", "period_to")
    rows, unreadable = [], 0
    for record in params.get("records") or []:
        try:
            rows.append(read_row(record))
        except RecordError:
            unreadable += 1
    with transaction(call.services.sessions) as session:
        batch = submit_batch(session, municipality_code=str(params["municipality_code"]),
                             period_from=parse_date(params["period_from"]),
                             period_to=parse_date(params["period_to"]), source="SOPA", rows=rows,
                             submitted_by="sopa", instance_id=call.instance_id)
        return {"batch_id": batch.id, "received": len(rows), "unreadable": unreadable}


@operation("community_services.validate_submission")
def validate_submission(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    _needs(params, call, "community_services.validate_submission", "municipality_code",
           "period_from", "period_to")
    with transaction(call.services.sessions) as session:
        summary = validate_pending(session, str(params["municipality_code"]),
                                   parse_date(params["period_from"]), parse_date(params["period_to"]))
        return summary.as_result()
