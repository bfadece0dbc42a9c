"""The access log as auditors search it: who looked at one person's records (a data subject's
access request), or what one user looked at (an investigation), within a date range, a page at a
time. No Flask here; the caller checks that the viewer is an auditor and logs the search itself.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from app.db.models import AccessLogEntry, Attachment, HumanTask, ProcessInstance, User
from app.domain.calendar import RIGA, end_of_day

PAGE_SIZE = 50
# The access log's own record type: an auditor's look at someone's access entries.
ACCESS_LOG_RECORD = "access_log"


@dataclass(frozen=True)
class AccessQuery:
    """What the auditor asks: one person's records or one user's looks, between two days."""

    person_id: int | None = None
    username: str = ""
    start: date | None = None  # first day, inclusive, Latvian time
    end: date | None = None  # last day, inclusive
    page: int = 1
    errors: tuple[str, ...] = field(default_factory=tuple)  # names of fields that did not parse

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> AccessQuery:
        errors = []
        start = _day(args.get("from", ""))
        if start is None and args.get("from"):
            errors.append("from")
        end = _day(args.get("to", ""))
        if end is None and args.get("to"):
            errors.append("to")
        person = args.get("person", "")
        try:
            page = max(1, min(int(args.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        return cls(person_id=int(person) if person.isdigit() else None,
                   username=args.get("user", "").strip()[:120], start=start, end=end, page=page,
                   errors=tuple(errors))

    @property
    def asks(self) -> bool:
        return self.person_id is not None or bool(self.username)

    def args(self, **changes: object) -> dict[str, object]:
        """The query as URL arguments, for paging links."""
        values: dict[str, object] = {"person": self.person_id, "user": self.username or None,
                                     "from": self.start.isoformat() if self.start else None,
                                     "to": self.end.isoformat() if self.end else None,
                                     "page": self.page}
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


@dataclass(frozen=True)
class AccessRow:
    entry: AccessLogEntry
    display_name: str

    @property
    def through_api(self) -> bool:
        return self.entry.path.startswith("/api/")


@dataclass(frozen=True)
class AccessPage:
    rows: list[AccessRow]
    total: int
    page: int
    pages: int
    first: int  # number of the first row shown, counted from 1
    last: int


def access_page(session: Session, query: AccessQuery) -> AccessPage:
    """The entries the query asks for, newest first, one page of them."""
    conditions: list[ColumnElement[bool]] = []
    if query.person_id is not None:
        conditions.append(person_records(query.person_id))
    if query.username:
        conditions.append(AccessLogEntry.username == query.username)
    if query.start is not None:
        conditions.append(AccessLogEntry.at >= datetime.combine(query.start, time.min,
                                                                tzinfo=RIGA).astimezone(UTC))
    if query.end is not None:
        conditions.append(AccessLogEntry.at < end_of_day(query.end))
    where = and_(*conditions) if conditions else true()
    total = session.scalar(select(func.count()).select_from(AccessLogEntry).where(where)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(query.page, pages)
    found = session.execute(
        select(AccessLogEntry, User.display_name)
        .outerjoin(User, User.username == AccessLogEntry.username)
        .where(where)
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    rows = [AccessRow(entry, name or entry.username) for entry, name in found]
    first = (page - 1) * PAGE_SIZE + 1 if rows else 0
    return AccessPage(rows, total, page, pages, first, first + len(rows) - 1 if rows else 0)


def person_records(person_id: int) -> ColumnElement[bool]:
    """SQL condition on ``access_log``: entries about the person's file, their processes, their
    tasks, the files attached to those, and auditors' looks at the person's access entries."""
    entry = AccessLogEntry
    instances = select(ProcessInstance.id).where(ProcessInstance.person_id == person_id)
    tasks = select(HumanTask.id).where(HumanTask.person_id == person_id)
    attachments = select(Attachment.id).where(Attachment.instance_id.in_(instances))
    return or_(
        and_(entry.record_type.in_(("person", ACCESS_LOG_RECORD)), entry.record_id == person_id),
        and_(entry.record_type == "instance", entry.record_id.in_(instances)),
        and_(entry.record_type == "task", entry.record_id.in_(tasks)),
        and_(entry.record_type == "attachment", entry.record_id.in_(attachments)),
    )


def _day(text: str) -> date | None:
    text = text.strip()
    for parse in (date.fromisoformat, _lv_day):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def _lv_day(text: str) -> date:
    """DD.MM.YYYY, as people type dates here when the browser has no date picker."""
    return datetime.strptime(text, "%d.%m.%Y").date()
