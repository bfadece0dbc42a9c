"""The counts of a data set for a period, computed in the database, as a table to protect.

One query per data set (SQLAlchemy Core, portable to SQLite and PostgreSQL): the source's facts
that count for the period (datasets.yaml, ``facts``), each placed by territory and the data set's
dimensions, first grouped per subject (so a subject is counted once in a cell however many facts
put him there) and then per cell. Only the grouped cells leave the database.

A person's territory is the fact's municipality when the fact names one (a provider's, the
municipality a request was made to) and otherwise his declared municipality. His age band is
worked out in SQL from ``stat_subject.birth_month`` against the reference date: the birth
month's first day stands for the birth date, so a person born in the reference month has had his
birthday. A subject whose territory or any code is outside the declared values (no population
record, a code the definition does not publish) falls in no cell and is counted in ``excluded``.

The result is a ``disclosure.Table`` with every cell (zeros included) and the planning-region
breakdowns (region × each combination of the other dimensions), so region rows are published and
protected with the municipalities; D6's averages (sum of wages / sum of months, in euro to the
cent, rounded half up) come with it for every number with a non-zero count.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from itertools import combinations, product
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from app.access.organisations import read_territories
from app.access.scope import MUNICIPALITY, PLANNING_REGION
from app.db.models import StatFact, StatSubject
from app.opendata.definitions import Definition, Dimension, parse_period, period_kind
from app.opendata.disclosure import TOTAL, Breakdown, Key, Table, published_sets

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Territory:
    code: str
    level: str  # municipality | planning_region | national
    atvk_code: str
    name_lv: str
    name_en: str
    planning_region: str


NATIONAL = Territory("LV", "national", "", "Latvija", "Latvia", "")


@cache
def territories() -> tuple[Territory, ...]:
    """The planning regions and the municipalities (data/territories.csv), in file order."""
    found = []
    for org in read_territories():
        if org.kind == PLANNING_REGION:
            found.append(Territory(org.code, "planning_region", org.atvk_code or "",
                                   org.name_lv, org.name_en, org.code))
        elif org.kind == MUNICIPALITY:
            found.append(Territory(org.code, "municipality", org.atvk_code or "",
                                   org.name_lv, org.name_en, org.region_code or ""))
    return tuple(found)


def municipalities() -> tuple[Territory, ...]:
    return tuple(t for t in territories() if t.level == "municipality")


def planning_regions() -> tuple[Territory, ...]:
    return tuple(t for t in territories() if t.level == "planning_region")


@dataclass(frozen=True)
class Aggregate:
    definition: Definition
    period: str
    period_start: date
    period_end: date
    reference_date: date
    table: Table
    excluded: int  # subject-cells outside the declared territories or codes


def aggregate(session: Session, definition: Definition, period: str) -> Aggregate:
    """The data set's table for the period (a label such as 2025, 2025-Q3, 2025-10)."""
    label, start, end = parse_period(period)
    if period_kind(label) != definition.period:
        raise ValueError(f"{definition.code} is published by {definition.period}, not {label!r}")
    reference = end  # the only reference-date rule so far: the period's last day
    rows = session.execute(_cells_query(definition, start, end, reference)).all()
    average = next((m for m in definition.measures if m.kind == "average"), None)
    dimensions = ("territory", *(d.name for d in definition.dimensions))
    codes = [tuple(t.code for t in municipalities()),
             *(d.codes for d in definition.dimensions)]
    cells: dict[Key, int] = {key: 0 for key in product(*codes)}
    sums: dict[Key, tuple[int, int]] = {}
    excluded = 0
    for row in rows:
        key = tuple(row[:len(dimensions)])
        if key not in cells:
            excluded += int(row.subjects)
            continue
        cells[key] = int(row.subjects)
        if average is not None:
            sums[key] = (int(row.amount or 0), int(row.per or 0))
    table = Table(dimensions=dimensions, cells=cells,
                  breakdowns=_region_breakdowns(definition.dimensions, cells))
    if average is not None:
        table = Table(table.dimensions, table.cells, table.breakdowns, _averages(table, sums))
    return Aggregate(definition, label, start, end, reference, table, excluded)


def _cells_query(definition: Definition, start: date, end: date, reference: date) -> Any:
    fact = StatFact.__table__
    subject = StatSubject.__table__
    territory = func.coalesce(func.nullif(fact.c.municipality_code, ""),
                              subject.c.municipality_code)
    columns: list[ColumnElement[Any]] = [
        fact.c.subject.label("subject"), territory.label("territory")]
    for i, dimension in enumerate(definition.dimensions):
        columns.append(_dimension_value(dimension, reference).label(f"d{i}"))
    average = next((m for m in definition.measures if m.kind == "average"), None)
    if average is not None:
        columns += [fact.c[average.sum_of].label("amount"), fact.c[average.per].label("per")]
    if definition.facts == "overlapping_period":
        counted = and_(fact.c.started_on <= end,
                       or_(fact.c.ended_on.is_(None), fact.c.ended_on >= start))
    else:
        counted = and_(fact.c.started_on <= reference,
                       or_(fact.c.ended_on.is_(None), fact.c.ended_on >= reference))
    if definition.latest_fact_only:
        columns.append(func.row_number().over(
            partition_by=fact.c.subject,
            order_by=(fact.c.started_on.desc(), fact.c.id.desc())).label("rank"))
    facts = (select(*columns)
             .select_from(fact.outerjoin(subject, subject.c.pseudonym == fact.c.subject))
             .where(fact.c.source.in_(definition.sources), counted)
             .subquery("facts"))
    keys = [facts.c.territory, *(facts.c[f"d{i}"] for i in range(len(definition.dimensions)))]
    sums = ([func.sum(facts.c.amount).label("amount"), func.sum(facts.c.per).label("per")]
            if average is not None else [])
    # Grouped per subject first: a subject counts once per cell, and his wages and months add up.
    per_subject = select(facts.c.subject, *keys, *sums)
    if definition.latest_fact_only:
        per_subject = per_subject.where(facts.c.rank == 1)
    placed = per_subject.group_by(facts.c.subject, *keys).subquery("placed")
    cell_keys = [placed.c.territory,
                 *(placed.c[f"d{i}"] for i in range(len(definition.dimensions)))]
    totals = ([func.sum(placed.c.amount).label("amount"), func.sum(placed.c.per).label("per")]
              if average is not None else [])
    return select(*cell_keys, func.count().label("subjects"), *totals).group_by(*cell_keys)


def _dimension_value(dimension: Dimension, reference: date) -> ColumnElement[Any]:
    fact = StatFact.__table__
    subject = StatSubject.__table__
    if dimension.source == "fact.category":
        return fact.c.category
    if dimension.source == "fact.severity":
        return fact.c.severity
    if dimension.source == "subject.sex":
        return subject.c.sex
    # Whole years at the reference date with the birth on the first of its month: a person is at
    # least n years old when born in or before the reference month n years earlier.
    month = reference.replace(day=1)
    whens = []
    for value in dimension.values:
        low = month.replace(year=month.year - (value.min_age or 0))
        condition = subject.c.birth_month <= low
        if value.max_age is not None:
            high = month.replace(year=month.year - value.max_age - 1)
            condition = and_(condition, subject.c.birth_month > high)
        whens.append((condition, literal(value.code)))
    return case(*whens, else_=None)


def _region_breakdowns(dimensions: tuple[Dimension, ...],
                       cells: Mapping[Key, int]) -> tuple[Breakdown, ...]:
    """Region × every combination of the other dimensions (each summed out or kept)."""
    region_of = {t.code: t.planning_region for t in municipalities()}
    width = len(dimensions)
    found = []
    for kept_count in range(width, -1, -1):
        for kept in combinations(range(width), kept_count):
            groups: dict[Key, set[Key]] = {}
            for key in cells:
                label = (region_of[key[0]],
                         *(key[1 + i] if i in kept else TOTAL for i in range(width)))
                groups.setdefault(label, set()).add(key)
            name = "planning_region" + "".join(f"×{dimensions[i].name}" for i in kept)
            found.append(Breakdown(name, {label: frozenset(g) for label, g in groups.items()}))
    return tuple(found)


def _averages(table: Table, sums: Mapping[Key, tuple[int, int]]) -> dict[Key, Decimal]:
    """The average of every published number with a count: sum of amounts / sum of the units."""
    averages: dict[Key, Decimal] = {}
    for family in published_sets(table).values():
        for label, node in family.items():
            if not any(table.cells[k] for k in node):
                continue
            amount = sum(sums.get(k, (0, 0))[0] for k in node)
            per = sum(sums.get(k, (0, 0))[1] for k in node)
            if per:
                averages[label] = average_euro(amount, per)
    return averages


def average_euro(amount_cents: int, units: int) -> Decimal:
    """Euro with cents, rounded half up: 100001 cents over 3 months is 333.34."""
    cents = (Decimal(amount_cents) / Decimal(units)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (cents / 100).quantize(CENT)
