"""P8: the co-payment of a resident of a state social care centre (VSAC) for long-term social care.

Law on Social Services and Social Assistance, art. 29: a person in long-term social care in an
institution keeps for personal expenses **at least 15 %** of his pension, state social insurance
benefits and compensations (10 % for months before 1 January 2020, as the law read then); the
rest of what was paid to him in the month is his co-payment for the care.

Money is whole euro cents (``int``), never float. The rounding rule (``ALLOWANCE_ROUNDS_UP``): the
allowance is rounded **up** to the whole cent, so it is never less than the legal minimum, and the
co-payment is what remains (total − allowance), so the two always add up to the total exactly.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from .calendar import end_of_day, format_lv, month_bounds
from .findings import Finding

# Art. 29 as amended with effect from 1 January 2020 raised the minimum from 10 % to 15 %.
HIGHER_MINIMUM_FROM = date(2020, 1, 1)
MINIMUM_PERCENT_BEFORE_2020 = 10
MINIMUM_PERCENT = 15
ALLOWANCE_ROUNDS_UP = True  # documented in docs/processes/P8.md; the tests check it at the cent
PAYMENT_KINDS = ("PENSION", "SUPPLEMENT", "BENEFIT", "COMPENSATION", "FOREIGN_PENSION")
CONFIRM_DAYS = 10  # the caseworker confirms the month within 10 days of the fetch (good practice)
REMIND_DAYS_BEFORE = 3

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class CalculationRefused(ValueError):
    """A calculation the law does not allow (an allowance below the minimum, a negative total)."""


period_bounds = month_bounds


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_period(period: str) -> str:
    _first, last = period_bounds(period)
    return period_of(last + timedelta(days=1))


def minimum_allowance_percent(period: str) -> int:
    """The legal minimum share for personal expenses in the month of the payments (art. 29)."""
    first, _ = period_bounds(period)
    return MINIMUM_PERCENT if first >= HIGHER_MINIMUM_FROM else MINIMUM_PERCENT_BEFORE_2020


def minimum_allowance_cents(total_cents: int, period: str) -> int:
    """At least the percentage of the total, rounded **up** to the whole cent (integer maths)."""
    if isinstance(total_cents, bool) or not isinstance(total_cents, int) or total_cents < 0:
        raise CalculationRefused("the total paid must be a whole, non-negative number of cents")
    return -(-total_cents * minimum_allowance_percent(period) // 100)


@dataclass(frozen=True)
class Calculation:
    period: str
    total_cents: int
    minimum_percent: int
    minimum_allowance_cents: int
    allowance_cents: int
    co_payment_cents: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def calculate(period: str, total_cents: int, allowance_cents: int | None = None) -> Calculation:
    """The month's allowance and co-payment; ``allowance_cents`` is a caseworker's correction
    (at least the minimum, at most the total), else the minimum is kept."""
    minimum = minimum_allowance_cents(total_cents, period)
    allowance = minimum if allowance_cents is None else allowance_cents
    if isinstance(allowance, bool) or not isinstance(allowance, int):
        raise CalculationRefused("the allowance must be a whole number of cents")
    if allowance < minimum:
        raise CalculationRefused(f"the allowance {allowance} is below the legal minimum {minimum}")
    if allowance > total_cents:
        raise CalculationRefused(f"the allowance {allowance} exceeds the total {total_cents}")
    return Calculation(period, total_cents, minimum_allowance_percent(period), minimum, allowance,
                       total_cents - allowance)


def eur(cents: int) -> str:
    """1 234,50 € (as the documents write euro); here so the domain's messages need no Flask."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole:,}".replace(",", "\u00a0") + f",{rest:02d} €"


def notice_lines(calculation: Mapping[str, Any]) -> list[str]:
    """What the confirmation form shows above its fields (x-notice), in Latvian."""
    return [f"Mēnesis {calculation['period']}: VSAA izmaksāts kopā {eur(calculation['total_cents'])}.",
            (f"Personīgajām vajadzībām atstājams vismaz {calculation['minimum_percent']} % — "
            f"{eur(calculation['minimum_allowance_cents'])} (Sociālo pakalpojumu un sociālās "
            "palīdzības likuma 29. pants)."),
            f"Aprēķinātais līdzmaksājums: {eur(calculation['co_payment_cents'])}."]


# --- form rule -----------------------------------------------------------------------------------


def allowance_findings(data: Mapping[str, Any]) -> list[Finding]:
    """A corrected allowance below the legal minimum (or above the total) is refused on the field."""
    if data.get("decision") != "CORRECT":
        return []
    period, total, allowance = data.get("period"), data.get("total_cents"), data.get(
        "allowance_cents")
    if not isinstance(total, int) or not isinstance(allowance, int):
        return []
    try:
        minimum = minimum_allowance_cents(total, str(period))
        percent = minimum_allowance_percent(str(period))
    except (ValueError, CalculationRefused):
        return [Finding("period", "Mēnesis jānorāda formā GGGG-MM.", "Give the month as YYYY-MM.")]
    if allowance < minimum:
        return [Finding(
            "allowance_cents",
            f"Personīgajām vajadzībām jāatstāj vismaz {percent} % no izmaksātās summas — "
            f"{eur(minimum)} (Sociālo pakalpojumu un sociālās palīdzības likuma 29. pants).",
            f"At least {percent} % of the amount paid, {eur(minimum)}, must be left for personal "
            "expenses (Law on Social Services and Social Assistance, art. 29).")]
    if allowance > total:
        return [Finding("allowance_cents",
                        f"Summa nevar būt lielāka par izmaksāto kopsummu {eur(total)}.",
                        f"The amount cannot exceed the total paid, {eur(total)}.")]
    return []


FORM_RULES = {"p08_allowance": allowance_findings}


# --- script helpers (task data is JSON: periods as YYYY-MM, dates as ISO strings) -----------------


def _calculation(period: str, total_cents: int, allowance_cents: int | None = None) -> dict[str, Any]:
    return calculate(period, int(total_cents),
                     None if allowance_cents is None else int(allowance_cents)).as_dict()


def _period_from(period: str) -> str:
    return period_bounds(period)[0].isoformat()


def _period_to(period: str) -> str:
    return period_bounds(period)[1].isoformat()


def _period_of(day: str) -> str:
    return str(day)[:7] if _PERIOD.match(str(day)[:7]) else period_of(date.fromisoformat(day))


def _fetch_at(period: str) -> str:
    """The monthly fetch of ``period`` runs once the month has ended (midnight in Latvia)."""
    return end_of_day(period_bounds(period)[1]).isoformat()


def _statement_title(period: str) -> str:
    first, last = period_bounds(period)
    return f"Līdzmaksājuma aprēķins par {format_lv(first)}–{format_lv(last)}"


SCRIPT_HELPERS = {
    "co_payment_calculation": _calculation,
    "co_payment_notice": notice_lines,
    "co_payment_period_from": _period_from,
    "co_payment_period_to": _period_to,
    "co_payment_period_of": _period_of,
    "co_payment_next_period": next_period,
    "co_payment_fetch_at": _fetch_at,
    "co_payment_statement_title": _statement_title,
}
