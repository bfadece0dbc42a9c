"""Selecting the rows of the data selection page and writing them as CSV and XLSX. No Flask here.

Every row comes from ``app.access.scope.record_filter``: a planning region sees the assessments
and services of its own municipalities, the ministry every region's. A municipality asked for
that is outside the viewer's choice raises ``OutsideScope`` (the page answers 404), so a tampered
filter never widens what is returned.

Sources: assessments are the P1/P2 process instances (record kind "assessment"); service cases are
the instances of record kind "service" (P3–P8); services delivered are the accepted P3 service
records (``app.community_services.records.accepted_records``). For P2 the child group and the
services needed come from what the tasks submitted (``app.child_assessment.service.assessment_facts``).

The three tabs share one filter check (``check_filters``) and one pair of writers (``to_csv``,
``to_xlsx``): a tab gives typed cells (text, dates, ``Euro``, ``Decimal``) and the writer decides
how each type is written.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.access import record_kinds
from app.access.scope import MINISTRY, MUNICIPALITY, PLANNING_REGION, Viewer, record_filter
from app.cases import personal_codes
from app.child_assessment.service import PROCESS_KEY as P2_KEY
from app.child_assessment.service import assessment_facts
from app.community_services.providers import registered_providers
from app.community_services.records import accepted_records
from app.db.models import Organisation, Person, ProcessInstance
from app.documents.service import format_eur
from app.domain.calendar import RIGA, format_lv
from app.domain.child_assessment import all_service_codes
from app.domain.community_services import volume_text
from app.domain.service_types import ADULT_SERVICE_TYPES, service_type_name
from app.texts import N_

ASSESSMENTS = "assessments"
SERVICES = "services"  # service cases: the P3–P8 process instances
DELIVERED = "delivered"  # services delivered: the accepted P3 service records
TABS = {ASSESSMENTS: record_kinds.ASSESSMENT, SERVICES: record_kinds.SERVICE,
        DELIVERED: record_kinds.SERVICE}
# The programme processes each tab offers, by number (process keys begin p01_ … p08_).
PROCESSES: dict[str, tuple[int, ...]] = {ASSESSMENTS: (1, 2), SERVICES: (3, 4, 5, 6, 7, 8),
                                         DELIVERED: ()}
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


def service_type_codes(tab: str) -> list[str]:
    """The service types a tab filters by: the services a P2 assessment found a child needs, or
    the seven adult community-service types of P3 records; the service-case tab has none."""
    if tab == ASSESSMENTS:
        return all_service_codes()
    if tab == DELIVERED:
        return list(ADULT_SERVICE_TYPES)
    return []


def check_filters(session: Session, viewer: Viewer, filters: Filters) -> list[str]:
    """Refuse (``OutsideScope``) a filter outside the viewer's choices; return the municipality
    codes the selection may read (one chosen, or all the viewer may select)."""
    if not may_select(viewer):
        raise OutsideScope("this organisation does not select regional data")
    if filters.tab not in TABS:
        raise OutsideScope("no such tab")
    codes = [m.code for m in selectable_municipalities(session, viewer)]
    if filters.municipality and filters.municipality not in codes:
        raise OutsideScope("municipality outside the viewer's region")
    if filters.process is not None and filters.process not in PROCESSES[filters.tab]:
        raise OutsideScope("no such process on this tab")
    if filters.service_type and filters.service_type not in service_type_codes(filters.tab):
        raise OutsideScope("no such service type on this tab")
    return [filters.municipality] if filters.municipality else codes


def select_rows(session: Session, viewer: Viewer, filters: Filters,
                limit: int | None = None) -> list[Row]:
    """The assessment and service-case tabs: process instances."""
    check_filters(session, viewer, filters)
    if filters.tab == DELIVERED:
        raise OutsideScope("services delivered are records: select_delivered")
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


@dataclass(frozen=True)
class Euro:
    """An amount kept in whole cents, so it is never a float on its way to a page or a file."""

    cents: int

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.cents) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class DeliveredRow:
    record_id: int
    personal_code: str  # masked unless the viewer works on the records
    municipality_code: str
    service_type: str
    provider_code: str
    provider_name: str
    period_from: date
    period_to: date
    volume: Decimal
    unit: str  # HOURS | DAYS | SESSIONS
    cost: Euro


@dataclass(frozen=True)
class Totals:
    records: int
    persons: int
    cost: Euro


@dataclass(frozen=True)
class Delivered:
    rows: list[DeliveredRow]  # at most the limit asked for
    totals: Totals  # of the whole selection, however many rows are shown


def select_delivered(session: Session, viewer: Viewer, filters: Filters,
                     limit: int | None = None) -> Delivered:
    """Services delivered: the accepted service records the viewer may read, of the chosen
    municipality and service type, whose period overlaps the one asked for."""
    if filters.tab != DELIVERED:
        raise OutsideScope("not the services-delivered tab")
    codes = check_filters(session, viewer, filters)
    # The ministry without a municipality chosen reads every municipality, listed or not.
    every = viewer.organisation_kind == MINISTRY and not filters.municipality
    found = accepted_records(
        session, viewer=viewer, municipality_codes=None if every else codes,
        period_from=filters.period_from, period_to=filters.period_to,
        service_type=filters.service_type or None)
    found.sort(key=lambda r: (r.period_from, r.municipality_code or "", r.id))
    providers = registered_providers()
    rows = []
    for record in found[:limit] if limit is not None else found:
        provider = providers.get(record.provider_code)
        shown = record.personal_code
        if shown and not viewer.works_on_cases:
            shown = personal_codes.masked(shown)
        rows.append(DeliveredRow(
            record_id=record.id, personal_code=shown, municipality_code=record.municipality_code or "",
            service_type=record.service_type, provider_code=record.provider_code,
            provider_name=provider.name if provider else record.provider_code,
            period_from=record.period_from, period_to=record.period_to,
            volume=Decimal(record.volume), unit=record.unit, cost=Euro(int(record.cost_cents))))
    totals = Totals(records=len(found), persons=len({r.personal_code for r in found}),
                    cost=Euro(sum(int(r.cost_cents) for r in found)))
    return Delivered(rows, totals)


# Each export's columns, in order (docs/region_data.md describes them), and its sheet's name;
# the titles are msgids the view translates into the reader's language.
COLUMN_TITLES: dict[str, tuple[str, ...]] = {
    ASSESSMENTS: (N_("Process"), N_("Case"), N_("Personal code"), N_("Municipality"), N_("Status"),
                  N_("Started"), N_("Ended"), N_("Child group"), N_("Services needed")),
    DELIVERED: (N_("Personal code"), N_("Municipality"), N_("Service type"), N_("Provider"),
                N_("Provider code"), N_("Period from"), N_("Period to"), N_("Volume"), N_("Unit"),
                N_("Cost, EUR")),
}
COLUMN_TITLES[SERVICES] = COLUMN_TITLES[ASSESSMENTS]
SHEET_TITLES = {ASSESSMENTS: N_("Persons assessed"), SERVICES: N_("Service cases"),
                DELIVERED: N_("Services delivered")}
EURO_FORMAT = '#,##0.00 "€"'


def instance_cells(row: Row) -> list[object]:
    return [f"P{row.process_number}", row.case_reference, row.personal_code, row.municipality_code,
            row.status, row.started_on, row.ended_on, row.child_group, " ".join(row.services)]


def delivered_cells(row: DeliveredRow, lang: str = "lv") -> list[object]:
    return [row.personal_code, row.municipality_code, service_type_name(row.service_type, lang),
            row.provider_name, row.provider_code, row.period_from, row.period_to, row.volume,
            row.unit, row.cost]


def euro_text(amount: Euro) -> str:
    """1 234,50: the documents' way of writing euro (``format_eur``) without the sign."""
    return format_eur(amount.cents).removesuffix(" €")


def _csv_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, date):
        return format_lv(cell)
    if isinstance(cell, Euro):
        return euro_text(cell)
    if isinstance(cell, Decimal):
        return volume_text(cell)
    return str(cell)


def to_csv(titles: Sequence[str], lines: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the Latvian letters), ``;`` between fields
    (the list separator of Latvian Excel), dates DD.MM.YYYY, euro 1 234,50."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(titles)
    for line in lines:
        writer.writerow([_csv_text(cell) for cell in line])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(titles: Sequence[str], lines: Iterable[Sequence[object]], sheet_title: str) -> bytes:
    """One sheet, a header row, dates as real dates shown DD.MM.YYYY, euro as numbers with two
    decimals in a euro format, volumes as numbers."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title[:31]
    sheet.append(list(titles))
    for number, line in enumerate(lines, start=2):
        sheet.append([cell.amount if isinstance(cell, Euro) else cell for cell in line])
        for column, cell in enumerate(line, start=1):
            if isinstance(cell, date):
                sheet.cell(row=number, column=column).number_format = "DD.MM.YYYY"
            elif isinstance(cell, Euro):
                sheet.cell(row=number, column=column).number_format = EURO_FORMAT
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _riga_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=RIGA).astimezone(UTC)


def _riga_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(RIGA).date()
