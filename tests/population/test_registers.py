"""The register extracts about the persons: consistent dates, nothing after the extract date,
children's and adults' disability, and national rates within generous bounds at 20,000."""
from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

from app.access.organisations import TERRITORIES_FILE

from .conftest import AS_OF, read_rows

# (file, start column, end column or None) of every dated register.
SPANS = (
    ("vdeavk_disability.csv.gz", "decided_on", "valid_until"),
    ("tpl_technical_aids.csv.gz", "issued_on", None),
    ("sprr_providers.csv.gz", "registered_on", "removed_on"),
    ("nva_unemployed.csv.gz", "registered_on", "deregistered_on"),
    ("spolis_state_services.csv.gz", "started_on", "ended_on"),
    ("vsaa_benefits.csv.gz", "started_on", "ended_on"),
    ("spolis_community_requests.csv.gz", "requested_on", None),
    ("npais_out_of_family_care.csv.gz", "started_on", "ended_on"),
)
PERSONAL = ("vdeavk_disability.csv.gz", "tpl_technical_aids.csv.gz", "nva_unemployed.csv.gz",
            "vsaa_insured.csv.gz", "spolis_state_services.csv.gz", "vsaa_benefits.csv.gz",
            "spolis_community_requests.csv.gz", "npais_out_of_family_care.csv.gz")
HISTORY_START = date(2022, 11, 27)


Population = tuple[Path, dict[str, Any]]


def _rows(population: Population, name: str) -> list[dict[str, str]]:
    return read_rows(population[0] / name)


def _births(population: Population) -> dict[str, date]:
    return {row["personal_code"]: date.fromisoformat(row["birth_date"])
            for row in _rows(population, "pmlp_persons.csv.gz")}


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _active(rows: list[dict[str, str]], start: str, end: str, on: date) -> list[dict[str, str]]:
    day = on.isoformat()
    return [row for row in rows if row[start] <= day and (not row[end] or row[end] >= day)]


def test_every_person_in_a_register_is_in_the_population_register(
        population: Population) -> None:
    births = _births(population)
    for name in PERSONAL:
        codes = {row["personal_code"] for row in _rows(population, name)}
        assert codes <= set(births), name


def test_spans_end_after_they_start_and_nothing_is_dated_after_the_extract_date(
        population: Population) -> None:
    births = _births(population)
    last = AS_OF.isoformat()
    for name, start, end in SPANS:
        for row in _rows(population, name):
            date.fromisoformat(row[start])
            assert row[start] <= last, (name, row[start])
            if end and row[end]:
                date.fromisoformat(row[end])
                assert row[start] <= row[end] <= last, (name, row[start], row[end])
            if "personal_code" in row:
                assert births[row["personal_code"]].isoformat() <= row[start], name
    for row in _rows(population, "vsaa_insured.csv.gz"):
        assert int(row["year"]) < AS_OF.year  # whole years only: 31 December is past
        assert 1 <= int(row["months"]) <= 12


def test_registers_spread_over_the_history_by_month_quarter_and_year(
        population: Population) -> None:
    for name, start, _ in SPANS:
        if name == "sprr_providers.csv.gz":
            continue
        days = [row[start] for row in _rows(population, name)
                if row[start] >= HISTORY_START.isoformat()]
        assert len({day[:4] for day in days}) >= 3, name
        months = {day[:7] for day in days}
        assert len(months) >= 20 if len(days) > 200 else len(months) >= 5, name
    years = Counter(row["year"] for row in _rows(population, "vsaa_insured.csv.gz"))
    assert sorted(years) == ["2022", "2023", "2024"]


def test_childrens_disability_has_no_group_and_adults_has_one(population: Population) -> None:
    births = _births(population)
    children = adults = 0
    for row in _rows(population, "vdeavk_disability.csv.gz"):
        decided_at = _age(births[row["personal_code"]], date.fromisoformat(row["decided_on"]))
        if decided_at < 18:
            assert row["group"] == "", row
            children += 1
            if row["valid_until"]:  # a child's decision ends before the 18th birthday
                assert _age(births[row["personal_code"]],
                            date.fromisoformat(row["valid_until"])) < 18
        else:
            assert row["group"] in {"I", "II", "III"}, row
            adults += 1
    assert children > 50 and adults > 1_000


def test_disability_rates_and_groups_are_about_the_national_ones(
        population: Population) -> None:
    births = _births(population)
    current = {row["personal_code"]: row["group"]
               for row in _rows(population, "vdeavk_disability.csv.gz") if not row["valid_until"]}
    adults = sum(_age(born, AS_OF) >= 18 for born in births.values())
    minors = len(births) - adults
    groups = Counter(current.values())
    disabled_adults = groups["I"] + groups["II"] + groups["III"]
    assert 0.085 < disabled_adults / adults < 0.135
    assert 0.012 < groups[""] / minors < 0.04
    assert 0.07 < groups["I"] / disabled_adults < 0.18
    assert 0.42 < groups["II"] / disabled_adults < 0.58
    assert 0.30 < groups["III"] / disabled_adults < 0.46
    # More common with age.
    by_band: dict[str, list[bool]] = defaultdict(list)
    for code, born in births.items():
        age = _age(born, AS_OF)
        if age >= 18:
            by_band["18-44" if age < 45 else "65+" if age >= 65 else "45-64"].append(
                current.get(code, "") != "")
    shares = {band: sum(flags) / len(flags) for band, flags in by_band.items()}
    assert shares["18-44"] < shares["45-64"] < shares["65+"]


def test_about_five_percent_of_working_age_are_registered_unemployed(
        population: Population) -> None:
    births = _births(population)
    rows = _rows(population, "nva_unemployed.csv.gz")
    for on in (date(2023, 6, 30), date(2024, 6, 30), AS_OF):
        working_age = sum(15 <= _age(born, on) <= 64 for born in births.values())
        share = len(_active(rows, "registered_on", "deregistered_on", on)) / working_age
        assert 0.03 < share < 0.07, (on, share)
    lengths = [(date.fromisoformat(r["deregistered_on"]) - date.fromisoformat(r["registered_on"])
                ).days for r in rows if r["deregistered_on"]]
    assert min(lengths) < 30 and max(lengths) > 365  # weeks to years
    spells: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        spells[row["personal_code"]].append((row["registered_on"],
                                             row["deregistered_on"] or "9999-12-31"))
    for person_spells in spells.values():
        person_spells.sort()
        for (_, end), (start, _) in pairwise(person_spells):
            assert end < start  # one spell at a time


def test_insured_persons_and_contribution_wages(population: Population) -> None:
    persons = {row["personal_code"]: row for row in _rows(population, "pmlp_persons.csv.gz")}
    with TERRITORIES_FILE.open(encoding="utf-8", newline="") as handle:
        region = {row["code"]: row["planning_region"] for row in csv.DictReader(handle)}
    rows = _rows(population, "vsaa_insured.csv.gz")
    per_year = Counter(row["year"] for row in rows)
    for year, count in per_year.items():
        assert 0.40 < count / len(persons) < 0.55, year  # about 0.9 of 1.9 million
    monthly: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row["year"] != "2024":
            continue
        euros = int(row["contribution_wage_cents"]) / 100 / int(row["months"])
        person = persons[row["personal_code"]]
        monthly["all"].append(euros)
        monthly[person["sex"]].append(euros)
        monthly[region[person["municipality_code"]]].append(euros)
    mean = {key: sum(values) / len(values) for key, values in monthly.items()}
    assert 1_450 < mean["all"] < 1_750
    assert mean["F"] < mean["M"]
    assert mean["PR-LATGALE"] < mean["PR-RIGA"]
    yearly = {year: sum(int(r["contribution_wage_cents"]) / int(r["months"]) for r in rows
                        if r["year"] == year) / per_year[year] for year in per_year}
    assert yearly["2022"] < yearly["2023"] < yearly["2024"]


def test_almost_everyone_past_pension_age_has_an_old_age_pension(
        population: Population) -> None:
    births = _births(population)
    benefits = _rows(population, "vsaa_benefits.csv.gz")
    pensioners = {row["personal_code"] for row in benefits
                  if row["benefit_type"] == "old_age_pension"}
    old = [code for code, born in births.items() if _age(born, AS_OF) >= 65]
    assert sum(code in pensioners for code in old) / len(old) > 0.93
    kinds = Counter(row["benefit_type"] for row in benefits)
    assert len(kinds) == 9
    disability = {row["personal_code"]: row["group"]
                  for row in _rows(population, "vdeavk_disability.csv.gz")
                  if not row["valid_until"]}
    severe_working_age = [code for code, group in disability.items()
                          if group in {"I", "II"} and _age(births[code], AS_OF) < 65]
    disability_pension = {row["personal_code"] for row in benefits
                          if row["benefit_type"] == "disability_pension"}
    assert sum(code in disability_pension for code in severe_working_age) / len(
        severe_working_age) > 0.7


def test_out_of_family_care_holds_under_one_percent_of_minors(population: Population) -> None:
    births = _births(population)
    rows = _rows(population, "npais_out_of_family_care.csv.gz")
    minors = sum(_age(born, AS_OF) < 18 for born in births.values())
    share = len(_active(rows, "started_on", "ended_on", AS_OF)) / minors
    assert 0.003 < share < 0.015
    for row in rows:
        assert _age(births[row["personal_code"]], date.fromisoformat(row["started_on"])) < 18
        if row["ended_on"]:
            assert _age(births[row["personal_code"]], date.fromisoformat(row["ended_on"])) < 18


def test_aids_services_and_requests_go_more_to_the_disabled_and_old(
        population: Population) -> None:
    births = _births(population)
    disabled = {row["personal_code"] for row in _rows(population, "vdeavk_disability.csv.gz")
                if not row["valid_until"]}
    disabled_share = len(disabled) / len(births)
    aids = _rows(population, "tpl_technical_aids.csv.gz")
    assert 0.8 < len(aids) / (25_000 * 3 * len(births) / 1_900_000) < 1.2
    assert sum(row["personal_code"] in disabled for row in aids) / len(aids) > 2 * disabled_share
    requests = _rows(population, "spolis_community_requests.csv.gz")
    assert 0.8 < len(requests) / (30_000 * 3 * len(births) / 1_900_000) < 1.2
    assert sum(row["personal_code"] in disabled for row in requests) / len(requests) > (
        2 * disabled_share)
    care = [row for row in _rows(population, "spolis_state_services.csv.gz")
            if row["service_type"] == "long_term_care"]
    assert care and all(_age(births[row["personal_code"]], AS_OF) >= 18 for row in care)
    assert sum(_age(births[row["personal_code"]], AS_OF) >= 65 for row in care) / len(care) > 0.5


def test_providers_are_in_every_municipality_and_some_are_removed(
        population: Population) -> None:
    with TERRITORIES_FILE.open(encoding="utf-8", newline="") as handle:
        municipalities = {row["code"] for row in csv.DictReader(handle)
                          if row["kind"] != "planning_region"}
    rows = _rows(population, "sprr_providers.csv.gz")
    per_municipality = Counter(row["municipality_code"] for row in rows)
    assert set(per_municipality) == municipalities
    assert min(per_municipality.values()) >= 3
    assert per_municipality["RIGA"] == max(per_municipality.values())
    assert any(row["removed_on"] for row in rows)
    pairs = [(row["registration_number"], row["service_type"]) for row in rows]
    assert len(set(pairs)) == len(pairs)  # a provider's service is listed once
    for row in rows:
        assert len(row["registration_number"]) == 11 and row["registration_number"].isdigit()


def test_requests_are_made_to_existing_municipalities_mostly_the_applicants_own(
        population: Population) -> None:
    home = {row["personal_code"]: row["municipality_code"]
            for row in _rows(population, "pmlp_persons.csv.gz")}
    with TERRITORIES_FILE.open(encoding="utf-8", newline="") as handle:
        municipalities = {row["code"] for row in csv.DictReader(handle)
                          if row["kind"] != "planning_region"}
    rows = _rows(population, "spolis_community_requests.csv.gz")
    assert {row["municipality_code"] for row in rows} <= municipalities
    own = sum(row["municipality_code"] == home[row["personal_code"]] for row in rows)
    assert 0.9 < own / len(rows) < 1.0
