"""Disclosure control for the published open-data tables (D1–D9): what a table may show.

The rule (Cabinet regulation No. 490 (2016) on LabIS; the domain brief: "a count below 3 is not
published where it risks identifying a person"), applied in this one module:

**Primary suppression.** Every published count of persons (a cell, a row/column/grand total, a
total of another published breakdown such as a planning region) whose value is 1 or 2 is
suppressed. A count of 0 is published as 0: the rule protects small groups of *persons*, and an
empty group has nobody in it to identify; publishing true zeros also keeps sparse tables (most
municipality × age × severity cells) useful. "Below 3" therefore means 1 and 2 here.

**Secondary suppression.** A published table is a set of numbers, each the sum of a set of cells;
an attacker knows those sets and can subtract. Whenever a published number is the exact sum of
other published numbers of one breakdown (a row total of its cells, the grand total of the row
totals, a region's total of its municipalities, …) that is an equation the attacker can use. For
every such equation this module makes sure that

1. it never holds exactly one suppressed number (which it would give away), and
2. when its left side is published, the suppressed parts together add up to at least 3, so the
   equation alone never shows that a suppressed part is below 3.

Where an equation breaks either condition, the smallest published non-zero part (the one whose
loss costs least information; ties go to a part already sharing an equation with a suppressed
number, which closes a cycle sooner) is suppressed as well — a zero part only when nothing else is
left, and never a zero that a published zero total already gives away — and the check repeats
until nothing changes. A total is suppressed for this only when none of its parts can be.

These local rules are not enough on their own: equations combine (three dimensions, a region
breakdown next to the municipalities), and the attack tests found tables where an attacker still
pinned a cell. So the result is then **audited exactly**: with integer programming (HiGHS through
``scipy.optimize.milp``) the module computes, for every suppressed number, the largest (and where
needed the smallest) value the published numbers allow. A number that can take only one value, or
that is 1 or 2 and cannot be 3 or more, is exposed; the smallest published cell sharing a total
with it is suppressed as well, the local rules run again, and so on until nothing is exposed. It
always ends: every round hides one more number, and with everything hidden nothing is exposed.

**Averages** (D6's average contribution wage) are suppressed wherever the count they are averaged
over is suppressed.

A suppressed number is published as ``SUPPRESSED`` (never 0); the writers render it as an empty
cell with a marker. Whether a number was suppressed by the primary or the secondary rule is not
published: that would tell who is 1 or 2.

tests/opendata/test_disclosure.py attacks hundreds of published tables with its own solver: no
suppressed number may be pinned to one value, and no number that is 1 or 2 may be shown to be
below 3 (docs/opendata.md).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from itertools import combinations
from typing import Final

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

SMALLEST_PUBLISHED_COUNT: Final = 3
TOTAL: Final = "*"  # the value of a summed-out dimension in a margin's label, e.g. ("Rīga", "*")

Key = tuple[str, ...]
Node = frozenset[Key]  # a published number, identified by the cells it adds up


class Suppressed(Enum):
    """The marker of a suppressed number (an enum, so there is exactly one and it pickles)."""

    SUPPRESSED = "suppressed"

    def __repr__(self) -> str:
        return "SUPPRESSED"


SUPPRESSED: Final = Suppressed.SUPPRESSED

Count = int | Suppressed
Average = Decimal | Suppressed


class TableError(ValueError):
    """The table cannot be published as given (wrong key shape, negative count, bad breakdown)."""


@dataclass(frozen=True)
class Breakdown:
    """Another published breakdown of the same cells, e.g. by planning region × age band.

    ``groups`` maps each published label to the cells it adds up; the groups must not overlap.
    """

    name: str
    groups: Mapping[Key, frozenset[Key]]


@dataclass(frozen=True)
class Table:
    """Counts by one to three dimensions, every cell present (zeros included).

    The margins (every combination of summed-out dimensions, the grand total among them) are
    published with it. ``averages`` are keyed by a cell key, a margin label or a breakdown
    group's label and averaged over that number's count.
    """

    dimensions: tuple[str, ...]
    cells: Mapping[Key, int]
    breakdowns: tuple[Breakdown, ...] = ()
    averages: Mapping[Key, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishedTable:
    dimensions: tuple[str, ...]
    cells: Mapping[Key, Count]
    margins: Mapping[Key, Count]
    breakdowns: Mapping[str, Mapping[Key, Count]]
    averages: Mapping[Key, Average]


def is_small(count: int) -> bool:
    """The primary rule: a group of 1 or 2 persons is not published (0 is; module docstring)."""
    return 0 < count < SMALLEST_PUBLISHED_COUNT


def margins(dimensions: tuple[str, ...], keys: Iterable[Key]) -> dict[Key, Node]:
    """Every margin label (some dimensions replaced by ``TOTAL``) with the cells it adds up."""
    result: dict[Key, set[Key]] = {}
    width = len(dimensions)
    for key in keys:
        for summed in range(1, width + 1):
            for positions in combinations(range(width), summed):
                label = tuple(TOTAL if i in positions else key[i] for i in range(width))
                result.setdefault(label, set()).add(key)
    return {label: frozenset(cells) for label, cells in result.items()}


def published_sets(table: Table) -> dict[str, dict[Key, Node]]:
    """What the public knows about the table's shape: each published label and its cells.

    Families of numbers that do not overlap: ``"cells"``, one per margin level (named by the
    summed-out dimensions) and one per breakdown.
    """
    families: dict[str, dict[Key, Node]] = {"cells": {k: frozenset([k]) for k in table.cells}}
    for label, node in margins(table.dimensions, table.cells).items():
        level = "margin:" + ",".join(
            d for d, value in zip(table.dimensions, label, strict=True) if value == TOTAL
        )
        families.setdefault(level, {})[label] = node
    for breakdown in table.breakdowns:
        families["breakdown:" + breakdown.name] = dict(breakdown.groups)
    return families


def protect(table: Table) -> PublishedTable:
    """The table as it may be published: small counts and their complements suppressed."""
    _validate(table)
    families = published_sets(table)
    value = {node: sum(table.cells[k] for k in node) for f in families.values() for node in f.values()}
    suppressed = {node for node, count in value.items() if is_small(count)}
    # A zero inside a published zero total is known to be zero, suppressed or not: no complement.
    zeros = [node for node, count in value.items() if count == 0]
    public_zeros = {node for node in zeros if any(node < other for other in zeros)}
    equations = _equations(families)
    by_part: dict[Node, list[tuple[Node, list[Node]]]] = {}
    for whole, parts in equations:
        for part in parts:
            by_part.setdefault(part, []).append((whole, parts))

    # Hiding more only widens what the attacker must consider, so a number once proven safe stays so.
    proven_safe: set[Node] = set()
    while True:
        _close_equations(equations, by_part, value, suppressed, public_zeros)
        exposed = _first_exposed(table.cells, value, suppressed, proven_safe)
        if exposed is None:
            break
        suppressed.add(_repair(exposed, table.cells, value, suppressed, public_zeros))
    return _publish(table, families, value, suppressed)


def publish_exact(table: Table) -> PublishedTable:
    """The table with every number shown: for counts of organisations, not of persons (D2's
    service providers), which the small-count rule does not protect."""
    _validate(table)
    families = published_sets(table)
    value = {node: sum(table.cells[k] for k in node) for f in families.values() for node in f.values()}
    return _publish(table, families, value, set())


def _close_equations(
    equations: list[tuple[Node, list[Node]]],
    by_part: Mapping[Node, list[tuple[Node, list[Node]]]],
    value: Mapping[Node, int],
    suppressed: set[Node],
    public_zeros: set[Node],
) -> None:
    """The local rule: no equation with one hidden number, none showing its hidden parts < 3."""
    changed = True
    while changed:
        changed = False
        for whole, parts in equations:
            hidden = [p for p in parts if p in suppressed]
            if not hidden and whole not in suppressed:
                continue
            too_few = len(hidden) + (whole in suppressed) == 1
            too_small = whole not in suppressed and sum(value[p] for p in hidden) < (
                SMALLEST_PUBLISHED_COUNT
            )
            if too_few or too_small:
                complement = _complement(
                    parts, suppressed | public_zeros, value, by_part, nonzero=too_small
                )
                if complement is None and whole not in suppressed:
                    complement = whole  # no part can hide it: the total goes instead
                if complement is not None:
                    suppressed.add(complement)
                    changed = True


def _first_exposed(
    cells: Mapping[Key, int],
    value: Mapping[Node, int],
    suppressed: set[Node],
    proven_safe: set[Node],
) -> Node | None:
    """The first suppressed number an attacker could pin down, by exact integer programming.

    The attacker's unknowns are the suppressed cells (whole numbers ≥ 0), the equations every
    published total. A number is exposed when it can take only one value, or when it is 1 or 2
    and cannot be 3 or more (the attacker would learn it is a small group).
    """
    unknowns = sorted(k for k in cells if frozenset([k]) in suppressed)
    if not unknowns:
        return None
    column = {key: i for i, key in enumerate(unknowns)}
    rows: list[list[int]] = []
    rhs: list[int] = []
    for node, count in value.items():
        hidden = [k for k in node if k in column]
        if node in suppressed or len(node) == 1 or not hidden:
            continue
        rows.append([column[k] for k in hidden])
        rhs.append(count - sum(cells[k] for k in node if k not in column))
    matrix = np.zeros((len(rows), len(unknowns)))
    for r, members in enumerate(rows):
        matrix[r, members] = 1.0
    constraints = [LinearConstraint(matrix, rhs, rhs)] if rows else []
    # A hidden cell in no published total can be anything: whatever contains it is safe unsolved.
    free = {unknowns[i] for i in range(len(unknowns)) if not matrix[:, i].any()}
    for node in sorted(suppressed - proven_safe, key=_order):
        if node & free:
            proven_safe.add(node)
            continue
        objective = np.zeros(len(unknowns))
        objective[[column[k] for k in node if k in column]] = 1.0
        true = value[node]
        shown = sum(cells[k] for k in node if k not in column)
        highest = _optimum(-objective, constraints)
        maximum = math.inf if highest is None else shown - highest
        if is_small(true) and maximum < SMALLEST_PUBLISHED_COUNT:
            return node
        if maximum <= true:
            lowest = _optimum(objective, constraints)
            if lowest is not None and shown + lowest >= true:
                return node
        proven_safe.add(node)
    return None


def _optimum(objective: np.ndarray, constraints: list[LinearConstraint]) -> float | None:
    """The optimum of the objective, or None where it is unbounded."""
    result = milp(
        objective,
        integrality=np.ones(len(objective)),
        bounds=Bounds(0, np.inf),
        constraints=constraints,
    )
    if result.status in (3, 4):  # the true values are feasible, so this is "unbounded"
        return None
    if result.status != 0:
        raise TableError(f"the disclosure check did not finish: {result.message}")
    return float(result.fun)


def _repair(
    exposed: Node,
    cells: Mapping[Key, int],
    value: Mapping[Node, int],
    suppressed: set[Node],
    public_zeros: set[Node],
) -> Node:
    """What to suppress next for an exposed number: the smallest cell sharing a total with it."""
    neighbours = {
        other
        for node in value
        if node & exposed and node not in suppressed
        for other in node
    }
    candidates = [
        frozenset([k])
        for k in sorted(neighbours)
        if frozenset([k]) not in suppressed | public_zeros
    ]
    if candidates:
        return min(candidates, key=lambda node: (value[node] == 0, value[node], _order(node)))
    # every cell around it is hidden already: hide the smallest total still showing it
    totals = [node for node in value if node & exposed and node not in suppressed]
    return min(totals, key=_order)


def _validate(table: Table) -> None:
    width = len(table.dimensions)
    if not 1 <= width <= 3:
        raise TableError(f"a table has one to three dimensions, not {width}")
    for key, count in table.cells.items():
        if len(key) != width:
            raise TableError(f"cell {key!r} does not match the dimensions {table.dimensions!r}")
        if TOTAL in key:
            raise TableError(f"cell {key!r} uses the total marker {TOTAL!r} as a category")
        if not isinstance(count, int) or count < 0:
            raise TableError(f"cell {key!r} has count {count!r}; counts are whole and not negative")
    for breakdown in table.breakdowns:
        seen: set[Key] = set()
        for label, cells in breakdown.groups.items():
            if not cells <= table.cells.keys():
                raise TableError(f"breakdown {breakdown.name!r} {label!r} names unknown cells")
            if seen & cells:
                raise TableError(f"breakdown {breakdown.name!r} has overlapping groups")
            seen |= cells


def _equations(families: Mapping[str, Mapping[Key, Node]]) -> list[tuple[Node, list[Node]]]:
    """Each published number that is exactly the sum of published numbers of one family."""
    nodes = {node for family in families.values() for node in family.values()}
    holder = [
        {cell: node for node in family.values() for cell in node} for family in families.values()
    ]
    equations: list[tuple[Node, list[Node]]] = []
    for whole in sorted(nodes, key=_order):
        for member_of in holder:
            if not all(cell in member_of for cell in whole):
                continue
            parts = {member_of[cell] for cell in whole}
            if len(parts) >= 2 and all(part <= whole for part in parts):
                equations.append((whole, sorted(parts, key=_order)))
    return equations


def _complement(
    parts: list[Node],
    suppressed: set[Node],
    value: Mapping[Node, int],
    by_part: Mapping[Node, list[tuple[Node, list[Node]]]],
    nonzero: bool,
) -> Node | None:
    candidates = [p for p in parts if p not in suppressed and (value[p] > 0 or not nonzero)]
    if not candidates:
        return None

    def cost(part: Node) -> tuple[bool, int, bool, tuple[int, list[Key]]]:
        shares = any(
            w in suppressed or any(q in suppressed for q in ps) for w, ps in by_part.get(part, [])
        )
        return (value[part] == 0, value[part], not shares, _order(part))

    return min(candidates, key=cost)


def _order(node: Node) -> tuple[int, list[Key]]:
    return (len(node), sorted(node))


def _publish(
    table: Table,
    families: Mapping[str, Mapping[Key, Node]],
    value: Mapping[Node, int],
    suppressed: set[Node],
) -> PublishedTable:
    def shown(node: Node) -> Count:
        return SUPPRESSED if node in suppressed else value[node]

    published = {
        name: {label: shown(node) for label, node in family.items()}
        for name, family in families.items()
    }
    margin_values = {
        label: count
        for name, family in published.items()
        if name.startswith("margin:")
        for label, count in family.items()
    }
    # An average may belong to a cell, a margin or a breakdown's group (a planning region's);
    # a label two families share would leave unclear which count it is over.
    counts: dict[Key, Count] = {}
    ambiguous: set[Key] = set()
    for family in published.values():
        for label, count in family.items():
            if label in counts:
                ambiguous.add(label)
            counts[label] = count
    averages: dict[Key, Average] = {}
    for label, average in table.averages.items():
        if label not in counts:
            raise TableError(f"average {label!r} has no count in the table")
        if label in ambiguous:
            raise TableError(f"average {label!r} names a label of two published breakdowns")
        averages[label] = SUPPRESSED if counts[label] is SUPPRESSED else average
    return PublishedTable(
        dimensions=table.dimensions,
        cells=published["cells"],
        margins=margin_values,
        breakdowns={
            name.removeprefix("breakdown:"): family
            for name, family in published.items()
            if name.startswith("breakdown:")
        },
        averages=averages,
    )
