"""P6's internal service-task operations, run by the job runner like adapter calls."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from adapters.registry import AdapterError, CallContext, operation
from app.access.scope import viewer_of
from app.db.models import ProcessInstance
from app.domain import community_preparation as rules
from app.domain.calendar import parse_date
from app.domain.service_types import ADULT_SERVICE_TYPES
from app.engine.errors import UnknownProcess
from app.internal_operations import instance_transaction, job_services

from . import service

NEEDS_ASSESSMENT = "p01_adult_needs_assessment"


def _day(value: Any, what: str) -> date:
    try:
        return parse_date(str(value))
    except ValueError:
        raise AdapterError(f"{what}: not a date", retryable=False) from None


@operation("community_preparation.record_assessment")
def record_assessment(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "community_preparation.record_assessment"
    job_services(name, call)
    assessed_on = _day(params.get("assessment_date"), "assessment_date")
    scores = params.get("scores")
    if not isinstance(scores, dict):
        raise AdapterError(f"{name}: 'scores' must be an object", retryable=False)
    with instance_transaction(name, call, rules.ScaleError) as (session, instance):
        row = service.record_assessment(session, instance, assessed_on, scores,
                                        str(params.get("notes") or ""), "system",
                                        call.idempotency_key)
        number = len(service.assessments_of(session, [instance.id]))
        return {"assessment_id": row.id, "number": number, "total": row.total}


@operation("community_preparation.hand_over")
def hand_over(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """The person leaves the VSAC: start P1 for them (if asked) and note the P3 services."""
    services = job_services("community_preparation.hand_over", call)
    leaving = _day(params.get("leaving_date"), "leaving_date")
    wanted = params.get("community_services") or []
    unknown = [code for code in wanted if code not in ADULT_SERVICE_TYPES]
    if not isinstance(wanted, list) or unknown:
        raise AdapterError(f"community_preparation.hand_over: unknown service types {unknown}",
                           retryable=False)
    result: dict[str, Any] = {"leaving_date": leaving.isoformat(),
                              "community_services": list(wanted),
                              "needs_assessment_instance_id": None,
                              "needs_assessment_reference": None}
    if not params.get("start_needs_assessment"):
        return result
    engine = services.engine
    with services.sessions() as session:
        instance = session.get(ProcessInstance, call.instance_id)
        if instance is None or instance.person_id is None:
            raise AdapterError(f"no process instance {call.instance_id} about a person",
                               retryable=False)
        # The VSAC starts P1 as the institution the person lived in (its scope covers them).
        viewer = viewer_of(session, "p06-hand-over", ["caseworker"], ["institution"],
                           instance.institution_code)
        from app.assessment.service import start_assessment  # P1's area, loaded when needed

        # A person has one needs assessment under way at a time; this also makes a retried job
        # (the worker died after P1 started) find the assessment instead of starting another.
        running = session.execute(select(ProcessInstance.id, ProcessInstance.business_key).where(
            ProcessInstance.person_id == instance.person_id,
            ProcessInstance.process_key == NEEDS_ASSESSMENT,
            ProcessInstance.status.in_(("active", "suspended")))
            .order_by(ProcessInstance.id)).first()
        if running is not None:
            result.update(needs_assessment_instance_id=running.id,
                          needs_assessment_reference=running.business_key)
            return result
        try:
            iid, reference = start_assessment(engine, session, viewer, instance.person_id,
                                              leaving, applicant="VSAC (P6)")
        except UnknownProcess:
            raise AdapterError(f"community_preparation.hand_over: process {NEEDS_ASSESSMENT} is "
                               "not deployed; deploy it, then retry the incident",
                               retryable=False) from None
        except ValueError as err:  # AssessmentError, NotAllowed: the person's data
            raise AdapterError(f"community_preparation.hand_over: {err}",
                               retryable=False) from None
    result.update(needs_assessment_instance_id=iid, needs_assessment_reference=reference)
    return result
