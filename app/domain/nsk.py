"""P7, money follows the client ("nauda seko klientam", NSK): who is eligible on a day, and the
compensation a municipality receives for one service record, in exact cents.

The state partly compensates a municipality for the community services it gives a former client of
a state social care centre (VSAC) once his state-funded long-term care has ended, for the services
his support plan lists (DOMAIN, P7). A person who came under NSK as a child continues after his
18th birthday only with severe disorders and disability group I or II, on a VDEĀVK decision valid
on the day. The rates per service type and unit are not here: they are the decision table
``processes/p07_compensation_rates.dmn``, which the process owner changes, and the process hands
the rate to ``compensate``.

Days are the unit of every date rule: a service record spanning days on both sides of a boundary
(the day care ended, the 18th birthday, a plan's end, the month's end) is compensated for the share
of its days that qualify.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .calendar import add_months, format_lv, month_bounds, parse_date
from .service_types import ADULT_SERVICE_TYPES, service_type_name

ADULT_AGE = 18
# After 18 a former NSK child continues only with these groups and this severity (VDEĀVK).
CONTINUATION_GROUPS = ("I", "II")
CONTINUATION_SEVERITY = "SEVERE"


@dataclass(frozen=True)
class Reason:
    """One condition of eligibility, met or not, said for the caseworker and the ministry."""

    code: str
    met: bool
    message_lv: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "met": self.met, "message_lv": self.message_lv,
                "message_en": self.message_en}


@dataclass(frozen=True)
class DisabilityStatus:
    """The VDEĀVK decision the eligibility check received (``found`` False: none on the day)."""

    found: bool
    group: str | None = None
    severity: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    opinion_number: str | None = None

    def valid_on(self, day: date) -> bool:
        return (self.found and self.valid_from is not None and self.valid_from <= day
                and (self.valid_to is None or day <= self.valid_to))

    @classmethod
    def from_result(cls, result: Mapping[str, Any] | None) -> DisabilityStatus | None:
        """From the ``vdeavk.get_disability_status`` result (or its stored copy)."""
        if not result:
            return None
        found = bool(result.get("found"))
        return cls(found=found, group=result.get("disability_group"),
                   severity=result.get("severity"),
                   valid_from=_date_or_none(result.get("valid_from")),
                   valid_to=_date_or_none(result.get("valid_to")),
                   opinion_number=result.get("opinion_number"))

    def as_result(self) -> dict[str, Any]:
        return {"found": self.found, "disability_group": self.group, "severity": self.severity,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "opinion_number": self.opinion_number}


@dataclass(frozen=True)
class PlanWindow:
    """One version of the person's support plan: the service types it lists and when it holds."""

    version: int
    valid_from: date
    valid_to: date | None
    services: frozenset[str]

    def holds_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class NskFacts:
    """What the rules need to know about a person."""

    birth_date: date | None
    care_ended_on: date | None  # the discharge date: the last day of state-funded VSAC care
    disability: DisabilityStatus | None = None
    plans: Sequence[PlanWindow] = field(default_factory=tuple)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[Reason, ...]

    def refusals(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if not r.met)


def eighteenth_birthday(birth_date: date) -> date:
    """The day a person turns 18. Born on 29 February: 1 March of a common year (the day after
    28 February, when the 29th does not exist)."""
    if birth_date.month == 2 and birth_date.day == 29:
        year = birth_date.year + ADULT_AGE
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 3, 1)
    return add_months(birth_date, 12 * ADULT_AGE)


def entered_as_child(facts: NskFacts) -> bool:
    """Came under NSK as a child: the state-funded care ended before the 18th birthday (NSK starts
    the day after it)."""
    if facts.birth_date is None or facts.care_ended_on is None:
        return False
    return facts.care_ended_on + timedelta(days=1) < eighteenth_birthday(facts.birth_date)


def needs_disability_check(facts: NskFacts, day: date) -> bool:
    """The VDEĀVK decision decides only for a former NSK child who is 18 on ``day``."""
    return (facts.birth_date is not None and entered_as_child(facts)
            and day >= eighteenth_birthday(facts.birth_date))


def plan_on(plans: Iterable[PlanWindow], day: date) -> PlanWindow | None:
    """The plan version in force on ``day``: the highest version holding then (as P1/P3 count)."""
    holding = [p for p in plans if p.holds_on(day)]
    return max(holding, key=lambda p: p.version) if holding else None


def _care_reason(facts: NskFacts, day: date) -> Reason:
    if facts.care_ended_on is None:
        return Reason("vsac_care", False, "Valsts finansētā ilgstošā sociālā aprūpe VSAC nav beigusies.",
                      "The state-funded long-term care in a VSAC has not ended.")
    if day <= facts.care_ended_on:
        return Reason("vsac_care", False,
                      f"{format_lv(day)} vēl ilga valsts finansētā aprūpe VSAC "
                      f"(beidzās {format_lv(facts.care_ended_on)}).",
                      f"On {day.isoformat()} the state-funded VSAC care still lasted "
                      f"(it ended on {facts.care_ended_on.isoformat()}).")
    return Reason("vsac_care", True,
                  f"Valsts finansētā aprūpe VSAC beidzās {format_lv(facts.care_ended_on)}.",
                  f"The state-funded VSAC care ended on {facts.care_ended_on.isoformat()}.")


def _age_reasons(facts: NskFacts, day: date) -> list[Reason]:
    if facts.birth_date is None:
        return [Reason("birth_date", False, "Nav zināms personas dzimšanas datums.",
                       "The person's date of birth is not known.")]
    adult_on = eighteenth_birthday(facts.birth_date)
    if day < adult_on:
        return [Reason("age", True, f"Bērns (18 gadi {format_lv(adult_on)}).",
                       f"A child (turns 18 on {adult_on.isoformat()}).")]
    if not entered_as_child(facts):
        return [Reason("age", True, "Pieaugušais, NSK sākās pēc 18 gadu vecuma.",
                       "An adult who came under NSK after turning 18.")]
    status = facts.disability
    continuation = "Pēc 18 gadu vecuma NSK turpinās tikai ar smagiem traucējumiem un I vai II grupu"
    if status is None or not status.found:
        return [Reason("disability", False, f"{continuation}; VDEĀVK lēmuma nav.",
                       "After 18 NSK continues only with severe disorders and group I or II; "
                       "VDEĀVK has no decision.")]
    if not status.valid_on(day):
        return [Reason("disability", False,
                       f"VDEĀVK atzinums {status.opinion_number or ''} nav spēkā {format_lv(day)}.",
                       f"The VDEĀVK opinion {status.opinion_number or ''} is not valid on "
                       f"{day.isoformat()}.")]
    if status.group not in CONTINUATION_GROUPS or status.severity != CONTINUATION_SEVERITY:
        group = status.group or "bez grupas"
        return [Reason("disability", False, f"{continuation}; VDEĀVK: {group}, {status.severity}.",
                       "After 18 NSK continues only with severe disorders and group I or II; "
                       f"VDEĀVK: {status.group or 'no group'}, {status.severity}.")]
    return [Reason("disability", True,
                   f"{status.group}. grupa, smagi traucējumi (VDEĀVK atzinums {status.opinion_number}).",
                   f"Group {status.group}, severe disorders (VDEĀVK opinion {status.opinion_number}).")]


def _plan_reason(facts: NskFacts, day: date, service_type: str | None) -> Reason:
    plan = plan_on(facts.plans, day)
    listed = sorted(s for s in (plan.services if plan else ()) if s in ADULT_SERVICE_TYPES)
    if service_type is None:
        if not listed:
            return Reason("plan", False, f"{format_lv(day)} spēkā esošajā plānā nav kopienas pakalpojumu.",
                          f"The plan in force on {day.isoformat()} lists no community service.")
        names = ", ".join(service_type_name(s) for s in listed)
        return Reason("plan", True, f"Plānā: {names}.",
                      f"The plan lists: {', '.join(service_type_name(s, 'en') for s in listed)}.")
    if service_type not in listed:
        return Reason("plan", False,
                      f"Pakalpojums «{service_type_name(service_type)}» {format_lv(day)} nav "
                      "personas plānā.",
                      f"The service '{service_type_name(service_type, 'en')}' is not in the "
                      f"person's plan on {day.isoformat()}.")
    return Reason("plan", True, f"Pakalpojums «{service_type_name(service_type)}» ir plānā.",
                  f"The service '{service_type_name(service_type, 'en')}' is in the plan.")


def eligibility_on(facts: NskFacts, day: date, service_type: str | None = None) -> Eligibility:
    """Whether the state compensates services for the person on ``day`` (and, given a service
    type, that service): every condition with whether it is met."""
    reasons = (_care_reason(facts, day), *_age_reasons(facts, day),
               _plan_reason(facts, day, service_type))
    return Eligibility(all(r.met for r in reasons), reasons)


# -- compensation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceLine:
    """One accepted service record of the municipality (P3), as the compensation sees it."""

    record_id: int
    service_type: str
    unit: str
    period_from: date
    period_to: date
    volume: Decimal
    cost_cents: int


@dataclass(frozen=True)
class Compensation:
    record_id: int
    service_type: str
    unit: str
    days_in_month: int  # the record's days inside the report month
    eligible_days: int
    rate_cents: int | None
    amount_cents: int
    reasons: tuple[Reason, ...]  # why some days did not qualify (each kind once)


period_bounds = month_bounds


def round_cents(amount: Decimal) -> int:
    """Whole cents, half up (0,5 cents up), the rounding of every compensation line."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compensate(line: ServiceLine, facts: NskFacts, rate_cents: int | None,
               period: str) -> Compensation:
    """The compensation for one record in the month ``period``.

    A record counts for its days inside the month on which the person and the service qualify
    (``eligibility_on``). Its share is ``eligible days / all its days``: the amount is the rate
    times the volume times that share, but never more than the same share of what the
    municipality reports the service cost. Each line is rounded half up to a whole cent; totals
    add the rounded lines.
    """
    first, last = period_bounds(period)
    record_days = (line.period_to - line.period_from).days + 1
    start, end = max(line.period_from, first), min(line.period_to, last)
    in_month = max(0, (end - start).days + 1)
    eligible = 0
    refused: dict[str, Reason] = {}
    for offset in range(in_month):
        verdict = eligibility_on(facts, start + timedelta(days=offset), line.service_type)
        if verdict.eligible:
            eligible += 1
        for reason in verdict.refusals():
            refused.setdefault(reason.code, reason)
    if rate_cents is None:
        refused["rate"] = Reason("rate", False, "Lēmumu tabulā nav likmes šim pakalpojumam un "
                                 f"mērvienībai ({line.unit}).",
                                 f"The decision table has no rate for this service and unit "
                                 f"({line.unit}).")
    if rate_cents is None or eligible == 0 or record_days <= 0:
        return Compensation(line.record_id, line.service_type, line.unit, in_month, eligible,
                            rate_cents, 0, tuple(refused.values()))
    share = Decimal(eligible) / Decimal(record_days)
    by_rate = round_cents(Decimal(rate_cents) * line.volume * share)
    cost_share = round_cents(Decimal(line.cost_cents) * share)
    return Compensation(line.record_id, line.service_type, line.unit, in_month, eligible,
                        rate_cents, min(by_rate, cost_share), tuple(refused.values()))


def rate_keys(lines: Iterable[ServiceLine]) -> list[dict[str, str]]:
    """The (service type, unit) pairs the decision table is asked about, once each, sorted."""
    return [{"service_type": s, "unit": u}
            for s, u in sorted({(line.service_type, line.unit) for line in lines})]


def rates_by_key(keys: Sequence[Mapping[str, Any]], rates: Sequence[Any]) -> dict[tuple[str, str], int | None]:
    """Pair the decision table's answers with the keys asked (the process keeps their order). A
    rate that is not a whole, non-negative number of cents counts as no rate."""
    if len(keys) != len(rates):
        raise ValueError("the rates do not match the service types asked")
    found: dict[tuple[str, str], int | None] = {}
    for key, rate in zip(keys, rates, strict=True):
        ok = isinstance(rate, int) and not isinstance(rate, bool) and rate >= 0
        found[(str(key.get("service_type")), str(key.get("unit")))] = rate if ok else None
    return found


def _date_or_none(value: Any) -> date | None:
    return parse_date(str(value)) if value else None


SCRIPT_HELPERS: dict[str, Any] = {}
