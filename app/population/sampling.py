"""Vectorised draws the generator is built from: categories, probabilities scaled to an
expected count, dates and spells. Dates are numpy ``datetime64[D]``; NaT means "none"."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

NAT = np.datetime64("NaT", "D")
DAYS_PER_YEAR = 365.2425


def day(value: date) -> np.datetime64:
    return np.datetime64(value.isoformat(), "D")


def years_before(value: date, years: int) -> date:
    try:
        return value.replace(year=value.year - years)
    except ValueError:  # 29 February
        return value.replace(year=value.year - years, day=28)


def birthday(birth: np.ndarray, age: int) -> np.ndarray:
    """The day each person turns ``age`` (29 February birthdays fall on 1 March)."""
    born_month = birth.astype("datetime64[M]")
    day_of_month = birth - born_month.astype("datetime64[D]")
    target = (born_month + np.timedelta64(12 * age, "M")).astype("datetime64[D]")
    return target + day_of_month  # type: ignore[no-any-return]


def step_lookup(values: np.ndarray, table: Sequence[tuple[int, float]]) -> np.ndarray:
    """The weight of each value in a (first value, weight) step table."""
    firsts = np.array([first for first, _ in table])
    weights = np.array([weight for _, weight in table])
    position = np.searchsorted(firsts, values, side="right") - 1
    return np.where(position >= 0, weights[np.clip(position, 0, None)], 0.0)


def categorical(rng: np.random.Generator, table: Sequence[tuple[str, float]],
                size: int) -> np.ndarray:
    codes = np.array([code for code, _ in table], dtype=object)
    shares = np.array([share for _, share in table])
    return codes[rng.choice(len(codes), size=size, p=shares / shares.sum())]


def probabilities(weights: np.ndarray, expected: float) -> np.ndarray:
    """Per-person probabilities proportional to ``weights`` (capped at 1) summing to
    ``expected`` as nearly as the cap allows."""
    p = np.zeros(len(weights))
    if expected <= 0 or weights.sum() <= 0:
        return p
    scale = expected / weights.sum()
    for _ in range(20):
        p = np.minimum(1.0, weights * scale)
        total = p.sum()
        if total >= expected * 0.999 or np.all(p[weights > 0] >= 1.0):
            break
        scale *= expected / total
    return p


def chosen(rng: np.random.Generator, weights: np.ndarray, expected: float) -> np.ndarray:
    """Indices of persons drawn independently, about ``expected`` of them, by weight."""
    return np.flatnonzero(rng.random(len(weights)) < probabilities(weights, expected))


def between(rng: np.random.Generator, low: np.ndarray | np.datetime64,
            high: np.ndarray | np.datetime64, size: int) -> np.ndarray:
    """A uniform day in [low, high] for each of ``size`` draws (low after high gives high)."""
    span = np.maximum((np.asarray(high) - np.asarray(low)).astype(np.int64), 0)
    offset = np.floor(rng.random(size) * (span + 1)).astype(np.int64)
    return np.asarray(low) + offset.astype("timedelta64[D]")  # type: ignore[no-any-return]


def lognormal_days(rng: np.random.Generator, median: float, sigma: float,
                   size: int) -> np.ndarray:
    days = np.maximum(1, np.round(median * np.exp(sigma * rng.standard_normal(size))))
    return days.astype(np.int64).astype("timedelta64[D]")


def open_if_after(ends: np.ndarray, as_of: np.datetime64) -> np.ndarray:
    """An end after the extract date is not known yet: the spell is open (NaT)."""
    return np.where(ends > as_of, NAT, ends)
