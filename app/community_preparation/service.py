"""Self-care assessments and the mentor's log, read and written for P6. No Flask here."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, record_filter
from app.db.models import DailyActivityEntry, Person, ProcessInstance, SelfCareAssessment
from app.domain import community_preparation as rules

PROCESS_KEY = "p06_community_preparation"


class PreparationError(ValueError):
    """A request that cannot be carried out; the message says why."""


def record_assessment(session: Session, instance: ProcessInstance, assessed_on: date,
                      answers: dict[str, Any], notes: str, assessed_by: str,
                      idempotency_key: str | None) -> SelfCareAssessment:
    """Store one assessment (complete on the scale, or ``ScaleError``). The caller commits."""
    if idempotency_key:
        earlier = session.scalars(select(SelfCareAssessment).where(
            SelfCareAssessment.idempotency_key == idempotency_key)).first()
        if earlier is not None:
            return earlier
    scores = rules.scores_of(answers)
    row = SelfCareAssessment(
        instance_id=instance.id, assessed_on=assessed_on, scores=scores,
        total=rules.total(scores), notes=notes, assessed_by=assessed_by,
        idempotency_key=idempotency_key, person_id=instance.person_id,
        record_kind=instance.record_kind, municipality_code=instance.municipality_code,
        institution_code=instance.institution_code, orphan_court_code=instance.orphan_court_code,
        confidential=instance.confidential)
    session.add(row)
    session.flush()
    return row


def assessments_of(session: Session, instance_ids: Sequence[int]) -> list[SelfCareAssessment]:
    if not instance_ids:
        return []
    return list(session.scalars(select(SelfCareAssessment).where(
        SelfCareAssessment.instance_id.in_(instance_ids))
        .order_by(SelfCareAssessment.assessed_on, SelfCareAssessment.id)))


@dataclass(frozen=True)
class Progress:
    dates: list[date]
    totals: list[int]
    areas: list[rules.AreaProgress]


def progress_of(assessments: Sequence[SelfCareAssessment]) -> Progress | None:
    if not assessments:
        return None
    return Progress([a.assessed_on for a in assessments], [a.total for a in assessments],
                    rules.progress([dict(a.scores) for a in assessments]))


def resident(session: Session, viewer: Viewer, person_id: int) -> Person | None:
    """A person the viewer may read who has a P6 case the viewer may read (the mentor's log is
    kept only for residents being prepared)."""
    query = (select(Person).join(ProcessInstance, ProcessInstance.person_id == Person.id)
             .where(Person.id == person_id, ProcessInstance.process_key == PROCESS_KEY,
                    record_filter(viewer, ProcessInstance)))
    return session.scalars(query).first()


def residents(session: Session, viewer: Viewer) -> list[Person]:
    query = (select(Person).join(ProcessInstance, ProcessInstance.person_id == Person.id)
             .where(ProcessInstance.process_key == PROCESS_KEY,
                    ProcessInstance.status == "active", record_filter(viewer, ProcessInstance))
             .distinct().order_by(Person.family_name, Person.given_name))
    return list(session.scalars(query))


def add_log_entry(session: Session, viewer: Viewer, person: Person, *, entry_date: date,
                  today: date, activity: str, duration_minutes: int, independence_level: int,
                  notes: str = "") -> DailyActivityEntry:
    """A mentor's entry about a resident the viewer may read. The caller commits."""
    if not viewer.works_on_cases:
        raise PreparationError("only staff may keep the log")
    try:
        rules.check_log_entry(entry_date, today, duration_minutes, independence_level, activity)
    except rules.ScaleError as err:
        raise PreparationError(str(err)) from None
    entry = DailyActivityEntry(
        entry_date=entry_date, activity=activity.strip()[:200], duration_minutes=duration_minutes,
        independence_level=independence_level, notes=notes.strip(), mentor=viewer.username,
        person_id=person.id, record_kind="service", municipality_code=person.municipality_code,
        institution_code=person.institution_code, orphan_court_code=person.orphan_court_code,
        confidential=person.confidential)
    session.add(entry)
    session.flush()
    return entry


def log_entries(session: Session, viewer: Viewer, person_id: int,
                limit: int = 200) -> list[DailyActivityEntry]:
    return list(session.scalars(select(DailyActivityEntry).where(
        DailyActivityEntry.person_id == person_id, record_filter(viewer, DailyActivityEntry))
        .order_by(DailyActivityEntry.entry_date.desc(), DailyActivityEntry.id.desc())
        .limit(limit)))
