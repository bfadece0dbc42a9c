"""Unique, valid Latvian personal codes for a whole synthetic population at once.

A dated code is ``DDMMYY-CNNNQ``: the birth date, the century (0 for the 1800s, 1 for the 1900s,
2 for the 2000s), a serial and the check digit. Births from 1 July 2017 get a ``32NNNN-NNNNQ``
code without a date. The check digit is the one python-stdnum's ``stdnum.lv.pvn`` verifies
(app/cases/personal_codes.py validates with it), computed here for all codes in one pass.
"""
from __future__ import annotations

import numpy as np

from .rates import NEW_CODE_FORMAT_FROM

_WEIGHTS = np.array([10, 5, 8, 4, 2, 1, 6, 3, 7, 9], dtype=np.int64)
_POWERS = 10 ** np.arange(9, -1, -1, dtype=np.int64)  # digit positions of a 10-digit body
SERIALS_PER_DAY = 1000
NEW_CODE_BODIES = 10**8


class TooManyBirthsOnOneDay(ValueError):
    """More persons born on one day than a dated code has serials for."""


def check_digits(bodies: np.ndarray) -> np.ndarray:
    """The check digit of each 10-digit body (stdnum.lv.pvn's rule)."""
    digits = (bodies[:, None] // _POWERS) % 10
    return (1 + digits @ _WEIGHTS) % 11 % 10


def personal_codes(rng: np.random.Generator, birth: np.ndarray) -> np.ndarray:
    """One distinct code per birth date (``datetime64[D]``), as 11-digit integers."""
    n = len(birth)
    bodies = np.empty(n, dtype=np.int64)
    new_format = birth >= np.datetime64(
        f"{NEW_CODE_FORMAT_FROM[0]:04d}-{NEW_CODE_FORMAT_FROM[1]:02d}-"
        f"{NEW_CODE_FORMAT_FROM[2]:02d}")

    new_count = int(new_format.sum())
    if new_count:
        if new_count > NEW_CODE_BODIES // 2:
            raise TooManyBirthsOnOneDay("too many births for the new code format")
        bodies[new_format] = 32 * NEW_CODE_BODIES + _distinct(rng, NEW_CODE_BODIES, new_count)

    old = ~new_format
    days = birth[old].astype(np.int64)
    # A serial per person, distinct among those born on the same day: rank within the day,
    # shifted by a random offset per day and shuffled through a fixed permutation of 0..999.
    order = np.argsort(days, kind="stable")
    sorted_days = days[order]
    first_of_day = np.r_[True, sorted_days[1:] != sorted_days[:-1]]
    group_start = np.maximum.accumulate(np.where(first_of_day, np.arange(len(days)), 0))
    rank_sorted = np.arange(len(days)) - group_start
    if len(days) and rank_sorted.max() >= SERIALS_PER_DAY:
        raise TooManyBirthsOnOneDay(f"more than {SERIALS_PER_DAY} persons born on one day")
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    permutation = rng.permutation(SERIALS_PER_DAY)
    day_offset = rng.integers(0, SERIALS_PER_DAY, size=len(days))
    # The offset must be the same for everyone born that day: take the first one's.
    offset_sorted = day_offset[order][group_start]
    offset = np.empty_like(offset_sorted)
    offset[order] = offset_sorted
    serial = permutation[(rank + offset) % SERIALS_PER_DAY]

    born = birth[old]
    year = born.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (born.astype("datetime64[M]") - born.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (born - born.astype("datetime64[M]")).astype(np.int64) + 1
    century = year // 100 - 18
    bodies[old] = ((((day * 100 + month) * 100 + year % 100) * 10 + century)
                   * SERIALS_PER_DAY + serial)
    return bodies * 10 + check_digits(bodies)


def as_text(codes: np.ndarray) -> np.ndarray:
    """The stored form ``DDMMYY-NNNNN`` of 11-digit integer codes, as an object array."""
    return np.array([f"{c // 100000:06d}-{c % 100000:05d}" for c in codes.tolist()],
                    dtype=object)


def _distinct(rng: np.random.Generator, population: int, count: int) -> np.ndarray:
    """``count`` distinct integers below ``population``, in random order."""
    chosen = np.unique(rng.integers(0, population, size=count + count // 10 + 16))
    while len(chosen) < count:
        more = rng.integers(0, population, size=count - len(chosen) + 16)
        chosen = np.unique(np.concatenate([chosen, more]))
    return rng.permutation(chosen)[:count]
