"""The task inbox: the tabs, filters, search, sort and paging over ``human_task``, and how
deadlines read.

Which tasks a person may see or act on is decided by ``app.access.scope`` (record scope plus
candidate groups) and applied in SQL here, so the database never hands back a row the person may
not see, and the tab counts cannot leak what the list hides.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, literal, or_, select
from sqlalchemy.orm import Session

from app.access.organisations import organisation_names
from app.access.scope import (
    WORKING_ROLES,
    Viewer,
    actionable_filter,
    group_offer,
    offered_to,
    record_filter,
    unassigned,
)
from app.cases import personal_codes
from app.db.models import HumanTask, Person, ProcessDefinition, SavedFilter, User
from app.domain.calendar import RIGA

MINE = "mine"
GROUP = "group"
TEAM = "team"
COMPLETED = "completed"
TABS = (MINE, GROUP, TEAM, COMPLETED)

DUE_FILTERS = ("overdue", "today", "week", "none")
SORTS = {"due": "due", "created": "created", "process": "process", "person": "person"}
PAGE_SIZE = 25
# How soon before the deadline a task reads "due soon".
DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class InboxQuery:
    """What the person asked the inbox for; built from the query string, never trusted."""

    tab: str = MINE
    process_key: str = ""
    element_id: str = ""
    organisation: str = ""
    due: str = ""
    person: str = ""
    sort: str = "due"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxQuery:
        tab = args.get("tab", MINE)
        due = args.get("due", "")
        sort = args.get("sort", "due")
        try:
            page = max(1, min(int(args.get("page", "1")), 100_000))
        except ValueError:
            page = 1
        return cls(tab=tab if tab in TABS else MINE, process_key=args.get("process", "")[:120],
                   element_id=args.get("task", "")[:255],
                   organisation=args.get("organisation", "")[:40],
                   due=due if due in DUE_FILTERS else "", person=args.get("person", "")[:120],
                   sort=sort if sort in SORTS else "due", page=page)

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string for this query with ``changes`` applied (empty values left out)."""
        query = replace(self, **changes)
        values = {"tab": query.tab, "process": query.process_key, "task": query.element_id,
                  "organisation": query.organisation, "due": query.due, "person": query.person,
                  "sort": query.sort, "page": query.page}
        return {k: v for k, v in values.items() if v and not (k == "page" and v == 1)
                and not (k == "sort" and v == "due") and not (k == "tab" and v == MINE)}

    @property
    def narrows(self) -> bool:
        """Whether a filter leaves out some of the tab's tasks (the conditions of ``_filtered``)."""
        return any((self.process_key, self.element_id, self.organisation, self.due, self.person))

    @property
    def filters(self) -> dict[str, str]:
        """The filter part only, as saved filters keep it."""
        return {k: v for k, v in self.args(page=1).items() if k != "tab"}


@dataclass(frozen=True)
class InboxRow:
    task: HumanTask
    process_name: str
    due_day: date | None
    due_state: str  # overdue | today | soon | later | none
    person_name: str = ""
    personal_code_masked: str = ""
    follow_up_due: bool = False


@dataclass
class InboxPage:
    query: InboxQuery
    rows: list[InboxRow]
    total: int
    counts: dict[str, int]
    page_size: int = PAGE_SIZE
    processes: list[tuple[str, str]] = field(default_factory=list)
    task_types: list[tuple[str, str]] = field(default_factory=list)
    organisations: list[tuple[str, str]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def tab_filter(viewer: Viewer, tab: str) -> ColumnElement[bool]:
    """SQL condition for one tab of the inbox, always inside the viewer's record scope."""
    in_scope = record_filter(viewer, HumanTask)
    if tab == MINE:
        return and_(HumanTask.status == "open", HumanTask.assignee == viewer.username, in_scope)
    if tab == GROUP:
        return and_(actionable_filter(viewer), unassigned())
    if tab == TEAM:
        # A supervisor sees every open task of the records their organisation works on.
        if not viewer.is_supervisor:
            return false()
        return and_(HumanTask.status == "open", in_scope, group_offer(viewer.groups))
    return and_(HumanTask.status == "completed", HumanTask.completed_by == viewer.username,
                in_scope)


def inbox_page(session: Session, viewer: Viewer, query: InboxQuery, now: datetime,
               page_size: int = PAGE_SIZE, *, tab_chosen: bool = True,
               locale: str = "lv") -> InboxPage:
    """One page of one tab. When the person did not choose a tab and nothing is assigned to
    them yet, the inbox opens on their groups' tasks rather than on an empty list."""
    counts = tab_counts(session, viewer, now)
    if not tab_chosen and counts[MINE] == 0 and counts[GROUP] > 0:
        query = replace(query, tab=GROUP)
    condition = tab_filter(viewer, query.tab)
    # Unfiltered, the list is the tab itself, whose count was just read with the same condition;
    # filtered, the page's rows carry the count of all matches (one pass over them, not two).
    matches: ColumnElement[int] = func.count().over() if query.narrows else literal(0)
    base = _filtered(select(HumanTask, matches).where(condition), query, now)
    ordered = base.order_by(*_order(query))
    if query.sort == "person":
        ordered = ordered.outerjoin(Person, Person.id == HumanTask.person_id)
    found = session.execute(ordered.limit(page_size)
                            .offset((query.page - 1) * page_size)).all()
    tasks = [task for task, _ in found]
    if not query.narrows:
        total = counts[query.tab]
    elif found:
        total = found[0][1]
    elif query.page > 1:  # past the last page: the rows cannot say how many there are
        total = session.scalar(select(func.count()).select_from(
            _filtered(select(HumanTask.id).where(condition), query, now).subquery())) or 0
    else:
        total = 0
    # Persons and process names for the page's rows only, not for every match.
    person_ids = {task.person_id for task in tasks if task.person_id}
    persons = {row.id: row for row in session.execute(
        select(Person.id, Person.given_name, Person.family_name, Person.personal_code)
        .where(Person.id.in_(person_ids)))} if person_ids else {}
    names = process_names(session, {(t.process_key, t.process_version) for t in tasks})
    rows = []
    for task in tasks:
        person = persons.get(task.person_id or 0)
        rows.append(describe(task, names.get((task.process_key, task.process_version)), now,
                             person.given_name if person else None,
                             person.family_name if person else None,
                             person.personal_code if person else None))
    choices = _choices(session, viewer, query.process_key, locale)
    return InboxPage(query=query, rows=rows, total=total, counts=counts, page_size=page_size,
                     processes=choices.processes, task_types=choices.task_types,
                     organisations=choices.organisations)


def process_names(session: Session, versions: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    if not versions:
        return {}
    keys = {key for key, _ in versions}
    return {(key, version): name for key, version, name in session.execute(
        select(ProcessDefinition.process_key, ProcessDefinition.version, ProcessDefinition.name)
        .where(ProcessDefinition.process_key.in_(keys)))}


def tab_counts(session: Session, viewer: Viewer, now: datetime) -> dict[str, int]:
    """Counts shown in the tab headers, each through the same condition as its list."""
    # Every open tab is inside the record scope, so the scope in WHERE changes no count; it lets
    # the database read the organisation's open tasks through its scope index instead of every
    # open task (bench/inbox.py: 100,000 open tasks, 1 s on SQLite and 250 ms on PostgreSQL).
    # The completed tab reads other rows (its own index): a scalar subquery, so all the counts
    # still come back in one round trip.
    completed = select(func.count()).where(tab_filter(viewer, COMPLETED)).scalar_subquery()
    counts = session.execute(select(
        func.count().filter(tab_filter(viewer, MINE)),
        func.count().filter(tab_filter(viewer, GROUP)),
        func.count().filter(tab_filter(viewer, TEAM)),
        func.count().filter(and_(tab_filter(viewer, MINE), HumanTask.due_at <= now)),
        completed,
    ).where(HumanTask.status == "open", record_filter(viewer, HumanTask))).one()
    return {MINE: counts[0], GROUP: counts[1], TEAM: counts[2], COMPLETED: counts[4] or 0,
            "overdue": counts[3]}


# A select of tasks, with or without further columns: the filters apply to either.
SelectT = TypeVar("SelectT", bound=Select)  # type: ignore[type-arg]


def _filtered(query: SelectT, wanted: InboxQuery, now: datetime) -> SelectT:
    if wanted.process_key:
        query = query.where(HumanTask.process_key == wanted.process_key)
    if wanted.element_id:
        query = query.where(HumanTask.element_id == wanted.element_id)
    if wanted.organisation:
        query = query.where(or_(HumanTask.municipality_code == wanted.organisation,
                                HumanTask.institution_code == wanted.organisation,
                                HumanTask.orphan_court_code == wanted.organisation))
    if wanted.due:
        query = query.where(_due_condition(wanted.due, now))
    if wanted.person:
        query = query.where(_person_matches(wanted.person))
    return query


_CASE_NUMBER = re.compile(r"^P\d{1,2}-[0-9A-Z-]+$", re.IGNORECASE)


def _person_matches(term: str) -> ColumnElement[bool]:
    """The task is about a person with this personal code (an indexed lookup), belongs to the
    case with this case number (``P10-2026-7``), or is about a person whose name contains the
    term (checked only for the tasks the other conditions leave)."""
    term = term.strip()
    if _CASE_NUMBER.match(term):
        return HumanTask.business_key == term.upper()
    if personal_codes.looks_like_code(term):
        try:
            code = personal_codes.normalise(term)
        except personal_codes.InvalidPersonalCode:
            code = ""
        # Uncorrelated: sorted by person, the outer query has Person too, and SQLAlchemy would
        # otherwise correlate it away and leave the subquery without a FROM.
        return HumanTask.person_id.in_(
            select(Person.id).where(Person.personal_code == code).correlate(None))
    return exists(select(literal(1)).select_from(Person).where(
        Person.id == HumanTask.person_id,
        Person.search_name.contains(term.casefold(), autoescape=True)).correlate(HumanTask))


def _due_condition(due: str, now: datetime) -> ColumnElement[bool]:
    today_ends = _end_of_riga_day(now)
    if due == "overdue":
        return HumanTask.due_at <= now
    if due == "today":
        return and_(HumanTask.due_at > now, HumanTask.due_at <= today_ends)
    if due == "week":
        return and_(HumanTask.due_at > now, HumanTask.due_at <= today_ends + timedelta(days=7))
    return HumanTask.due_at.is_(None)


def _end_of_riga_day(now: datetime) -> datetime:
    local = now.astimezone(RIGA)
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), RIGA)


def _order(query: InboxQuery) -> list[Any]:
    no_deadline_last = case((HumanTask.due_at.is_(None), 1), else_=0)
    if query.tab == COMPLETED:
        return [HumanTask.completed_at.desc(), HumanTask.id.desc()]
    if query.sort == "created":
        return [HumanTask.created_at.desc(), HumanTask.id.desc()]
    if query.sort == "process":
        return [HumanTask.process_key, HumanTask.element_name, no_deadline_last, HumanTask.due_at,
                HumanTask.id]
    if query.sort == "person":
        return [Person.family_name, Person.given_name, no_deadline_last, HumanTask.due_at,
                HumanTask.id]
    return [no_deadline_last, HumanTask.due_at, HumanTask.created_at, HumanTask.id]


@dataclass(frozen=True)
class _Choices:
    processes: list[tuple[str, str]]
    task_types: list[tuple[str, str]]
    organisations: list[tuple[str, str]]


def _choices(session: Session, viewer: Viewer, process_key: str, locale: str) -> _Choices:
    """What the filter lists offer: the processes, task types and organisations of the person's
    open tasks, read in one pass over them."""
    # The open tabs' tasks (mine, my groups', a supervisor's team), as one condition rather than
    # an OR of the three tab conditions, which repeat the scope and made the plan costlier.
    offered = group_offer(viewer.groups)
    if viewer.is_supervisor:
        mine_or_offered = or_(HumanTask.assignee == viewer.username, offered)
    elif viewer.works_on_cases:
        mine_or_offered = or_(HumanTask.assignee == viewer.username,
                              and_(unassigned(), offered))
    else:
        mine_or_offered = HumanTask.assignee == viewer.username
    seen = session.execute(
        select(HumanTask.process_key, HumanTask.element_id, HumanTask.element_name,
               HumanTask.municipality_code, HumanTask.institution_code)
        .where(HumanTask.status == "open", record_filter(viewer, HumanTask), mine_or_offered)
        .distinct()).all()
    if not seen:
        return _Choices([], [], [])
    names = dict(session.execute(select(ProcessDefinition.process_key, ProcessDefinition.name)
                                 .order_by(ProcessDefinition.version)).all())
    processes = {key for key, *_ in seen}
    task_types = {(element, name) for key, element, name, *_ in seen
                  if not process_key or key == process_key}
    codes = {code for *_, municipality, institution in seen
             for code in (municipality, institution) if code}
    organisations: list[tuple[str, str]] = []
    if len(codes) > 1:  # with one there is nothing to choose between
        org_names = organisation_names(session, locale)
        organisations = sorted(((code, org_names.get(code, code)) for code in codes),
                               key=lambda item: item[1])
    return _Choices(sorted(((key, names.get(key, key)) for key in processes),
                           key=lambda item: item[1]),
                    sorted(task_types, key=lambda item: item[1]), organisations)


def describe(task: HumanTask, process_name: str | None, now: datetime, given: str | None = None,
             family: str | None = None, code: str | None = None) -> InboxRow:
    return InboxRow(task, process_name or task.process_key, due_day(task.due_at),
                    due_state(task.due_at, now),
                    person_name=" ".join(part for part in (given, family) if part),
                    personal_code_masked=personal_codes.masked(code),
                    follow_up_due=task.follow_up_at is not None and task.follow_up_at <= now)


def describe_one(session: Session, task: HumanTask, now: datetime) -> InboxRow:
    """The row for one task, with its process and person, as the task page shows it."""
    person = session.get(Person, task.person_id) if task.person_id else None
    return describe(task, process_name(session, task), now,
                    person.given_name if person else None, person.family_name if person else None,
                    person.personal_code if person else None)


def process_name(session: Session, task: HumanTask) -> str:
    name = session.scalar(select(ProcessDefinition.name).where(
        ProcessDefinition.process_key == task.process_key,
        ProcessDefinition.version == task.process_version))
    return name or task.process_key


def due_day(due_at: datetime | None) -> date | None:
    """The last Latvian calendar day on which the task is on time.

    Deadlines on a day are stored as the following midnight in Riga (``end_of_day``), which
    belongs to the day before: a due time of 11.04. 00:00 reads "due 10.04.".
    """
    if due_at is None:
        return None
    return (due_at.astimezone(RIGA) - timedelta(microseconds=1)).date()


def due_state(due_at: datetime | None, now: datetime) -> str:
    if due_at is None:
        return "none"
    if now >= due_at:
        return "overdue"
    day = due_day(due_at)
    today = now.astimezone(RIGA).date()
    if day == today:
        return "today"
    if day is not None and (day - today).days <= DUE_SOON_DAYS:
        return "soon"
    return "later"


# --- single tasks ---------------------------------------------------------------------------

def find_actionable_task(session: Session, viewer: Viewer, task_id: int) -> HumanTask | None:
    """The open task, if this person may work on it now; None also when it does not exist."""
    return session.scalars(select(HumanTask).where(HumanTask.id == task_id,
                                                   actionable_filter(viewer))).first()


def find_supervised_task(session: Session, viewer: Viewer, task_id: int) -> HumanTask | None:
    """The open task, if this person supervises it (may assign it to a colleague)."""
    return session.scalars(select(HumanTask).where(HumanTask.id == task_id,
                                                   tab_filter(viewer, TEAM))).first()


def find_delegated_task(session: Session, viewer: Viewer, task_id: int) -> HumanTask | None:
    """The open task this person delegated, which they may take back."""
    return session.scalars(select(HumanTask).where(
        HumanTask.id == task_id, HumanTask.status == "open",
        HumanTask.delegated_by == viewer.username, record_filter(viewer, HumanTask))).first()


def colleagues_for(session: Session, viewer: Viewer, task: HumanTask) -> list[User]:
    """Who in the viewer's organisation may be given the task: active, working on cases, and in
    one of its candidate groups (any colleague when the task names no group)."""
    if not viewer.organisation_code:
        return []
    users = session.scalars(select(User).where(User.organisation_code == viewer.organisation_code,
                                               User.active.is_(True))
                            .order_by(User.display_name)).all()
    return [user for user in users
            if user.username != viewer.username and WORKING_ROLES.intersection(user.roles or ())
            and offered_to(task.candidate_groups, user.groups or ())]


# --- saved filters --------------------------------------------------------------------------

def saved_filters(session: Session, username: str) -> list[SavedFilter]:
    return list(session.scalars(select(SavedFilter).where(SavedFilter.username == username)
                                .order_by(SavedFilter.name)))


def save_filter(session: Session, username: str, name: str, query: InboxQuery) -> SavedFilter:
    """Keep the filters under a name (a second save under the same name replaces them)."""
    name = name.strip()[:120]
    if not name:
        raise ValueError("a saved filter needs a name")
    existing = session.scalars(select(SavedFilter).where(SavedFilter.username == username,
                                                         SavedFilter.name == name)).first()
    if existing is None:
        existing = SavedFilter(username=username, name=name, query={})
        session.add(existing)
    existing.query = dict(query.filters, tab=query.tab)
    session.flush()
    return existing


def delete_filter(session: Session, username: str, filter_id: int) -> bool:
    found = session.scalars(select(SavedFilter).where(SavedFilter.id == filter_id,
                                                      SavedFilter.username == username)).first()
    if found is None:
        return False
    session.delete(found)
    return True
