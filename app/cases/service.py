"""Persons and their case files: registering a person, starting a process about them, and
gathering what a case file page shows. Every read goes through ``app.access.scope``."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import (
    Scope,
    Viewer,
    person_filter,
    readable_person,
    record_filter,
    visible_persons,
)
from app.db.models import (
    Attachment,
    Event,
    HumanTask,
    Person,
    ProcessDefinition,
    ProcessInstance,
)
from app.engine.runtime import Actor, Engine

from . import personal_codes
from .panels import LoadedPanel, load_panels


class CaseError(ValueError):
    """A request about a person that cannot be carried out; the message says why."""


class NotAllowed(CaseError):
    """The viewer may not change this record (they may still be able to read it)."""


def register_person(session: Session, viewer: Viewer, *, given_name: str, family_name: str,
                    personal_code: str | None = None, birth_date: date | None = None,
                    sex: str | None = None, municipality_code: str | None = None,
                    institution_code: str | None = None, orphan_court_code: str | None = None,
                    confidential: bool = False, address: str = "", phone: str = "",
                    email: str = "") -> Person:
    """Add a person; the personal code is validated and stored once. The caller commits."""
    if not viewer.works_on_cases:
        raise NotAllowed("only caseworkers register persons")
    code = personal_codes.normalise(personal_code) if personal_code else None
    if code and session.scalar(select(Person.id).where(Person.personal_code == code)):
        raise CaseError("a person with this personal code is already registered")
    if birth_date is None and code:
        birth_date = personal_codes.birth_date(code)
    person = Person(personal_code=code, given_name=given_name.strip(),
                    family_name=family_name.strip(),
                    search_name=search_name(given_name, family_name), birth_date=birth_date,
                    sex=sex, municipality_code=municipality_code,
                    institution_code=institution_code, orphan_court_code=orphan_court_code,
                    confidential=confidential, address=address, phone=phone, email=email)
    session.add(person)
    session.flush()
    # The registering organisation must be able to see whom it registered.
    if session.scalar(select(Person.id).where(Person.id == person.id,
                                              person_filter(viewer))) is None:
        raise NotAllowed("the person would be outside your organisation's records")
    return person


def search_name(given_name: str, family_name: str) -> str:
    return f"{given_name.strip()} {family_name.strip()}".casefold()


def start_process_for(engine: Engine, session: Session, viewer: Viewer, person_id: int,
                      process_key: str, data: dict[str, Any] | None = None, *,
                      business_key: str | None = None) -> int:
    """Start a process about a person the viewer works on; the instance takes the person's scope."""
    person = readable_person(session, viewer, person_id)
    if person is None or not viewer.works_on_cases:
        raise NotAllowed("you cannot start a process for this person")
    return engine.start(process_key, data, business_key=business_key,
                        actor=Actor(viewer.username, frozenset(viewer.groups)),
                        scope=Scope.of_person(process_key, person))


def find_persons(session: Session, viewer: Viewer, term: str, limit: int = 50) -> list[Person]:
    """Persons in the viewer's scope matching a personal code (exact) or a name (part of it)."""
    query = visible_persons(viewer)
    term = term.strip()
    if not term:
        return []
    if personal_codes.looks_like_code(term):
        try:
            query = query.where(Person.personal_code == personal_codes.normalise(term))
        except personal_codes.InvalidPersonalCode:
            return []
    else:
        query = query.where(Person.search_name.contains(term.casefold(), autoescape=True))
    return list(session.scalars(query.order_by(Person.family_name, Person.given_name, Person.id)
                                .limit(limit)))


# Engine bookkeeping that says nothing to a caseworker; auditors see it in the full history.
_INTERNAL_EVENTS = ("engine_ran",)


@dataclass(frozen=True)
class InstanceSummary:
    instance: ProcessInstance
    process_name: str
    open_tasks: list[HumanTask]


@dataclass(frozen=True)
class TimelineEntry:
    occurred_at: datetime
    kind: str
    actor: str
    element_id: str | None
    process_name: str
    instance_id: int


@dataclass
class CaseFile:
    person: Person
    instances: list[InstanceSummary] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    # Files attached to the forms of the person's (visible) processes, newest first.
    documents: list[Attachment] = field(default_factory=list)
    # Whether the viewer works on the record (and so sees the full personal code); auditors
    # and process owners read it with the code masked.
    may_change: bool = False
    # What the process areas add (app.cases.panels), in order.
    panels: list[LoadedPanel] = field(default_factory=list)


def case_file(session: Session, viewer: Viewer, person_id: int,
              timeline_limit: int = 200) -> CaseFile | None:
    """Everything the viewer may see about one person, or None if the person is not theirs."""
    person = readable_person(session, viewer, person_id)
    if person is None:
        return None
    names = _process_names(session)
    instances = list(session.scalars(
        select(ProcessInstance)
        .where(ProcessInstance.person_id == person.id, record_filter(viewer, ProcessInstance))
        .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())))
    ids = [instance.id for instance in instances]
    open_tasks: dict[int, list[HumanTask]] = {}
    if ids:
        for task in session.scalars(select(HumanTask).where(
                HumanTask.instance_id.in_(ids), HumanTask.status == "open")
                .order_by(HumanTask.created_at)):
            open_tasks.setdefault(task.instance_id, []).append(task)
    file = CaseFile(person=person, may_change=viewer.works_on_cases)
    by_id = {}
    for instance in instances:
        name = names.get((instance.process_key, instance.definition_id), instance.process_key)
        by_id[instance.id] = name
        file.instances.append(InstanceSummary(instance, name, open_tasks.get(instance.id, [])))
    if ids:
        file.documents = list(session.scalars(
            select(Attachment).where(Attachment.instance_id.in_(ids))
            .order_by(Attachment.uploaded_at.desc(), Attachment.id.desc())))
        for event in session.scalars(select(Event).where(Event.instance_id.in_(ids),
                                                         Event.kind.not_in(_INTERNAL_EVENTS))
                                     .order_by(Event.occurred_at.desc(), Event.id.desc())
                                     .limit(timeline_limit)):
            file.timeline.append(TimelineEntry(event.occurred_at, event.kind, event.actor,
                                               event.element_id, by_id[event.instance_id or 0],
                                               event.instance_id or 0))
    file.panels = load_panels(session, viewer, person, instances)
    return file


def _process_names(session: Session) -> dict[tuple[str, int], str]:
    return {(key, definition_id): name for key, definition_id, name in session.execute(
        select(ProcessDefinition.process_key, ProcessDefinition.id, ProcessDefinition.name))}


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
