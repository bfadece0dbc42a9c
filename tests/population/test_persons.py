"""The population register: valid unique personal codes, Latvia's age and sex structure,
residence in proportion to municipality population, Latvian names and addresses."""
from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from stdnum.lv import pvn

from app.access.organisations import TERRITORIES_FILE
from app.population.codes import TooManyBirthsOnOneDay, check_digits, personal_codes
from app.population.municipalities import POPULATION_FILE
from app.population.names import name_pools

from .conftest import AS_OF, read_rows

_CODE = re.compile(r"^\d{6}-\d{5}$")


def _age(birth: str, on: date = AS_OF) -> int:
    born = date.fromisoformat(birth)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _persons(population: tuple[Path, dict[str, Any]]) -> list[dict[str, str]]:
    return read_rows(population[0] / "pmlp_persons.csv.gz")


def _municipalities() -> dict[str, dict[str, str]]:
    with TERRITORIES_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row for row in csv.DictReader(handle)
                if row["kind"] != "planning_region"}


def test_personal_codes_are_unique_and_valid(population: tuple[Path, dict[str, Any]]) -> None:
    persons = _persons(population)
    codes = [row["personal_code"] for row in persons]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert _CODE.match(code), code
        assert pvn.is_valid(code), code


def test_dated_codes_carry_the_birth_date_and_later_births_the_new_format(
        population: tuple[Path, dict[str, Any]]) -> None:
    new_format_from = date(2017, 7, 1)
    seen_new = seen_old = 0
    for row in _persons(population):
        code, born = row["personal_code"], date.fromisoformat(row["birth_date"])
        if born >= new_format_from:
            assert code.startswith("32"), code
            seen_new += 1
        else:
            assert pvn.get_birth_date(code) == born, code
            seen_old += 1
    assert seen_new > 500 and seen_old > 15_000


def test_check_digits_match_the_validator_for_any_body() -> None:
    rng = np.random.default_rng(5)
    bodies = np.concatenate([rng.integers(0, 10**10, 2_000, dtype=np.int64),
                             32 * 10**8 + rng.integers(0, 10**8, 2_000, dtype=np.int64)])
    for body, check in zip(bodies.tolist(), check_digits(bodies).tolist()):
        assert pvn.calc_check_digit_pers(f"{body:010d}") == str(check)


def test_a_thousand_and_one_births_on_one_day_are_refused() -> None:
    rng = np.random.default_rng(1)
    same_day = np.full(1_001, np.datetime64("1980-05-17", "D"))
    with pytest.raises(TooManyBirthsOnOneDay):
        personal_codes(rng, same_day)
    codes = personal_codes(rng, same_day[:1_000])
    assert len(set(codes.tolist())) == 1_000


def test_age_and_sex_follow_latvias_structure(population: tuple[Path, dict[str, Any]]) -> None:
    persons = _persons(population)
    ages = [_age(row["birth_date"]) for row in persons]
    total = len(ages)
    assert 0.15 < sum(a < 18 for a in ages) / total < 0.22
    assert 0.17 < sum(a >= 65 for a in ages) / total < 0.25
    assert max(ages) <= 100 and min(ages) >= 0
    women = Counter(row["sex"] for row in persons)["F"] / total
    assert 0.51 < women < 0.57
    old = [row["sex"] for row, age in zip(persons, ages) if age >= 75]
    young = [row["sex"] for row, age in zip(persons, ages) if age < 30]
    assert old.count("F") / len(old) > 0.6
    assert 0.44 < young.count("F") / len(young) < 0.53


def test_residence_follows_the_municipalities_population(
        population: tuple[Path, dict[str, Any]]) -> None:
    persons = _persons(population)
    with POPULATION_FILE.open(encoding="utf-8", newline="") as handle:
        inhabitants = {row["code"]: int(row["population"]) for row in csv.DictReader(handle)}
    assert set(inhabitants) == set(_municipalities())
    counts = Counter(row["municipality_code"] for row in persons)
    assert set(counts) <= set(_municipalities())
    national = sum(inhabitants.values())
    for code in ("RIGA", "DAUGAVPILS", "OGRE", "TUKUMS"):
        expected = inhabitants[code] / national
        assert abs(counts[code] / len(persons) - expected) < max(0.1 * expected, 0.004), code
    assert len(counts) == len(inhabitants)  # at 20,000 even Varakļāni has its few


def test_names_are_latvian_and_family_names_follow_sex(
        population: tuple[Path, dict[str, Any]]) -> None:
    pools = name_pools()
    male_given, female_given = set(pools.given_male), set(pools.given_female)
    male_family, female_family = set(pools.family_male), set(pools.family_female)
    assert "Bērziņš" in male_family and "Bērziņa" in female_family
    for row in _persons(population):
        if row["sex"] == "M":
            assert row["given_name"] in male_given and row["family_name"] in male_family
        else:
            assert row["given_name"] in female_given and row["family_name"] in female_family


def test_addresses_name_a_street_a_house_and_the_municipality(
        population: tuple[Path, dict[str, Any]]) -> None:
    names = {code: row["name_lv"] for code, row in _municipalities().items()}
    address = re.compile(r"^(?P<street>.+ (iela|gatve|ceļš)) (?P<house>\d+)(-\d+)?, "
                         r"(?P<place>.+)$")
    flats = 0
    for row in _persons(population):
        found = address.match(row["address"])
        assert found, row["address"]
        assert found["place"] == names[row["municipality_code"]]
        flats += "-" in row["address"].split(",")[0]
    assert flats > 2_000  # flats in the state cities


def test_residence_is_declared_between_birth_and_the_extract_date(
        population: tuple[Path, dict[str, Any]]) -> None:
    for row in _persons(population):
        assert row["birth_date"] <= row["declared_on"] <= AS_OF.isoformat()
