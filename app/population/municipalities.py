"""The 43 municipalities with the population the synthetic persons are spread by.

``data/territories.csv`` gives the codes, names and planning regions;
``data/municipality_population.csv`` the number of inhabitants (data/README.md says where the
figures come from).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.access.organisations import TERRITORIES_FILE
from app.config import PROJECT_ROOT

POPULATION_FILE = PROJECT_ROOT / "data" / "municipality_population.csv"


class PopulationFileError(ValueError):
    """The population file does not cover exactly the municipalities of the territory file."""


@dataclass(frozen=True)
class Municipalities:
    codes: np.ndarray  # object arrays, one entry per municipality, in territory-file order
    names_lv: np.ndarray
    genitives_lv: np.ndarray  # "Tukuma novada", to name the municipality's bodies
    regions: np.ndarray
    is_state_city: np.ndarray  # bool
    population: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.codes)

    def shares(self) -> np.ndarray:
        return self.population / self.population.sum()


def read_municipalities(territories: Path = TERRITORIES_FILE,
                        population: Path = POPULATION_FILE) -> Municipalities:
    with territories.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["kind"] != "planning_region"]
    with population.open(encoding="utf-8", newline="") as handle:
        counts = {row["code"]: int(row["population"]) for row in csv.DictReader(handle)}
    codes = [row["code"] for row in rows]
    if set(codes) != set(counts):
        missing = sorted(set(codes) ^ set(counts))
        raise PopulationFileError(f"{population.name} and {territories.name} differ: "
                                  f"{', '.join(missing)}")
    return Municipalities(
        codes=np.array(codes, dtype=object),
        names_lv=np.array([row["name_lv"] for row in rows], dtype=object),
        genitives_lv=np.array([row["genitive_lv"] for row in rows], dtype=object),
        regions=np.array([row["planning_region"] for row in rows], dtype=object),
        is_state_city=np.array([row["kind"] == "state_city" for row in rows]),
        population=np.array([counts[code] for code in codes], dtype=np.int64),
    )
