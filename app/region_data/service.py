"""Selecting the rows of the data selection page and writing them as CSV and XLSX. No Flask here.

Every row comes from ``app.access.scope.record_filter``: a planning region sees the assessments
and services of its own municipalities, the ministry every region's. A municipality asked for
that is outside the viewer's choice raises ``OutsideScope`` (the page answers 404), so a tampered
filter never widens what is returned.

Sources: assessments are the P1/P2 process instances (record kind "assessment"); services are the
instances of record kind "service" (P3–P8). For P2 the child group and the services needed come
from what the tasks submitted (``app.child_assessment.service.assessment_facts``).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from openpyxl import Workbook
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.access import record_kinds
from app.access.scope import MINISTRY, MUNICIPALITY, PLANNING_REGION, Viewer, record_filter
from app.cases import personal_codes
from app.child_assessment.service import PROCESS_KEY as P2_KEY
from app.child_assessment.service import assessment_facts
from app.db.models import Organisation, Person, ProcessInstance
from app.domain.calendar import RIGA, format_lv
from app.domain.child_assessment import all_service_codes

ASSESSMENTS = "assessments"
SERVICES = "services"
TABS = {ASSESSMENTS: record_kinds.ASSESSMENT, SERVICES: record_kinds.SERVICE}
# The programme processes each tab offers, by number (process keys begin p01_ … p08_).
PROCESSES = {ASSESSMENTS: (1, 2), SERVICES: (3, 4, 5, 6, 7, 8)}
ROW_LIMIT = 5000  # a page shows this many; an export carries them all


class OutsideScope(Exception):
    """A filter names something outside what the viewer may select."""


@dataclass(frozen=True)
class Filters:
    tab: str = ASSESSMENTS
    municipality: str = ""
    process: int | None = None
    service_type: str = ""
    period_from: date | None = None
    period_to: date | None = None


@dataclass(frozen=True)
class Row:
    instance_id: int
    process_number: int
    case_reference: str
    personal_code: str  # masked unless the viewer works on the records
    municipality_code: str
    status: str
    started_on: date
    ended_on: date | None
    child_group: str = ""
    services: tuple[str, ...] = field(default_factory=tuple)


def may_select(viewer: Viewer) -> bool:
    return viewer.organisation_kind in (PLANNING_REGION, MINISTRY)


def selectable_municipalities(session: Session, viewer: Viewer) -> list[Organisation]:
    """The municipalities the viewer may filter by: their region's, or all for the ministry."""
    query = select(Organisation).where(Organisation.kind == MUNICIPALITY).order_by(Organisation.code)
    if viewer.organisation_kind == PLANNING_REGION:
        query = query.where(Organisation.code.in_(viewer.region_municipalities))
    elif viewer.organisation_kind != MINISTRY:
        return []
    return list(session.scalars(query))


def service_type_codes() -> list[str]:
    return all_service_codes()


def select_rows(session: Session, viewer: Viewer, filters: Filters,
                limit: int | None = None) -> list[Row]:
    if not may_select(viewer):
        raise OutsideScope("this organisation does not select regional data")
    if filters.tab not in TABS:
        raise OutsideScope("no such tab")
    if filters.municipality and filters.municipality not in {
            m.code for m in selectable_municipalities(session, viewer)}:
        raise OutsideScope("municipality outside the viewer's region")
    if filters.process is not None and filters.process not in PROCESSES[filters.tab]:
        raise OutsideScope("no such process on this tab")
    query = (select(ProcessInstance, Person.personal_code)
             .outerjoin(Person, Person.id == ProcessInstance.person_id)
             .where(record_filter(viewer, ProcessInstance),
                    ProcessInstance.record_kind == TABS[filters.tab])
             .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc()))
    numbers = (filters.process,) if filters.process is not None else PROCESSES[filters.tab]
    query = query.where(or_(*(ProcessInstance.process_key.startswith(f"p{n:02d}_")
                              for n in numbers)))
    if filters.municipality:
        query = query.where(ProcessInstance.municipality_code == filters.municipality)
    if filters.period_to is not None:  # started on or before the period's last day
        query = query.where(ProcessInstance.created_at < _riga_start(filters.period_to + timedelta(days=1)))
    if filters.period_from is not None:  # still running, or ended on or after its first day
        query = query.where(or_(ProcessInstance.ended_at.is_(None),
                                ProcessInstance.ended_at >= _riga_start(filters.period_from)))
    found = list(session.execute(query))
    facts = assessment_facts(session, [i.id for i, _ in found if i.process_key == P2_KEY])
    rows = []
    for instance, code in found:
        fact = facts.get(instance.id)
        services = tuple(fact.services_needed) if fact else ()
        if filters.service_type and filters.service_type not in services:
            continue
        shown = code or ""
        if shown and not viewer.works_on_cases:
            shown = personal_codes.masked(shown)
        rows.append(Row(instance_id=instance.id, process_number=int(instance.process_key[1:3]),
                        case_reference=instance.business_key or str(instance.id),
                        personal_code=shown, municipality_code=instance.municipality_code or "",
                        status=instance.status, started_on=_riga_day(instance.created_at),
                        ended_on=_riga_day(instance.ended_at) if instance.ended_at else None,
                        child_group=(fact.child_group or "") if fact else "", services=services))
        if limit is not None and len(rows) >= limit:
            break
    return rows


# The export's columns, in order (docs/region_data.md describes them).
COLUMNS = ("process", "case_reference", "personal_code", "municipality_code", "status",
           "started_on", "ended_on", "child_group", "services")
COLUMN_TITLES = {
    "process": "Process", "case_reference": "Case", "personal_code": "Personal code",
    "municipality_code": "Municipality", "status": "Status", "started_on": "Started",
    "ended_on": "Ended", "child_group": "Child group", "services": "Services needed",
}


def _cells(row: Row) -> list[str]:
    return [f"P{row.process_number}", row.case_reference, row.personal_code, row.municipality_code,
            row.status, format_lv(row.started_on), format_lv(row.ended_on) if row.ended_on else "",
            row.child_group, " ".join(row.services)]


def to_csv(rows: Sequence[Row], titles: Sequence[str]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the Latvian letters), ``;`` between fields
    (the list separator of Latvian Excel), dates DD.MM.YYYY."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(titles)
    for row in rows:
        writer.writerow(_cells(row))
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Sequence[Row], titles: Sequence[str], sheet_title: str) -> bytes:
    """One sheet, a header row, dates as real dates shown DD.MM.YYYY."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title[:31]
    sheet.append(list(titles))
    for row in rows:
        cells: list[object] = list(_cells(row))
        cells[5] = row.started_on
        cells[6] = row.ended_on
        sheet.append(cells)
    for column in ("F", "G"):
        for cell in sheet[column][1:]:
            cell.number_format = "DD.MM.YYYY"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _riga_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=RIGA).astimezone(UTC)


def _riga_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(RIGA).date()
