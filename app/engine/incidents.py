"""Operators' view of what the engine could not do by itself, and the retry that resolves it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.audit.chain import append_instance_event
from app.db import transaction
from app.db.models import Incident, Job, ProcessInstance, Timer, utcnow

from .errors import EngineError


class NothingToRetry(EngineError):
    http_status = 409


def open_incidents(session: Session, instance_id: int | None = None) -> list[Incident]:
    query = select(Incident).where(Incident.resolved_at.is_(None)).order_by(Incident.created_at)
    if instance_id is not None:
        query = query.where(Incident.instance_id == instance_id)
    return list(session.scalars(query))


def retry(sessions: sessionmaker[Session], incident_id: int, operator: str) -> None:
    """Resolve an incident: its job or timer runs again with a fresh count of attempts."""
    with transaction(sessions) as session:
        incident = session.get(Incident, incident_id)
        if incident is None or incident.resolved_at is not None:
            raise NothingToRetry(f"Incident {incident_id} is not open")
        instance = session.scalars(select(ProcessInstance).where(
            ProcessInstance.id == incident.instance_id).with_for_update()).one()
        if incident.job_id is not None:
            job = session.get(Job, incident.job_id)
            if job is not None and job.status == "incident":
                job.status, job.attempts, job.next_attempt_at = "ready", 0, utcnow()
        if incident.timer_id is not None:
            timer = session.get(Timer, incident.timer_id)
            if timer is not None and timer.status == "incident":
                timer.status = "waiting"
        incident.resolved_at, incident.resolved_by = utcnow(), operator
        append_instance_event(session, instance, "incident_retried", operator, incident.element_id,
                              {"incident_id": incident.id, "kind": incident.kind})
