"""Running a report: the catalogue's definition turned into one GROUP BY over its source.

Access applies inside the query (``app.access.scope.record_filter`` on each source table), so
the figures, the totals and the lists behind them only ever count records the viewer may read:
a municipality's totals are its own, never the country's. A report the viewer's organisation may
not see is indistinguishable from one that does not exist (``ReportNotFound``, a 404).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, String, cast, distinct, func, or_, select
from sqlalchemy.orm import Session

from app.access import scope as access
from app.access.scope import Viewer, person_filter, record_filter
from app.db.models import Organisation, Person

from . import facts as facts_tables
from .definitions import REPORTS, Dimension, Measure, ReportDefinition
from .labels import LABELS
from .sources import SOURCES, Context, DateKind

# How far back the period choices go.
_PERIOD_CHOICES = {"month": 24, "quarter": 12, "year": 6}
# The records listed behind one figure at most; the list says when there are more.
DRILLDOWN_LIMIT = 1000


class ReportNotFound(LookupError):
    """No such report, or not for this viewer: both answer 404."""


class InvalidFilter(ReportNotFound):
    """A period or territory the report or the viewer does not have (a tampered link)."""


@dataclass(frozen=True)
class Column:
    name: str
    title_lv: str
    title_en: str
    kind: Literal["dimension", "measure"]
    unit: str | None

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_lv


@dataclass
class ReportResult:
    definition: ReportDefinition
    period: str
    territory: str | None
    columns: list[Column]
    # One dict per row: each dimension's code (None where the record has none) and each
    # measure's figure (int; Decimal for averages; None for an average of nothing).
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    # For charts, one entry per row: label (lv), label_lv, label_en, key (the dimension codes),
    # values (figure per measure).
    series: list[dict[str, Any]]
    # Dimension name -> code -> (label_lv, label_en).
    labels: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def label(self, dimension: str, code: Any, lang: str = "lv") -> str:
        """How a dimension value is shown: the organisation's name, the listed label, or the
        value itself ("—" where the record has none)."""
        named = self.labels.get(dimension, {}).get("" if code is None else str(code))
        if named is None:
            return "—" if code is None or code == "" else str(code)
        return named[1] if lang == "en" else named[0]

    @property
    def dimensions(self) -> list[Column]:
        return [c for c in self.columns if c.kind == "dimension"]

    @property
    def measures(self) -> list[Column]:
        return [c for c in self.columns if c.kind == "measure"]


@dataclass(frozen=True)
class DrilldownRow:
    instance_id: int | None
    case_number: str | None
    fact_date: str
    # Only where the viewer may open the person's case file; else None (the row still counts).
    person_id: int | None
    link_path: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "case_number": self.case_number,
                "fact_date": self.fact_date, "person_id": self.person_id,
                "link_path": self.link_path}


# --- the catalogue as the viewer sees it ------------------------------------------------------

def may_see(viewer: Viewer, definition: ReportDefinition) -> bool:
    return definition.audience.admits(viewer)


def visible_reports(viewer: Viewer) -> list[ReportDefinition]:
    """The reports this viewer may open, in catalogue order (by topic)."""
    return [d for d in REPORTS.values() if may_see(viewer, d)]


def definition_for(viewer: Viewer, report_id: str) -> ReportDefinition:
    definition = REPORTS.get(report_id)
    if definition is None or not may_see(viewer, definition):
        raise ReportNotFound(report_id)
    return definition


# --- periods and territories --------------------------------------------------------------------

_PERIOD_PATTERNS = {"month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
                    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
                    "year": re.compile(r"^(\d{4})$")}


def period_bounds(kind: str, label: str) -> tuple[date, date]:
    """First day of the period and first day after it; ``InvalidFilter`` for a label that is
    not a period of this kind (``2025-10``, ``2025-Q3``, ``2025``)."""
    match = _PERIOD_PATTERNS[kind].match(label)
    if match is None or not 2000 <= int(match.group(1)) <= 2999:
        raise InvalidFilter(f"period {label!r} is not a {kind}")
    year = int(match.group(1))
    if kind == "year":
        return date(year, 1, 1), date(year + 1, 1, 1)
    first_month = int(match.group(2)) if kind == "month" else 3 * int(match.group(2)) - 2
    months = 1 if kind == "month" else 3
    start = date(year, first_month, 1)
    after = first_month + months
    end = date(year + (after - 1) // 12, (after - 1) % 12 + 1, 1)
    return start, end


def period_of(kind: str, day: date) -> str:
    if kind == "year":
        return f"{day.year:04d}"
    if kind == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}-{day.month:02d}"


def periods(definition: ReportDefinition, today: date) -> list[str]:
    """The periods offered for the report, the current one first."""
    choices: list[str] = []
    day = today
    while len(choices) < _PERIOD_CHOICES[definition.period]:
        label = period_of(definition.period, day)
        if label not in choices:
            choices.append(label)
        start, _ = period_bounds(definition.period, label)
        day = date.fromordinal(start.toordinal() - 1)
    return choices


def territory_choices(session: Session, viewer: Viewer) -> list[tuple[str, str, str]]:
    """(code, label_lv, label_en) of the territories the viewer may narrow a report to: the
    ministry and auditors every planning region and municipality, a planning region itself and
    its municipalities, a municipality itself. Other organisations see their own records and
    choose no territory."""
    kind = viewer.organisation_kind
    query = select(Organisation.code, Organisation.name_lv, Organisation.name_en)
    if kind in (access.MINISTRY, access.AUDITOR) or (kind is None and viewer.is_auditor):
        rows = session.execute(query.where(Organisation.kind.in_(
            (access.PLANNING_REGION, access.MUNICIPALITY))).order_by(
                Organisation.kind.desc(), Organisation.code)).all()
        # The regions first (planning_region sorts after municipality, hence desc), then towns.
        return [(r.code, r.name_lv, r.name_en) for r in rows]
    if kind == access.PLANNING_REGION and viewer.organisation_code:
        own = session.execute(query.where(Organisation.code == viewer.organisation_code)).all()
        members = session.execute(query.where(
            Organisation.code.in_(viewer.region_municipalities)).order_by(Organisation.code)).all()
        return [(r.code, r.name_lv, r.name_en) for r in [*own, *members]]
    if kind == access.MUNICIPALITY and viewer.municipality_code:
        rows = session.execute(query.where(Organisation.code == viewer.municipality_code)).all()
        return [(r.code, r.name_lv, r.name_en) for r in rows]
    return []


def _territory_municipalities(session: Session, viewer: Viewer,
                              territory: str | None) -> tuple[str, ...] | None:
    if territory is None or territory == "":
        return None
    if territory not in {code for code, _, _ in territory_choices(session, viewer)}:
        raise InvalidFilter(f"territory {territory!r}")
    kind = session.scalar(select(Organisation.kind).where(Organisation.code == territory))
    if kind == access.PLANNING_REGION:
        return tuple(session.scalars(select(Organisation.code).where(
            Organisation.kind == access.MUNICIPALITY, Organisation.region_code == territory)))
    return (territory,)


# --- running ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Query:
    session: Session
    definition: ReportDefinition
    viewer: Viewer
    period: str
    start: date
    end: date
    municipalities: tuple[str, ...] | None
    now: datetime

    def restrict(self, entity: Any, starts: Any, kind: DateKind,
                 ends: Any = None) -> list[ColumnElement[bool]]:
        """The conditions every source table gets: access, territory, period. A fact dated
        by ``starts`` counts in the period it falls in ("within") or in every period from then
        on ("until"); one that lasts (``ends``, empty while it goes on) counts in every period
        it overlaps."""
        conditions = [record_filter(self.viewer, entity)]
        if self.municipalities is not None:
            conditions.append(entity.municipality_code.in_(self.municipalities))
        start: Any
        end: Any
        if kind == "timestamp":
            start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
            end = datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)
        elif kind == "month":
            start, end = period_of("month", self.start), period_of("month", self.end)
        else:
            start, end = self.start, self.end
        conditions.append(starts < end)
        if ends is not None:
            conditions.append(or_(ends.is_(None), ends >= start))
        elif self.definition.counts == "within":
            conditions.append(starts >= start)
        return conditions

    def facts(self) -> Any:
        """The source's rows for this viewer, territory and period, with the report's filters:
        a subquery the figures and the drill-down select from."""
        source = SOURCES[self.definition.source]
        if source.derived:
            facts_tables.refresh(self.session)
        built: Select[Any] = source.build(self.restrict,
                                          Context(now=self.now, start=self.start, end=self.end))
        facts = built.subquery("facts")
        return facts, [facts.c[column].in_(values)
                       for column, values in self.definition.filters.items()]


def _prepare(session: Session, report_id: str, viewer: Viewer, period: str | None,
             territory: str | None, now: datetime | None) -> _Query:
    definition = definition_for(viewer, report_id)
    now = now or datetime.now(UTC)
    period = period or periods(definition, now.date())[0]
    start, end = period_bounds(definition.period, period)
    municipalities = _territory_municipalities(session, viewer, territory)
    return _Query(session, definition, viewer, period, start, end, municipalities, now)


def _measure(facts: Any, measure: Measure) -> ColumnElement[Any]:
    if measure.kind == "count" or measure.of is None:
        return func.count()
    column = facts.c[measure.of]
    if measure.kind == "count_distinct":
        return func.count(distinct(column))
    if measure.kind in ("sum", "sum_cents"):
        return func.coalesce(func.sum(column), 0)
    return func.avg(column)


def _figure(measure: Measure, value: Any) -> Any:
    if measure.kind == "average":
        return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return int(value or 0)


def _code(value: Any) -> str | None:
    return None if value is None else str(value)


def run(session: Session, report_id: str, viewer: Viewer, *, period: str | None = None,
        territory: str | None = None, now: datetime | None = None) -> ReportResult:
    """The report's figures for the period and territory, as this viewer may see them."""
    query = _prepare(session, report_id, viewer, period, territory, now)
    definition = query.definition
    facts, filters = query.facts()
    dimensions = [facts.c[d.name] for d in definition.dimensions]
    measures = [_measure(facts, m).label(m.name) for m in definition.measures]
    grouped = select(*dimensions, *measures).select_from(facts).where(*filters)
    if dimensions:
        grouped = grouped.group_by(*dimensions).order_by(*dimensions)
    rows: list[dict[str, Any]] = []
    for row in session.execute(grouped).mappings():
        values: dict[str, Any] = {d.name: _code(row[d.name]) for d in definition.dimensions}
        values.update({m.name: _figure(m, row[m.name]) for m in definition.measures})
        rows.append(values)
    if dimensions:
        total_row = session.execute(
            select(*measures).select_from(facts).where(*filters)).mappings().one()
        totals = {m.name: _figure(m, total_row[m.name]) for m in definition.measures}
    else:
        totals = {m.name: rows[0][m.name] for m in definition.measures} if rows else {}
    labels = _labels(session, definition.dimensions, rows)
    result = ReportResult(definition=definition, period=query.period, territory=territory or None,
                          columns=_columns(definition), rows=rows, totals=totals, series=[],
                          labels=labels)
    result.series = [_series_entry(result, row) for row in rows]
    return result


def _columns(definition: ReportDefinition) -> list[Column]:
    return ([Column(d.name, d.title_lv, d.title_en, "dimension", None)
             for d in definition.dimensions]
            + [Column(m.name, m.title_lv, m.title_en, "measure", m.unit)
               for m in definition.measures])


def _labels(session: Session, dimensions: tuple[Dimension, ...],
            rows: list[dict[str, Any]]) -> dict[str, dict[str, tuple[str, str]]]:
    labels: dict[str, dict[str, tuple[str, str]]] = {}
    for dimension in dimensions:
        codes = sorted({row[dimension.name] for row in rows
                        if row[dimension.name] is not None})
        if dimension.labels == "values":
            labels[dimension.name] = dict(dimension.values)
        elif dimension.labels == "organisation" and codes:
            labels[dimension.name] = {
                r.code: (r.name_lv, r.name_en) for r in session.execute(
                    select(Organisation.code, Organisation.name_lv, Organisation.name_en)
                    .where(Organisation.code.in_(codes)))}
        elif dimension.labels in LABELS:
            name_of = LABELS[dimension.labels]
            labels[dimension.name] = {code: (name_of(code, "lv"), name_of(code, "en"))
                                      for code in codes}
    return labels


def _series_entry(result: ReportResult, row: dict[str, Any]) -> dict[str, Any]:
    names = [d.name for d in result.definition.dimensions]
    label_lv = " · ".join(result.label(n, row[n], "lv") for n in names)
    label_en = " · ".join(result.label(n, row[n], "en") for n in names)
    return {"label": label_lv, "label_lv": label_lv, "label_en": label_en,
            "key": {n: row[n] for n in names},
            "values": {m.name: row[m.name] for m in result.definition.measures}}


def drilldown(session: Session, report_id: str, viewer: Viewer, *, period: str | None,
              territory: str | None, cell: dict[str, str],
              now: datetime | None = None) -> list[dict[str, Any]]:
    """The records behind one figure: the report's facts in the cell's dimension values (a
    value of "" is a record without one). Each row links to the person's case file only where
    the viewer may open it. ``ReportNotFound`` where the report has no drill-down, or the cell
    names something that is not a dimension of the report."""
    query = _prepare(session, report_id, viewer, period, territory, now)
    definition = query.definition
    if not definition.drilldown:
        raise ReportNotFound(report_id)
    names = {d.name for d in definition.dimensions}
    if not set(cell) <= names or not all(isinstance(v, str) for v in cell.values()):
        raise InvalidFilter(f"cell {sorted(cell)!r}")
    facts, filters = query.facts()
    for name, value in cell.items():
        column = cast(facts.c[name], String)
        filters.append(or_(facts.c[name].is_(None), column == "") if value == "" else
                       column == value)
    listed = (select(facts.c.instance_id, facts.c.case_number, facts.c.person_id,
                     facts.c.fact_date).where(*filters).distinct()
              .order_by(facts.c.fact_date, facts.c.case_number, facts.c.instance_id)
              .limit(DRILLDOWN_LIMIT))
    found = session.execute(listed).all()
    person_ids = {r.person_id for r in found if r.person_id is not None}
    openable = set(session.scalars(select(Person.id).where(
        Person.id.in_(sorted(person_ids)), person_filter(viewer)))) if person_ids else set()
    rows = []
    for r in found:
        person_id = r.person_id if r.person_id in openable else None
        rows.append(DrilldownRow(
            instance_id=r.instance_id, case_number=r.case_number, fact_date=_day(r.fact_date),
            person_id=person_id,
            link_path=f"/persons/{person_id}" if person_id is not None else None).as_dict())
    return rows


def _day(value: Any) -> str:
    """A fact's date as ISO text (a timestamp's day in UTC, a month as ``YYYY-MM``)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


__all__ = ["Column", "DrilldownRow", "InvalidFilter", "ReportNotFound", "ReportResult",
           "drilldown", "may_see", "period_bounds", "periods", "run",
           "territory_choices", "visible_reports"]
