"""Attack the published tables: no suppressed number may be recovered, no 1 or 2 pinned below 3.

The attacker (tests/opendata/attacker.py) knows the table's shape and every published number and
solves for each suppressed one with exact integer programming.
"""
from __future__ import annotations

import random
from decimal import Decimal
from itertools import product

import pytest

from app.opendata.disclosure import (
    SUPPRESSED,
    TOTAL,
    Breakdown,
    Key,
    PublishedTable,
    Table,
    TableError,
    protect,
)
from tests.opendata.attacker import assert_not_disclosed, published_values


def assert_protected(table: Table) -> PublishedTable:
    published = protect(table)
    assert_not_disclosed(published_values(table, published), table.cells)
    return published


# --- building tables ----------------------------------------------------------------------------


def grid(rows: list[list[int]], names: tuple[str, str] = ("municipality", "age")) -> Table:
    cells: dict[Key, int] = {(f"r{i}", f"c{j}"): v for i, row in enumerate(rows) for j, v in enumerate(row)}
    return Table(dimensions=names, cells=cells)


def with_regions(table: Table, regions: dict[str, list[str]]) -> Table:
    """The same counts also published by planning region (its total and by the second dimension)."""
    columns = sorted({key[1] for key in table.cells})
    by_region: dict[Key, frozenset[Key]] = {
        (region, TOTAL): frozenset(k for k in table.cells if k[0] in members)
        for region, members in regions.items()
    }
    by_region_column: dict[Key, frozenset[Key]] = {
        (region, column): frozenset(k for k in table.cells if k[0] in members and k[1] == column)
        for region, members in regions.items()
        for column in columns
    }
    return Table(
        dimensions=table.dimensions,
        cells=table.cells,
        breakdowns=(Breakdown("region", by_region), Breakdown("region_age", by_region_column)),
    )


# --- the rules ----------------------------------------------------------------------------------


def test_counts_of_one_and_two_are_suppressed_and_zero_is_published_as_zero():
    published = assert_protected(grid([[0, 1, 2, 10], [5, 7, 9, 11], [4, 6, 8, 12]]))
    assert published.cells[("r0", "c0")] == 0
    assert published.cells[("r0", "c1")] is SUPPRESSED
    assert published.cells[("r0", "c2")] is SUPPRESSED
    assert SUPPRESSED != 0 and SUPPRESSED is not None


def test_a_table_without_small_counts_is_published_unchanged():
    table = grid([[3, 4], [5, 6]])
    published = protect(table)
    assert published.cells == table.cells
    assert published.margins == {
        ("r0", TOTAL): 7, ("r1", TOTAL): 11, (TOTAL, "c0"): 8, (TOTAL, "c1"): 10, (TOTAL, TOTAL): 18
    }


def test_one_small_cell_in_a_row_takes_a_complement_in_its_row_and_column():
    published = assert_protected(grid([[1, 20, 30], [40, 50, 60], [70, 80, 90]]))
    row = [published.cells[("r0", c)] for c in ("c0", "c1", "c2")]
    column = [published.cells[(r, "c0")] for r in ("r0", "r1", "r2")]
    assert row.count(SUPPRESSED) >= 2 and column.count(SUPPRESSED) >= 2
    # the smallest other cell is the complement: least information lost
    assert published.cells[("r0", "c1")] is SUPPRESSED
    assert published.cells[("r1", "c0")] is SUPPRESSED


@pytest.mark.parametrize(
    "rows",
    [
        [[1, 2, 30], [40, 50, 60]],  # two small cells in a row
        [[1, 1, 1], [40, 50, 60], [7, 8, 9]],  # a whole row of small cells: its total is 3
        [[1, 1, 0], [40, 50, 60], [7, 8, 9]],  # a small row total
        [[1, 0, 0], [0, 0, 0], [0, 0, 5]],  # mostly zeros
        [[1, 1], [1, 1]],  # everything small
        [[2]],  # one cell
        [[0, 0], [0, 0]],  # nothing at all
        [[1, 2, 3, 0, 9]],  # 1 × N
        [[1], [2], [3], [0], [9]],  # N × 1
        [[1, 0, 0, 0], [0, 0, 0, 4], [0, 0, 5, 0]],  # a complement can only be a zero
        [[1, 5], [5, 1]],
        [[2, 40, 40], [40, 2, 40], [40, 40, 2]],
    ],
)
def test_hand_written_tables_withstand_the_attack(rows):
    assert_protected(grid(rows))


def test_a_small_total_is_suppressed_and_cannot_be_recovered_from_the_grand_total():
    published = assert_protected(grid([[1, 1, 0], [10, 10, 10], [10, 10, 10]]))
    assert published.margins[("r0", TOTAL)] is SUPPRESSED


def test_three_dimensions_protect_every_margin():
    cells = {
        (m, s, g): v
        for (m, s, g), v in zip(
            product(["Rīga", "Ogre", "Cēsis"], ["M", "F"], ["I", "II", "III"]),
            [12, 1, 7, 9, 14, 0, 5, 6, 2, 8, 0, 11, 3, 4, 9, 1, 10, 13],
            strict=True,
        )
    }
    published = assert_protected(
        Table(dimensions=("municipality", "sex", "severity"), cells=cells)
    )
    assert published.margins[("Rīga", "M", TOTAL)] == 20
    assert published.cells[("Rīga", "M", "II")] is SUPPRESSED


def test_region_and_municipality_double_publication():
    table = with_regions(
        grid([[1, 10, 12], [9, 8, 7], [14, 2, 6], [5, 11, 13]]),
        {"Kurzeme": ["r0", "r1"], "Vidzeme": ["r2", "r3"]},
    )
    published = assert_protected(table)
    # the region's total is published, so the other municipality in the region must not be whole
    assert published.breakdowns["region"][("Kurzeme", TOTAL)] == 47


def test_a_region_with_one_municipality_is_the_same_number_as_the_municipality():
    table = with_regions(grid([[1, 10], [9, 8], [14, 2]]), {"Latgale": ["r0"], "Zemgale": ["r1", "r2"]})
    published = assert_protected(table)
    assert published.breakdowns["region_age"][("Latgale", "c0")] is SUPPRESSED


def test_averages_are_suppressed_where_their_count_is():
    table = grid([[1, 20, 30], [40, 50, 60]], names=("municipality", "sex"))
    wages = {key: Decimal("1234.56") for key in table.cells}
    wages[("r0", TOTAL)] = Decimal("1111.00")
    wages[(TOTAL, TOTAL)] = Decimal("1200.00")
    published = protect(Table(table.dimensions, table.cells, averages=wages))
    for key, average in published.averages.items():
        count = published.cells.get(key, published.margins.get(key))
        assert (average is SUPPRESSED) == (count is SUPPRESSED), key
    assert published.averages[("r0", "c0")] is SUPPRESSED
    assert published.averages[(TOTAL, TOTAL)] == Decimal("1200.00")


@pytest.mark.parametrize(
    "table",
    [
        Table(("a", "b"), {("x",): 3}),
        Table(("a",), {("x",): -1}),
        Table(("a",), {(TOTAL,): 4}),
        Table(("a", "b", "c", "d"), {("w", "x", "y", "z"): 4}),
        Table(("a",), {("x",): 4}, averages={("y",): Decimal(1)}),
        Table(
            ("a",),
            {("x",): 4, ("y",): 5},
            breakdowns=(Breakdown("r", {("p",): frozenset({("x",)}), ("q",): frozenset({("x",)})}),),
        ),
    ],
)
def test_a_table_that_cannot_be_published_is_refused_with_a_reason(table):
    with pytest.raises(TableError):
        protect(table)


# --- randomised attack --------------------------------------------------------------------------


def random_count(rng: random.Random, sparsity: float) -> int:
    draw = rng.random()
    if draw < sparsity:
        return 0
    if draw < sparsity + (1 - sparsity) * 0.35:
        return rng.choice((1, 2))
    return rng.randint(3, 40)


def random_table(rng: random.Random) -> Table:
    sparsity = rng.choice((0.0, 0.2, 0.5, 0.8))
    shape = rng.choice(("2d", "2d", "3d", "regions"))
    if shape == "3d":
        sizes = [rng.randint(1, 3) for _ in range(3)]
        keys = list(product(*[[f"{d}{i}" for i in range(n)] for d, n in zip("abc", sizes, strict=True)]))
        return Table(("a", "b", "c"), {k: random_count(rng, sparsity) for k in keys})
    rows, columns = rng.randint(1, 6), rng.randint(1, 6)
    table = grid([[random_count(rng, sparsity) for _ in range(columns)] for _ in range(rows)])
    if shape == "2d":
        return table
    names = [f"r{i}" for i in range(rows)]
    cut = sorted(rng.sample(range(1, rows), k=min(rows - 1, rng.randint(0, 2))))
    bounds = [0, *cut, rows]
    regions = {f"region{i}": names[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)}
    return with_regions(table, regions)


def test_random_tables_withstand_the_attack():
    rng = random.Random(20261127)
    for _ in range(300):
        assert_protected(random_table(rng))
