"""The operators' cockpit: what the engine could not do by itself, and the interventions that
put it right. Reads the incident, job, timer and instance rows; every change goes through the
engine's own operations (``incidents.retry``, ``Engine.suspend``/``resume``/``terminate``), so
it is one engine step with its event on the instance's history. No Flask here.

Moving a token to another element of a stuck instance is not offered: it needs an engine
operation that does not exist yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.audit.chain import append_instance_event
from app.db import transaction
from app.db.models import Incident, Job, ProcessDefinition, ProcessInstance, Timer
from app.engine import incidents
from app.engine.errors import EngineError
from app.engine.runtime import Actor, Engine

OPERATOR_ROLES = frozenset({"admin", "operator"})
ACTIONS = ("suspend", "resume", "terminate")
REASON_MAX = 500
# A waiting timer this long past its time means the scheduler is not running.
LATE_TIMER_GRACE = timedelta(minutes=5)
# The history's own record of an operator's reason where the engine's event has no room for it.
OPERATOR_NOTE = "operator_note"


class InterventionRefused(ValueError):
    """An operator's request that cannot be carried out as asked; the message says why."""


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    instance: ProcessInstance
    process_name: str
    version: int
    job: Job | None
    timer: Timer | None


@dataclass(frozen=True)
class RetryingJob:
    job: Job
    instance: ProcessInstance


@dataclass(frozen=True)
class LateTimer:
    timer: Timer
    instance: ProcessInstance


@dataclass(frozen=True)
class ProcessCount:
    process_key: str
    name: str
    version: int
    active: int
    suspended: int


def may_operate(roles: tuple[str, ...] | list[str], is_auditor: bool) -> bool:
    """Admins and operators run the cockpit; an auditor never changes anything, whatever else
    their account says."""
    return not is_auditor and bool(OPERATOR_ROLES.intersection(roles))


def open_incident_rows(session: Session) -> list[IncidentRow]:
    found = session.execute(
        select(Incident, ProcessInstance, ProcessDefinition.name, ProcessDefinition.version)
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(Incident.resolved_at.is_(None))
        .order_by(Incident.created_at, Incident.id)).all()
    job_ids = [incident.job_id for incident, *_ in found if incident.job_id is not None]
    timer_ids = [incident.timer_id for incident, *_ in found if incident.timer_id is not None]
    jobs = {job.id: job for job in session.scalars(select(Job).where(Job.id.in_(job_ids)))} \
        if job_ids else {}
    timers = {t.id: t for t in session.scalars(select(Timer).where(Timer.id.in_(timer_ids)))} \
        if timer_ids else {}
    return [IncidentRow(incident, instance, name or instance.process_key, version,
                        jobs.get(incident.job_id or 0), timers.get(incident.timer_id or 0))
            for incident, instance, name, version in found]


def retrying_jobs(session: Session, limit: int = 100) -> list[RetryingJob]:
    """Jobs that failed at least once and will be tried again (not incidents yet)."""
    found = session.execute(
        select(Job, ProcessInstance).join(ProcessInstance, ProcessInstance.id == Job.instance_id)
        .where(Job.status.in_(("ready", "running")), Job.attempts > 0,
               Job.last_error.is_not(None))
        .order_by(Job.next_attempt_at, Job.id).limit(limit)).all()
    return [RetryingJob(job, instance) for job, instance in found]


def late_timers(session: Session, now: datetime, limit: int = 100) -> list[LateTimer]:
    found = session.execute(
        select(Timer, ProcessInstance).join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
        .where(Timer.status == "waiting", Timer.due_at < now - LATE_TIMER_GRACE,
               ProcessInstance.status == "active")
        .order_by(Timer.due_at, Timer.id).limit(limit)).all()
    return [LateTimer(timer, instance) for timer, instance in found]


def process_counts(session: Session) -> list[ProcessCount]:
    """Running (and suspended) instances per process and version."""
    found = session.execute(
        select(ProcessDefinition.process_key, ProcessDefinition.name, ProcessDefinition.version,
               ProcessInstance.status, func.count(ProcessInstance.id))
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessInstance.status.in_(("active", "suspended")))
        .group_by(ProcessDefinition.process_key, ProcessDefinition.name,
                  ProcessDefinition.version, ProcessInstance.status)).all()
    counts: dict[tuple[str, str, int], dict[str, int]] = {}
    for key, name, version, status, count in found:
        counts.setdefault((key, name or key, version), {})[status] = count
    return [ProcessCount(key, name, version, by.get("active", 0), by.get("suspended", 0))
            for (key, name, version), by in sorted(counts.items())]


def suspended_instances(session: Session, limit: int = 100) -> list[ProcessInstance]:
    return list(session.scalars(select(ProcessInstance)
                                .where(ProcessInstance.status == "suspended")
                                .order_by(ProcessInstance.updated_at.desc(),
                                          ProcessInstance.id.desc()).limit(limit)))


# --- interventions -------------------------------------------------------------------------------


def retry_incidents(sessions: sessionmaker[Session], incident_ids: list[int],
                    operator: str) -> tuple[list[int], list[int]]:
    """Retry each incident (its job or timer runs again); returns the ids retried and those
    that could not be (already resolved, or gone)."""
    done, refused = [], []
    for incident_id in dict.fromkeys(incident_ids):
        try:
            incidents.retry(sessions, incident_id, operator)
        except EngineError:
            refused.append(incident_id)
        else:
            done.append(incident_id)
    return done, refused


def intervene(engine: Engine, sessions: sessionmaker[Session], instance_id: int, action: str,
              reason: str, operator: str) -> None:
    """Suspend, resume or terminate an instance, with the operator's reason on its history.

    Raises InterventionRefused for a missing reason or an unknown action, and the engine's
    errors (for example InstanceNotActive) when the instance is not in a state that allows it.
    """
    reason = " ".join(reason.split())
    if action not in ACTIONS:
        raise InterventionRefused("unknown action")
    if not reason:
        raise InterventionRefused("a reason is required")
    if len(reason) > REASON_MAX:
        raise InterventionRefused(f"the reason is longer than {REASON_MAX} characters")
    actor = Actor(operator)
    if action == "suspend":
        engine.suspend(instance_id, actor, reason)
    elif action == "terminate":
        engine.terminate(instance_id, actor, reason)
    else:
        engine.resume(instance_id, actor)
        # Engine.resume records no reason: it follows as the next event of the same chain.
        _note(sessions, instance_id, operator, action, reason)


def _note(sessions: sessionmaker[Session], instance_id: int, operator: str, action: str,
          reason: str) -> None:
    with transaction(sessions) as session:
        instance = session.scalars(select(ProcessInstance).where(
            ProcessInstance.id == instance_id).with_for_update()).one()
        append_instance_event(session, instance, OPERATOR_NOTE, operator, None,
                              {"action": action, "reason": reason})
