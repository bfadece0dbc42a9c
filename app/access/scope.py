"""The one place that decides which records a person may read and change.

Every list, search, detail page, download, export and API call builds its query with
``visible_tasks``, ``visible_instances`` or ``visible_persons`` (or filters with
``record_filter``), so the database never returns a row the person may not see; a record outside
the scope is then simply not found (404), which tells an attacker nothing. The rules, by the
viewer's organisation (DOMAIN, "Security and law"):

- ministry: every record except adoption records;
- municipality (its social service): records of its own clients;
- planning region: assessments and services of the municipalities in its region;
- state social care centre (VSAC) or service provider: the persons in its care;
- orphan court: the children's cases of its jurisdiction;
- adoption register unit: adoption records only;
- auditor: everything, read-only, every view logged.

Change rights come on top: only caseworkers, interviewers and supervisors change records, only
in their scope; auditors and process owners never change case data.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, literal, or_, select, true
from sqlalchemy.orm import Session

from app.db.models import HumanTask, Organisation, Person, ProcessInstance, User

from . import record_kinds

MINISTRY = "ministry"
MUNICIPALITY = "municipality"
PLANNING_REGION = "planning_region"
VSAC = "vsac"
SERVICE_PROVIDER = "service_provider"
ORPHAN_COURT = "orphan_court"
ADOPTION_REGISTER = "adoption_register"
AUDITOR = "auditor"
ORGANISATION_KINDS = (MINISTRY, MUNICIPALITY, PLANNING_REGION, VSAC, SERVICE_PROVIDER,
                      ORPHAN_COURT, ADOPTION_REGISTER, AUDITOR)

# Roles that work on case data; the others (process_owner, auditor, admin) only read or manage.
WORKING_ROLES = frozenset({"caseworker", "interviewer", "supervisor"})


@dataclass(frozen=True)
class Viewer:
    """A person asking for records, with what their organisation entitles them to."""

    username: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    organisation_code: str | None
    organisation_kind: str | None
    # The municipality an organisation serves (a social service or an orphan court).
    municipality_code: str | None = None
    # For a planning region: the municipalities in it.
    region_municipalities: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_auditor(self) -> bool:
        return self.organisation_kind == AUDITOR or "auditor" in self.roles

    @property
    def works_on_cases(self) -> bool:
        return not self.is_auditor and bool(WORKING_ROLES.intersection(self.roles))

    @property
    def is_supervisor(self) -> bool:
        return self.works_on_cases and "supervisor" in self.roles


@dataclass(frozen=True)
class Scope:
    """The scope columns a new instance (and its tasks) is stamped with."""

    record_kind: str = record_kinds.OTHER
    person_id: int | None = None
    municipality_code: str | None = None
    institution_code: str | None = None
    orphan_court_code: str | None = None
    confidential: bool = False

    @classmethod
    def for_process(cls, process_key: str, **columns: Any) -> Scope:
        kind = record_kinds.record_kind_of(process_key)
        confidential = bool(columns.pop("confidential", False)) or record_kinds.is_confidential_kind(kind)
        return cls(record_kind=kind, confidential=confidential, **columns)

    @classmethod
    def of_person(cls, process_key: str, person: Person) -> Scope:
        return cls.for_process(process_key, person_id=person.id,
                               municipality_code=person.municipality_code,
                               institution_code=person.institution_code,
                               orphan_court_code=person.orphan_court_code,
                               confidential=person.confidential)

    def columns(self) -> dict[str, Any]:
        return {"record_kind": self.record_kind, "person_id": self.person_id,
                "municipality_code": self.municipality_code,
                "institution_code": self.institution_code,
                "orphan_court_code": self.orphan_court_code, "confidential": self.confidential}


def viewer_of(session: Session, username: str, roles: Iterable[str], groups: Iterable[str],
              organisation_code: str | None) -> Viewer:
    """The viewer for a signed-in person or an API client, read from their organisation."""
    kind = municipality = None
    region: tuple[str, ...] = ()
    if organisation_code:
        organisation = session.get(Organisation, organisation_code)
        if organisation is not None and organisation.active:
            kind, municipality = organisation.kind, organisation.municipality_code
            if kind == PLANNING_REGION:
                region = tuple(session.scalars(
                    select(Organisation.code).where(Organisation.kind == MUNICIPALITY,
                                                    Organisation.region_code == organisation.code)
                    .order_by(Organisation.code)))
    return Viewer(username=username, roles=tuple(roles), groups=tuple(groups),
                  organisation_code=organisation_code, organisation_kind=kind,
                  municipality_code=municipality, region_municipalities=region)


def viewer_of_user(session: Session, user: User) -> Viewer:
    return viewer_of(session, user.username, user.roles or (), user.groups or (),
                     user.organisation_code)


def record_filter(viewer: Viewer, entity: Any) -> ColumnElement[bool]:
    """SQL condition: the rows of ``entity`` (instances or tasks) this viewer may read."""
    kind = viewer.organisation_kind
    if kind == AUDITOR or (viewer.is_auditor and kind is None):
        return true()
    if kind == ADOPTION_REGISTER:
        return entity.confidential.is_(True)
    open_record = entity.confidential.is_(False)
    if kind == MINISTRY:
        return open_record
    if kind == MUNICIPALITY:
        return and_(open_record, entity.municipality_code == viewer.municipality_code)
    if kind == PLANNING_REGION:
        if not viewer.region_municipalities:
            return false()
        return and_(open_record, entity.municipality_code.in_(viewer.region_municipalities),
                    entity.record_kind.in_(record_kinds.REGION_VISIBLE))
    if kind in (VSAC, SERVICE_PROVIDER):
        return and_(open_record, entity.institution_code == viewer.organisation_code)
    if kind == ORPHAN_COURT:
        return and_(open_record, entity.orphan_court_code == viewer.organisation_code)
    return false()


def person_filter(viewer: Viewer) -> ColumnElement[bool]:
    """SQL condition on ``person``: whose case files this viewer may open.

    A person is visible where their own scope columns say so, or where one of their process
    instances is visible (a planning region sees the persons it assessed, not every inhabitant).
    """
    kind = viewer.organisation_kind
    if kind == PLANNING_REGION:
        return exists(select(literal(1)).where(ProcessInstance.person_id == Person.id,
                                               record_filter(viewer, ProcessInstance)))
    if kind == AUDITOR or (viewer.is_auditor and kind is None):
        return true()
    if kind == ADOPTION_REGISTER:
        return Person.confidential.is_(True)
    own = record_filter(viewer, Person) if kind in (MINISTRY, MUNICIPALITY, VSAC,
                                                     SERVICE_PROVIDER, ORPHAN_COURT) else false()
    through_case = exists(select(literal(1)).where(ProcessInstance.person_id == Person.id,
                                                   record_filter(viewer, ProcessInstance)))
    return or_(own, through_case)


def visible_instances(viewer: Viewer) -> Select[ProcessInstance]:
    return select(ProcessInstance).where(record_filter(viewer, ProcessInstance))


def visible_persons(viewer: Viewer) -> Select[Person]:
    return select(Person).where(person_filter(viewer))


def visible_tasks(viewer: Viewer) -> Select[HumanTask]:
    return select(HumanTask).where(record_filter(viewer, HumanTask))


def group_offer(groups: Iterable[str], column: Any = None) -> ColumnElement[bool]:
    """SQL condition: the task is offered to one of ``groups``, or to no group in particular
    (then anyone who works on the record may take it).

    ``candidate_groups`` (or another ``column`` of the same form) is a space-separated list, so
    each group is matched as a whole word inside ``' ' || column || ' '`` (LIKE with escaping
    works on SQLite and PostgreSQL).
    """
    column = HumanTask.candidate_groups if column is None else column
    padded = literal(" ") + column + literal(" ")
    offered = [padded.contains(f" {group} ", autoescape=True)
               for group in sorted(set(groups)) if group and not any(c.isspace() for c in group)]
    return or_(column == "", *offered)


def offered_to(candidate_groups: str, groups: Iterable[str]) -> bool:
    """The same rule as ``group_offer``, for a task row already in memory."""
    offered = set(candidate_groups.split())
    return not offered or bool(offered.intersection(groups))


def actionable_filter(viewer: Viewer) -> ColumnElement[bool]:
    """SQL condition: open tasks this viewer may work on now (claim, fill in, complete)."""
    if not viewer.works_on_cases:
        return false()
    return and_(HumanTask.status == "open", record_filter(viewer, HumanTask),
                or_(HumanTask.assignee == viewer.username,
                    and_(unassigned(), group_offer(viewer.groups))))


def unassigned() -> ColumnElement[bool]:
    """SQL condition: nobody has the task. Written so that PostgreSQL does not AND the scope
    index with the large "assignee IS NULL" part of the assignee index (most open tasks are
    unassigned; bench/inbox.py measured that plan as the costliest part of a groups tab)."""
    return func.coalesce(HumanTask.assignee, "") == ""


def can_read_instance(session: Session, viewer: Viewer, instance_id: int) -> bool:
    return session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.id == instance_id, record_filter(viewer, ProcessInstance))) is not None


def readable_person(session: Session, viewer: Viewer, person_id: int) -> Person | None:
    return session.scalars(visible_persons(viewer).where(Person.id == person_id)).first()


def readable_task(session: Session, viewer: Viewer, task_id: int) -> HumanTask | None:
    return session.scalars(visible_tasks(viewer).where(HumanTask.id == task_id)).first()
