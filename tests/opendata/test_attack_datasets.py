"""Attack every data set's release: from a store with many small counts, each of D1–D9 is
prepared, and the attacker (tests/opendata/attacker.py) tries to recover every suppressed number
from all the numbers the release publishes — municipalities, planning regions and the country,
by every dimension and total. It must fail; D2 (organisations) publishes exact counts.

The store is built cell by cell: for each municipality and combination of the data set's codes
the test draws a count (many 1s and 2s, zeros, some larger) and writes that many persons whose
facts put them exactly there, so the true table is known without the product's own query.
"""
from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date
from itertools import product
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import OpenDataRelease
from app.opendata import releases
from app.opendata.aggregate import municipalities
from app.opendata.definitions import DATASETS
from app.opendata.disclosure import Key, Node
from tests.opendata.attacker import assert_not_disclosed
from tests.opendata.stat_store import Store, open_sessions


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    yield from open_sessions(database_url)


# A birth month inside each age band on every reference date used here (2025-10-31 at the
# earliest): the middle of the band.
BORN = {
    "0-17": date(2016, 6, 1), "18-64": date(1985, 6, 1), "65+": date(1950, 6, 1),
    "0-6": date(2022, 6, 1), "7-12": date(2015, 6, 1), "13-17": date(2010, 6, 1),
    "18-29": date(2001, 6, 1), "30-49": date(1985, 6, 1), "50-64": date(1968, 6, 1),
    "15-24": date(2005, 6, 1), "25-39": date(1992, 6, 1), "40-54": date(1978, 6, 1),
    "55+": date(1960, 6, 1),
}

Placer = Callable[[Store, str, dict[str, str]], None]


def _aid(store: Store, municipality: str, codes: dict[str, str]) -> None:
    person = store.person(municipality, BORN[codes["age_band"]])
    store.fact("technical_aids", person, date(2025, 5, 5), date(2025, 5, 5), category="wheelchair")


def _provider(store: Store, municipality: str, codes: dict[str, str]) -> None:
    number = f"4000{len(store.facts):07d}"
    store.fact("service_providers", number, date(2015, 1, 1), None, municipality=municipality,
               category=codes["service_type"])


def _disability(store: Store, municipality: str, codes: dict[str, str]) -> None:
    person = store.person(municipality, BORN[codes["age_band"]])
    store.fact("disability", person, date(2024, 1, 1), None,
               severity=codes.get("disability_group", ""))


def _unemployed(store: Store, municipality: str, codes: dict[str, str]) -> None:
    person = store.person(municipality, BORN[codes["age_band"]])
    store.fact("unemployed", person, date(2025, 2, 1), None)


def _insured(store: Store, municipality: str, codes: dict[str, str]) -> None:
    person = store.person(municipality, date(1980, 1, 1), codes["sex"])
    months = 1 + len(store.facts) % 12
    store.fact("insured", person, date(2025, 1, 1), date(2025, 12, 31), months=months,
               amount_cents=months * (70_000 + 137 * len(store.facts)))


def _state_service(store: Store, municipality: str, codes: dict[str, str]) -> None:
    person = store.person(municipality, date(1970, 1, 1))
    store.fact("state_social_services", person, date(2025, 3, 1), date(2025, 8, 1),
               category=codes["service_type"])


def _benefit(store: Store, municipality: str, codes: dict[str, str]) -> None:
    person = store.person(municipality, date(1970, 1, 1))
    store.fact("vsaa_benefits", person, date(2024, 1, 1), None, category=codes["benefit_type"])


def _request(store: Store, municipality: str, codes: dict[str, str]) -> None:
    # declared elsewhere: the municipality asked is the fact's
    person = store.person("RIGA", date(1970, 1, 1))
    source = "case_requests" if len(store.facts) % 3 == 0 else "community_requests"
    store.fact(source, person, date(2025, 8, 15), date(2025, 8, 15), municipality=municipality,
               category=codes["service_type"])


CASES: dict[str, tuple[str, Placer]] = {
    "D1": ("2025", _aid), "D2": ("2025", _provider), "D3": ("2025", _disability),
    "D4": ("2025", _disability), "D5": ("2025-10", _unemployed), "D6": ("2025", _insured),
    "D7": ("2025", _state_service), "D8": ("2025-Q3", _benefit), "D9": ("2025-Q3", _request),
}

# Two or three municipalities of every planning region, so regions hold small groups of small
# cells next to each other; the other municipalities stay empty (published zeros).
POPULATED = ("RIGA", "OGRE", "SAULKRASTI", "CESIS", "VALKA", "LIEPAJA", "KULDIGA", "TALSI",
             "JELGAVA", "BAUSKA", "LUDZA", "BALVI", "PREILI")


def small_count(rng: random.Random) -> int:
    draw = rng.random()
    if draw < 0.25:
        return 0
    if draw < 0.75:
        return rng.choice((1, 2))
    return rng.randint(3, 9)


def build(sessions: sessionmaker[Session], dataset: str, seed: int) -> dict[Key, int]:
    """The store for the data set with drawn counts; the true cells (all municipalities)."""
    definition = DATASETS[dataset]
    _, place = CASES[dataset]
    rng = random.Random(seed)
    store = Store()
    codes = [d.codes for d in definition.dimensions]
    cells: dict[Key, int] = {}
    for territory in municipalities():
        for combination in product(*codes):
            count = small_count(rng) if territory.code in POPULATED else 0
            cells[(territory.code, *combination)] = count
            named = {d.name: v for d, v in zip(definition.dimensions, combination, strict=True)}
            for _ in range(count):
                place(store, territory.code, named)
    store.write(sessions)
    return cells


def published_numbers(content: dict[str, Any], dataset: str) -> dict[Node, int | None]:
    """Every published count as the set of cells it adds up, read from the release alone."""
    definition = DATASETS[dataset]
    count = definition.count.name
    in_region: dict[str, list[str]] = {}
    for territory in municipalities():
        in_region.setdefault(territory.planning_region, []).append(territory.code)
    every = [t.code for t in municipalities()]
    numbers: dict[Node, int | None] = {}
    for row in content["rows"]:
        places = {"municipality": [row["territory_code"]], "national": every,
                  "planning_region": in_region.get(row["territory_code"], [])}[row["level"]]
        values = [d.codes if row[d.name] == "TOTAL" else (row[d.name],)
                  for d in definition.dimensions]
        node = frozenset(product(places, *values))
        assert (row[count] is None) == (row[count + "_flag"] == "c")
        numbers[node] = row[count]
    return numbers


@pytest.mark.parametrize("dataset", [code for code in CASES if code != "D2"])
def test_no_suppressed_number_of_a_release_can_be_recovered(sessions, dataset):
    period, _ = CASES[dataset]
    cells = build(sessions, dataset, seed=int(dataset[1:]) * 7919)
    release_id = releases.prepare(sessions, dataset, period, actor="attack")
    with sessions() as session:
        content = session.get(OpenDataRelease, release_id).content
    numbers = published_numbers(content, dataset)
    assert sum(1 for v in numbers.values() if v is None) >= 20, "too few small counts to attack"
    assert_not_disclosed(numbers, cells)
    if dataset == "D6":
        for row in content["rows"]:
            hidden = row["persons_flag"] == "c"
            assert (row["average_contribution_wage_flag"] == "c") == hidden
            assert (row["average_contribution_wage"] is None) == (hidden or row["persons"] == 0)


def test_d2_publishes_the_exact_counts_of_providers(sessions):
    cells = build(sessions, "D2", seed=2)
    release_id = releases.prepare(sessions, "D2", "2025", actor="attack")
    with sessions() as session:
        made = session.get(OpenDataRelease, release_id)
        content, suppressed = made.content, made.suppressed_count
    numbers = published_numbers(content, "D2")
    assert suppressed == 0
    assert {v for v in numbers.values()} >= {1, 2}
    for node, value in numbers.items():
        assert value == sum(cells[k] for k in node)
