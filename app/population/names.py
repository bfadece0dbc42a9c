"""Pools of Latvian given names, family names and street names, built once from faker's
``lv_LV`` locale; persons then draw indices into them (faker is never asked per person).

Latvian family names are gendered (Bērziņš, Bērziņa); the few that are the same for both
(Liepa, Skuja) go into both pools. faker has no Latvian street provider, so street names are
made the Latvian way: a genitive (a woman's given name, a family name or a common word) and
``iela``, ``gatve`` or ``ceļš``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from faker.providers.person.lv_LV import Provider as LatvianNames

# Common street-name genitives (Brīvības iela, Skolas iela ...), written here because faker's
# lv_LV locale has none.
_COMMON_STREET_WORDS = (
    "Brīvības", "Skolas", "Dārza", "Meža", "Lauku", "Baznīcas", "Pils", "Stacijas", "Rīgas",
    "Ezera", "Upes", "Saules", "Pasta", "Jaunā", "Parka", "Liepu", "Bērzu", "Priežu", "Ozolu",
    "Kalna", "Tirgus", "Ganību", "Zvejnieku", "Celtnieku", "Lielā", "Mazā", "Dzirnavu", "Krasta",
    "Ābeļu", "Kļavu", "Ziedu", "Avotu", "Smilšu", "Rūpniecības", "Atmodas", "Pļavu", "Līvu",
    "Kalēju", "Amatnieku", "Dzelzceļa",
)
_STREET_KINDS = ("iela",) * 8 + ("gatve", "ceļš")


@dataclass(frozen=True)
class NamePools:
    given_male: np.ndarray  # object arrays of str, indexed by the draws
    given_female: np.ndarray
    family_male: np.ndarray
    family_female: np.ndarray
    streets: np.ndarray


@cache
def name_pools() -> NamePools:
    shared = tuple(LatvianNames.last_names_nonbinary)
    streets = [f"{word} {_STREET_KINDS[i % len(_STREET_KINDS)]}"
               for i, word in enumerate(_street_genitives())]
    return NamePools(
        given_male=_array(sorted(set(LatvianNames.first_names_male))),
        given_female=_array(sorted(set(LatvianNames.first_names_female))),
        family_male=_array(sorted(set(LatvianNames.last_names_male) | set(shared))),
        family_female=_array(sorted(set(LatvianNames.last_names_female) | set(shared))),
        streets=_array(streets),
    )


def _street_genitives() -> list[str]:
    words = list(_COMMON_STREET_WORDS)
    for name in sorted(set(LatvianNames.first_names_female)):
        if name.endswith(("a", "e")):  # Anna -> Annas, Agnese -> Agneses
            words.append(name + "s")
    for name in sorted(set(LatvianNames.last_names_male)):
        # Bērziņš -> Bērziņa, Ozols -> Ozola; names in -is change their stem (Briedis ->
        # Brieža) and are left out rather than spelt wrong.
        if name.endswith(("š", "s")) and not name.endswith(("is", "us")):
            words.append(name[:-1] + "a")
    return sorted(set(words))


def _array(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=object)
