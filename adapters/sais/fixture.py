"""The payments the SAIS simulator knows, generated when it loads, the same every time.

Persons are seeds 1..90 of :func:`app.demo.valid_personal_code`; each seed's payments follow
from the seed alone (a ``random.Random`` seeded with it), monthly from 2019-01 to 2026-12, so
months before 2020-01-01 (the 10 % allowance rule of P8) exist. Generated rather than kept in a
file because eight years of monthly payments for 90 persons is ~15,000 entries nobody reviews.
The mix, by seed:

* every 15th seed (15, 30, ... 90): known to SAIS, nothing paid;
* seeds 2, 10, 18, ... (``seed % 8 == 2``): a disability BENEFIT instead of a pension;
* every other seed: a PENSION (old-age or disability), indexed every October; some start
  later than 2019-01 (``seed % 5 == 4``: granted between 2019-06 and 2024-12);
* pensioners with ``seed % 3 == 1`` also get a pension SUPPLEMENT;
* ``seed % 7 == 3``: a COMPENSATION; ``seed % 12 == 5``: a FOREIGN_PENSION whose euro amount
  changes every month (exchange rate).

Payments for a month are paid within that month; a payday on a weekend moves to the Friday
before. Amounts are integer cents. Tests replace one person's payments through the control API.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache
from typing import Any, Final

from app.demo import valid_personal_code

SEEDS: Final = range(1, 91)
FIRST_MONTH: Final = (2019, 1)
LAST_MONTH: Final = (2026, 12)


def fixture_persons() -> dict[str, dict[str, Any]]:
    """Personal code -> ``{"seed", "payments": [...]}`` for every fixture seed: fresh lists
    each call (the simulator's reset), sharing the payment dicts, which nothing changes."""
    return {code: {"seed": seed, "payments": list(payments)}
            for code, seed, payments in _generated()}


@cache
def _generated() -> tuple[tuple[str, int, tuple[dict[str, Any], ...]], ...]:
    # Generated once per process: simulators are reset before every test that uses them.
    return tuple((valid_personal_code(seed), seed, tuple(payments_for(seed))) for seed in SEEDS)


def _months() -> list[tuple[int, int]]:
    months = []
    year, month = FIRST_MONTH
    while (year, month) <= LAST_MONTH:
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _payday(year: int, month: int, day: int) -> date:
    paid = date(year, month, day)
    while paid.weekday() >= 5:  # Saturday, Sunday: paid on the Friday before
        paid -= timedelta(days=1)
    return paid


def payments_for(seed: int) -> list[dict[str, Any]]:
    """One seed's monthly payments, ordered by payment date and kind."""
    if seed % 15 == 0:
        return []
    rng = random.Random(f"sais-{seed}")  # a str seed is hashed the same way in every process
    payday = rng.randint(2, 20)
    start = (2019, 1)
    if seed % 5 == 4:
        start = (rng.randint(2019, 2024), rng.randint(6, 12))
    has_pension = seed % 8 != 2
    pension = rng.randint(30_000, 65_000)
    supplement = rng.randint(1_500, 3_500)
    benefit = rng.randint(8_000, 21_345)
    compensation = rng.randint(5_000, 10_000)
    payments: list[dict[str, Any]] = []
    for year, month in _months():
        if (year, month) < start:
            continue
        if month == 10:
            # Pensions are indexed every October; the rate differs by year.
            pension += pension * rng.randint(30, 90) // 1000
        period = f"{year:04d}-{month:02d}"
        due: list[tuple[str, int, int]] = []  # kind, cents, day of month
        if has_pension:
            due.append(("PENSION", pension, payday))
            if seed % 3 == 1:
                due.append(("SUPPLEMENT", supplement, payday))
        else:
            due.append(("BENEFIT", benefit, payday))
        if seed % 7 == 3:
            due.append(("COMPENSATION", compensation, 22))
        if seed % 12 == 5:
            due.append(("FOREIGN_PENSION", rng.randint(4_000, 25_000), 25))
        for kind, cents, day in due:
            payments.append(
                {
                    "kind": kind,
                    "amount_cents": cents,
                    "paid_on": _payday(year, month, day).isoformat(),
                    "period": period,
                    "reference": f"{_PREFIX[kind]}-{seed:03d}-{year:04d}{month:02d}",
                }
            )
    payments.sort(key=lambda p: (p["paid_on"], p["kind"]))
    return payments


_PREFIX: Final = {
    "PENSION": "PEN",
    "SUPPLEMENT": "SUP",
    "BENEFIT": "BEN",
    "COMPENSATION": "KOM",
    "FOREIGN_PENSION": "ARP",
}
