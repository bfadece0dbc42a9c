"""Group homes (group apartments) for persons with mental disorders (P5): the register, the
capacity rule and the monthly report for the state co-financing reimbursement.

Cabinet Regulation No. 829 (2007) sets the state co-financing of group-home services. The share
the state pays is not in the domain brief; ``STATE_COFINANCING_SHARE_PERCENT`` holds it in one
place for the ministry to set (docs/processes/P5.md says so).
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from .calendar import add_months, month_bounds

REGISTER_FILE = Path(__file__).resolve().parents[2] / "data" / "group_homes.csv"

# The state's share of a group home's service cost reimbursed to the municipality, in percent
# (Cabinet Regulation No. 829 (2007)). Not given in the domain brief: a placeholder the ministry
# confirms or changes here.
STATE_COFINANCING_SHARE_PERCENT = Decimal(50)

# The monthly report is due by this day of the following month.
REPORT_DUE_DAY = 15


class PlacementRefused(ValueError):
    """A placement or transfer that the rules do not allow; the message says why (Latvian)."""


@dataclass(frozen=True)
class GroupHome:
    code: str
    name: str
    municipality_code: str
    capacity: int
    daily_cost_cents: int
    address: str


@dataclass(frozen=True)
class StayPeriod:
    """One stay of a person in a group home: ``end`` is the last day stayed (None: still there)."""

    person_key: str
    group_home_code: str
    start: date
    end: date | None


@cache
def register(path: Path = REGISTER_FILE) -> dict[str, GroupHome]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: GroupHome(row["code"], row["name"], row["municipality_code"],
                                       int(row["capacity"]), int(row["daily_cost_cents"]),
                                       row["address"])
                for row in csv.DictReader(handle)}


def group_home(code: str) -> GroupHome:
    try:
        return register()[code]
    except KeyError:
        raise PlacementRefused(f"Grupu māja {code} nav reģistrā") from None


def homes_of(municipality_code: str) -> list[GroupHome]:
    return [home for home in register().values() if home.municipality_code == municipality_code]


def occupied_on(stays: Iterable[StayPeriod], home_code: str, day: date) -> int:
    return sum(1 for stay in stays if stay.group_home_code == home_code and stay.start <= day
               and (stay.end is None or stay.end >= day))


def check_placement(home: GroupHome, stays: Iterable[StayPeriod], start: date,
                    municipality_code: str) -> None:
    """A person may be placed only in a group home of the placing municipality and only while a
    place is free on the start date (the home's registered capacity)."""
    if home.municipality_code != municipality_code:
        raise PlacementRefused(f"{home.name} nav pašvaldības {municipality_code} grupu māja; "
                               "izvēlieties savas pašvaldības grupu māju")
    if occupied_on(stays, home.code, start) >= home.capacity:
        raise PlacementRefused(f"{home.name}: {start.strftime('%d.%m.%Y')} nav brīvu vietu "
                               f"(ietilpība {home.capacity}); izvēlieties citu grupu māju vai "
                               "vēlāku datumu")


def check_transfer(target: GroupHome, stays: Iterable[StayPeriod], on: date,
                   from_municipality_code: str) -> None:
    """A transfer goes to another municipality's group home with a free place on the date."""
    if target.municipality_code == from_municipality_code:
        raise PlacementRefused("Pārvietošana ir uz citas pašvaldības grupu māju; tās pašas "
                               "pašvaldības mājas maiņa ir jauna ievietošana")
    if occupied_on(stays, target.code, on) >= target.capacity:
        raise PlacementRefused(f"{target.name}: {on.strftime('%d.%m.%Y')} nav brīvu vietu "
                               f"(ietilpība {target.capacity})")


period_bounds = month_bounds


def report_due(period: str) -> date:
    """The monthly report of ``period`` is due by the 15th of the next month."""
    first, _ = period_bounds(period)
    return add_months(first, 1).replace(day=REPORT_DUE_DAY)


def days_in_period(stay: StayPeriod, period: str) -> int:
    """Days of service in the month: the start day and the last day both count."""
    first, last = period_bounds(period)
    start = max(stay.start, first)
    end = min(stay.end or last, last)
    return max(0, (end - start).days + 1)


def state_share_cents(cost_cents: int, percent: Decimal = STATE_COFINANCING_SHARE_PERCENT) -> int:
    """The state's co-financing of ``cost_cents``, rounded half up to whole cents."""
    return int((Decimal(cost_cents) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def monthly_report(municipality_code: str, period: str, stays: Iterable[StayPeriod],
                   persons: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The monthly service report of a municipality's group homes (JSON-ready).

    ``persons`` maps a stay's person key to ``{"name", "personal_code"}`` for the report's rows.
    """
    rows: list[dict[str, Any]] = []
    counted: set[str] = set()
    for stay in sorted(stays, key=lambda s: (s.group_home_code, s.person_key, s.start)):
        home = group_home(stay.group_home_code)
        if home.municipality_code != municipality_code:
            continue
        days = days_in_period(stay, period)
        if days == 0:
            continue
        cost = days * home.daily_cost_cents
        first, last = period_bounds(period)
        person = persons.get(stay.person_key, {})
        counted.add(stay.person_key)
        rows.append({"group_home_code": home.code, "group_home_name": home.name,
                     "person_name": person.get("name", ""),
                     "personal_code": person.get("personal_code", ""),
                     "from": max(stay.start, first).isoformat(),
                     "to": min(stay.end or last, last).isoformat(),
                     "days": days, "daily_cost_cents": home.daily_cost_cents,
                     "cost_cents": cost, "state_share_cents": state_share_cents(cost)})
    total_cost = sum(int(r["cost_cents"]) for r in rows)
    return {"municipality_code": municipality_code, "period": period,
            "period_from": period_bounds(period)[0].isoformat(),
            "period_to": period_bounds(period)[1].isoformat(),
            "due_date": report_due(period).isoformat(), "rows": rows,
            "persons": len(counted),
            "days": sum(int(r["days"]) for r in rows), "cost_cents": total_cost,
            "state_share_percent": str(STATE_COFINANCING_SHARE_PERCENT),
            "state_share_cents": sum(int(r["state_share_cents"]) for r in rows)}


CSV_COLUMNS = ("group_home_code", "group_home_name", "person_name", "personal_code", "from", "to",
               "days", "daily_cost_cents", "cost_cents", "state_share_cents")


def _report_due(period: str) -> str:
    return report_due(period).isoformat()


SCRIPT_HELPERS = {
    "group_home_report_due": _report_due,
}
