"""Registering a resident's admission to a VSAC, which starts P8: who may, which residents are
waiting for it, and the checks on the admission date. No Flask here.

A stay has one P8 case: a person with a running case, or an admission registered before for the
same day, is refused with a message and nothing is started. On PostgreSQL the person's row is
locked (``FOR NO KEY UPDATE``, which still lets the new instance's foreign key point at it) for
the check and the start, so two clicks at the same moment start one case, not two.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.access.scope import VSAC, Viewer, visible_persons
from app.db.models import Person, ProcessInstance
from app.texts import N_

from . import service

# Who registers admissions: the VSAC's caseworkers and their supervisors.
STARTING_GROUPS = frozenset({"institution", "institution_supervisor"})


class AdmissionRefused(ValueError):
    """The admission cannot be registered; ``message`` is an English msgid, translated by the
    page, with ``values`` for its placeholders."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message % values if values else message)
        self.message = message
        self.values = values


def may_register(viewer: Viewer) -> bool:
    return (viewer.organisation_kind == VSAC and viewer.works_on_cases
            and bool(STARTING_GROUPS & set(viewer.groups)))


def resident(session: Session, viewer: Viewer, person_id: int, *,
             lock: bool = False) -> Person | None:
    """A person the viewer may read who lives in the viewer's own institution; None otherwise
    (another institution's resident reads exactly like a missing one)."""
    query = visible_persons(viewer).where(Person.id == person_id,
                                          Person.institution_code == viewer.organisation_code)
    if lock:
        query = query.with_for_update(key_share=True)
    return session.scalars(query).first()


def running_case(session: Session, person_id: int) -> ProcessInstance | None:
    return session.scalars(select(ProcessInstance).where(
        ProcessInstance.process_key == service.PROCESS_KEY, ProcessInstance.person_id == person_id,
        ProcessInstance.status == "active").order_by(ProcessInstance.id.desc())).first()


def residents_without_case(session: Session, viewer: Viewer) -> list[Person]:
    """The institution's residents with no running P8 case, by name."""
    running = exists().where(ProcessInstance.process_key == service.PROCESS_KEY,
                             ProcessInstance.person_id == Person.id,
                             ProcessInstance.status == "active")
    return list(session.scalars(visible_persons(viewer).where(
        Person.institution_code == viewer.organisation_code, ~running)
        .order_by(Person.family_name, Person.given_name, Person.id)))


def date_problem(admitted: date, person: Person, today: date) -> str | None:
    """An English msgid when the admission date cannot be right, else None."""
    if admitted > today:
        return N_("The admission date cannot be in the future.")
    if person.birth_date is not None and admitted < person.birth_date:
        return N_("The admission date cannot be before the person's birth date.")
    return None


@dataclass(frozen=True)
class Admission:
    instance_id: int
    reference: str


def register(engine: Any, session: Session, viewer: Viewer, person_id: int, admitted: date,
             today: date) -> Admission:
    """Start P8 for the resident; AdmissionRefused (nothing started) or LookupError (not the
    viewer's resident). The session's transaction holds the person's lock until the caller
    ends it."""
    person = resident(session, viewer, person_id, lock=True)
    if person is None:
        raise LookupError(person_id)
    if not person.personal_code:
        raise AdmissionRefused(N_("The person has no personal code; SAIS cannot be notified "
                                  "of the admission."))
    problem = date_problem(admitted, person, today)
    if problem:
        raise AdmissionRefused(problem)
    running = running_case(session, person_id)
    if running is not None:
        raise AdmissionRefused(N_("The co-payment case %(reference)s of this person is already "
                                  "running; the stay has been registered."),
                               reference=running.business_key or "")
    reference = service.case_reference(person_id, admitted)
    if session.scalar(select(ProcessInstance.id).where(
            ProcessInstance.process_key == service.PROCESS_KEY,
            ProcessInstance.business_key == reference)) is not None:
        raise AdmissionRefused(N_("The admission of %(day)s was registered before (case "
                                  "%(reference)s)."), day=admitted.strftime("%d.%m.%Y"),
                               reference=reference)
    instance_id, reference = service.start_co_payment(engine, session, viewer, person_id, admitted)
    return Admission(instance_id, reference)
