"""The persons of the synthetic population register: age, sex, birth date, personal code, name,
declared municipality and address, all drawn for everyone at once."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import rates
from .codes import as_text, personal_codes
from .municipalities import Municipalities
from .names import NamePools
from .sampling import DAYS_PER_YEAR, between


@dataclass(frozen=True)
class Persons:
    codes: np.ndarray  # object array of "DDMMYY-NNNNN"
    birth: np.ndarray  # datetime64[D]
    age: np.ndarray  # whole years on the extract date
    male: np.ndarray  # bool
    municipality: np.ndarray  # index into Municipalities
    given: np.ndarray  # index into the sex's given-name pool
    family: np.ndarray  # index into the sex's family-name pool
    street: np.ndarray
    house: np.ndarray
    flat: np.ndarray  # 0: a house, no flat
    declared: np.ndarray  # datetime64[D]

    def __len__(self) -> int:
        return len(self.codes)


def age_distribution() -> tuple[np.ndarray, np.ndarray]:
    """Probability of each single year of age 0..100 and the share of men at that age."""
    top = max(last for _, last, _, _ in rates.AGE_GROUPS)
    weight = np.zeros(top + 1)
    men = np.zeros(top + 1)
    for first, last, thousands, men_share in rates.AGE_GROUPS:
        years = np.arange(first, last + 1)
        if last == top:  # the open top group thins out year by year
            shape = rates.TOP_GROUP_DECAY ** (years - first)
        else:
            shape = np.ones(len(years))
        weight[years] = thousands * shape / shape.sum()
        men[years] = men_share
    return weight / weight.sum(), men


def draw_persons(rng: np.random.Generator, scale: int, as_of: np.datetime64,
                 municipalities: Municipalities, pools: NamePools) -> Persons:
    age_p, men_share = age_distribution()
    age = rng.choice(len(age_p), size=scale, p=age_p)
    male = rng.random(scale) < men_share[age]
    # Born between (age + 1) years and age years before the extract date.
    days_old = np.floor((age + rng.random(scale)) * DAYS_PER_YEAR).astype(np.int64)
    birth = as_of - days_old.astype("timedelta64[D]")
    codes = as_text(personal_codes(rng, birth))

    municipality = rng.choice(len(municipalities), size=scale, p=municipalities.shares())
    given = np.where(male, rng.integers(0, len(pools.given_male), scale),
                     rng.integers(0, len(pools.given_female), scale))
    family = np.where(male, rng.integers(0, len(pools.family_male), scale),
                      rng.integers(0, len(pools.family_female), scale))
    street = rng.integers(0, len(pools.streets), scale)
    house = np.minimum(1 + np.floor(rng.exponential(25.0, scale)), 199).astype(np.int64)
    in_flat = municipalities.is_state_city[municipality] & (
        rng.random(scale) < rates.CITY_FLAT_SHARE)
    flat = np.where(in_flat, rng.integers(1, 81, scale), 0)
    years_since = rng.exponential(rates.DECLARATION_MEAN_YEARS, scale)
    declared = as_of - np.floor(years_since * DAYS_PER_YEAR).astype(np.int64).astype(
        "timedelta64[D]")
    # Nobody declares before birth: a baby's residence is declared in its first month.
    newborn = declared < birth
    declared[newborn] = between(rng, birth[newborn],
                                np.minimum(birth[newborn] + np.timedelta64(30, "D"), as_of),
                                int(newborn.sum()))
    return Persons(codes=codes, birth=birth, age=age, male=male, municipality=municipality,
                   given=given, family=family, street=street, house=house, flat=flat,
                   declared=declared)


def person_columns(persons: Persons, municipalities: Municipalities,
                   pools: NamePools) -> tuple[object, ...]:
    """The columns of pmlp_persons.csv.gz, names and addresses made a chunk at a time."""

    def given_names(start: int, stop: int) -> list[str]:
        male = persons.male[start:stop]
        index = persons.given[start:stop]
        return np.where(male, pools.given_male[np.minimum(index, len(pools.given_male) - 1)],
                        pools.given_female[np.minimum(index, len(pools.given_female) - 1)]
                        ).tolist()  # type: ignore[no-any-return]

    def family_names(start: int, stop: int) -> list[str]:
        male = persons.male[start:stop]
        index = persons.family[start:stop]
        return np.where(male, pools.family_male[np.minimum(index, len(pools.family_male) - 1)],
                        pools.family_female[np.minimum(index, len(pools.family_female) - 1)]
                        ).tolist()  # type: ignore[no-any-return]

    def addresses(start: int, stop: int) -> list[str]:
        streets = pools.streets[persons.street[start:stop]].tolist()
        places = municipalities.names_lv[persons.municipality[start:stop]].tolist()
        houses = persons.house[start:stop].tolist()
        flats = persons.flat[start:stop].tolist()
        return [f"{s} {h}-{f}, {p}" if f else f"{s} {h}, {p}"
                for s, h, f, p in zip(streets, houses, flats, places)]

    sex = np.where(persons.male, "M", "F").astype(object)
    return (persons.codes, given_names, family_names, sex, persons.birth,
            municipalities.codes[persons.municipality], addresses, persons.declared)
