"""The attacker of published tables: recover suppressed numbers from the published ones.

The attacker knows the table's shape (which cells every published number adds up — that is
public) and every published number, and nothing else. Each suppressed cell is an unknown whole
number ≥ 0; each published total is an equation. For every suppressed number (a cell or a
total) the attacker computes the smallest and the largest value it can take with integer
programming (HiGHS through ``scipy.optimize.milp``: exact, also for three dimensions and double
breakdowns where the linear relaxation could be looser than the integers). The protection
property asserted (``assert_not_disclosed``):

* every suppressed number can take at least two values (it is not recovered), and
* every number whose true value is 1 or 2 can take a value of 3 or more: the attacker cannot tell
  it is a small group. This is the property the rule is about — "at most 2" is exactly what the
  ministry's rule forbids publishing, so only knowing an upper bound of 2 would already disclose.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from app.opendata.disclosure import (
    SUPPRESSED,
    Key,
    Node,
    PublishedTable,
    Table,
    is_small,
    published_sets,
)


def published_values(table: Table, published: PublishedTable) -> dict[Node, int | None]:
    """Each published set of cells with its published value (None where suppressed)."""
    shown: dict[Key, object] = {**published.cells, **published.margins}
    values: dict[Node, int | None] = {}
    for name, family in published_sets(table).items():
        if name.startswith("breakdown:"):
            source: Mapping[Key, object] = published.breakdowns[name.removeprefix("breakdown:")]
        else:
            source = shown
        for label, node in family.items():
            value = None if source[label] is SUPPRESSED else source[label]
            assert value is None or isinstance(value, int)
            assert values.setdefault(node, value) == value, "one set published with two values"
    return values


def feasible_range(
    node: Node, unknowns: list[Key], rows: list[tuple[Node, int]], known: dict[Key, int], true: int
) -> tuple[float, float]:
    """The smallest and largest value of ``node`` the published numbers allow.

    Stops early where the answer is already clear: a maximum above the true value shows the
    number can take two values, so the minimum is only computed when it is not.
    """
    index = {key: i for i, key in enumerate(unknowns)}
    constant = sum(known[k] for k in node if k in known)
    objective = np.zeros(len(unknowns))
    for key in node:
        if key in index:
            objective[index[key]] = 1.0
    constraints = []
    if rows:
        matrix = np.zeros((len(rows), len(unknowns)))
        for r, (members, _) in enumerate(rows):
            for key in members:
                matrix[r, index[key]] = 1.0
        rhs = np.array([value for _, value in rows], dtype=float)
        constraints = [LinearConstraint(matrix, rhs, rhs)]
    options = {
        "integrality": np.ones(len(unknowns)),
        "bounds": Bounds(0, np.inf),
        "constraints": constraints,
    }
    highest = milp(-objective, **options)
    if highest.status in (3, 4):  # the true values are feasible, so "or infeasible" is unbounded
        maximum = math.inf
    else:
        assert highest.status == 0, highest.message
        maximum = constant - highest.fun
    if maximum > true + 0.5:
        return (-math.inf, maximum)  # the minimum does not matter for the property
    lowest = milp(objective, **options)
    assert lowest.status == 0, lowest.message
    return (constant + lowest.fun, maximum)


def attack(
    values: Mapping[Node, int | None], cells: Mapping[Key, int]
) -> dict[Node, tuple[float, float]]:
    """The range of every suppressed number, from the published ``values`` of sets of cells;
    ``cells`` (the true counts) only decide where the attacker may stop early."""
    known = {next(iter(node)): v for node, v in values.items() if len(node) == 1 and v is not None}
    unknowns = sorted(key for key in cells if key not in known)
    rows = []
    for node, value in values.items():
        hidden = [k for k in node if k not in known]
        if value is not None and len(node) > 1 and hidden:
            rows.append((frozenset(hidden), value - sum(known[k] for k in node if k in known)))
    return {
        node: feasible_range(node, unknowns, rows, known, sum(cells[k] for k in node))
        for node, value in values.items()
        if value is None
    }


def assert_not_disclosed(values: Mapping[Node, int | None], cells: Mapping[Key, int]) -> None:
    """Every published number is true and not 1 or 2; no suppressed number is recovered and
    none that is 1 or 2 is shown to be below 3."""
    for node, value in values.items():
        true = sum(cells[k] for k in node)
        assert value is None or value == true, f"{sorted(node)} published as {value}, not {true}"
        assert value is None or not is_small(value), f"{sorted(node)} published as {value}"
        if is_small(true):
            assert value is None, f"{sorted(node)} = {true} was published"
    for node, (lowest, highest) in attack(values, cells).items():
        true = sum(cells[k] for k in node)
        assert lowest < highest - 0.5, f"{sorted(node)} recovered as {true}"
        if is_small(true):
            assert highest >= 2.5, f"{sorted(node)} = {true} shown to be at most {highest}"
