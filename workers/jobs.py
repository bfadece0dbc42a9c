"""The job runner: claims due service-task jobs, calls the adapter outside any transaction, and
feeds the result back into the instance, or schedules a retry, or opens an incident."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from adapters.registry import AdapterError, CallContext, lookup
from app.audit.chain import append_instance_event
from app.db import transaction
from app.db.models import Incident, Job, ProcessInstance, utcnow
from app.engine.errors import EngineError, ReservedFieldName
from app.observability.logs import job_context
from app.services import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    instance_id: int
    operation: str
    parameters: dict[str, Any]
    idempotency_key: str
    attempt: int


def claim_jobs(services: Services, worker: str, limit: int = 10) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs: ready ones, and running ones whose worker's lease ran out."""
    now = utcnow()
    with transaction(services.sessions) as session:
        rows = session.execute(
            select(Job, ProcessInstance)
            .join(ProcessInstance, ProcessInstance.id == Job.instance_id)
            .where(ProcessInstance.status == "active",
                   or_(and_(Job.status == "ready", Job.next_attempt_at <= now),
                       and_(Job.status == "running", Job.locked_until < now)))
            .order_by(Job.next_attempt_at, Job.id)
            .limit(limit)
            # Each worker takes different rows; a row another worker holds is skipped, not waited for.
            .with_for_update(skip_locked=True)
        ).all()
        claimed = []
        for job, instance in rows:
            job.status, job.locked_by = "running", worker
            job.locked_until = now + timedelta(seconds=services.settings.lease_seconds)
            job.attempts += 1
            append_instance_event(session, instance, "job_started", worker, job.element_id,
                                  {"job_id": job.id, "operation": job.operation,
                                   "attempt": job.attempts})
            claimed.append(ClaimedJob(job.id, job.instance_id, job.operation, dict(job.parameters),
                                      job.idempotency_key, job.attempts))
        return claimed


def run_job(services: Services, job: ClaimedJob, worker: str) -> str:
    """Run one claimed job; returns what became of it (done, retry, incident, stale)."""
    call = CallContext(job.idempotency_key, services.settings.adapter_settings(),
                       services.settings.adapter_timeout, instance_id=job.instance_id,
                       services=services)
    try:
        result = lookup(job.operation)(job.parameters, call)
    except AdapterError as err:
        return record_failure(services, job, worker, str(err), retryable=err.retryable)
    except Exception as err:  # noqa: BLE001 - an adapter bug must not kill the worker
        # The message may carry the call's personal data: it goes to the incident, not the log.
        log.error("job %s: operation %s raised %s", job.id, job.operation, type(err).__name__)
        return record_failure(services, job, worker, f"{type(err).__name__}: {err}", retryable=False)
    try:
        return "done" if services.engine.finish_job(job.id, worker, result) else "stale"
    except ReservedFieldName as err:
        # The answer cannot be stored as it is: retrying would get the same answer.
        return record_failure(services, job, worker, str(err), retryable=False)
    except EngineError as err:
        # ScriptFailed has already been recorded as an incident by the engine.
        log.warning("job %s: the instance could not continue: %s", job.id, type(err).__name__)
        return "incident"


def record_failure(services: Services, job: ClaimedJob, worker: str, error: str,
                   retryable: bool) -> str:
    settings = services.settings
    with transaction(services.sessions) as session:
        instance = session.scalars(select(ProcessInstance).where(
            ProcessInstance.id == job.instance_id).with_for_update()).one()
        row = session.get(Job, job.id)
        if row is None or row.status != "running" or row.locked_by != worker:
            return "stale"
        row.last_error, row.locked_by, row.locked_until = error, None, None
        if retryable and row.attempts < row.max_attempts:
            delay = settings.job_backoff_seconds * 2 ** (row.attempts - 1)
            row.status, row.next_attempt_at = "ready", utcnow() + timedelta(seconds=delay)
            append_instance_event(session, instance, "job_failed", worker, row.element_id,
                                  {"job_id": row.id, "attempt": row.attempts, "error": error,
                                   "retry_at": row.next_attempt_at.isoformat()})
            return "retry"
        row.status = "incident"
        session.add(Incident(instance_id=instance.id, job_id=row.id, element_id=row.element_id,
                             kind="job", message=error))
        append_instance_event(session, instance, "job_failed", worker, row.element_id,
                              {"job_id": row.id, "attempt": row.attempts, "error": error,
                               "incident": True})
        return "incident"


def run_due_jobs(services: Services, worker: str, limit: int = 10) -> int:
    jobs = claim_jobs(services, worker, limit)
    for job in jobs:
        with job_context(job.id):
            run_job(services, job, worker)
    return len(jobs)
