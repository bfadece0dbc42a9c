"""P3: validation of the community-service records municipalities submit (DOMAIN, P3; Cabinet
Regulation No. 313 of 16 June 2015 on the DI measure: services follow the person's individual
support plan (IAP)).

One function per rule; each returns the findings that reject a record (empty when it passes),
with a Latvian message for the municipality and an English one. ``validate_record`` runs them
all, so the error report lists every problem of a record at once.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from .calendar import add_months, format_lv, parse_date
from .service_types import ADULT_SERVICE_TYPES, service_type_name

UNITS = ("HOURS", "DAYS", "SESSIONS")
_UNIT_NAMES = {"HOURS": ("st.", "h"), "DAYS": ("dienas", "days"), "SESSIONS": ("nodarb.", "sessions")}


def volume_text(volume: Decimal) -> str:
    """A volume as Latvians write it: 12,5 or 20, never 20.00."""
    return f"{Decimal(volume).normalize():f}".replace(".", ",")


def unit_name(code: str, lang: str = "lv") -> str:
    """How a volume's unit is written after the number (20 st., 10 dienas)."""
    names = _UNIT_NAMES.get(code)
    return code if names is None else names[1] if lang == "en" else names[0]

# Ceilings on hours a week when the IAP gives no hours for the service: a full working week for
# services given by staff in working hours, a few hours for consultations and groups, and the
# whole week (24 × 7) for residential services where the person lives.
HOURS_PER_WEEK_CEILING: dict[str, Decimal] = {
    "HOME_CARE": Decimal(40),
    "DAY_CENTRE": Decimal(40),
    "WORKSHOP": Decimal(40),
    "GROUP_APARTMENT": Decimal(168),
    "SHORT_TERM_CARE": Decimal(168),
    "SPECIALIST_SUPPORT": Decimal(10),
    "SUPPORT_GROUP": Decimal(10),
}
# Sessions: no one takes part in more than two sessions of one service a day.
MAX_SESSIONS_PER_DAY = 2


@dataclass(frozen=True)
class ServiceRecordData:
    """One submitted record, as the rules see it."""

    personal_code: str
    service_type: str
    provider_code: str
    period_from: date
    period_to: date
    volume: Decimal
    unit: str
    cost_cents: int


@dataclass(frozen=True)
class PlanPeriod:
    """What the rules need from the IAP version current on the record's dates."""

    valid_from: date
    valid_to: date | None
    services: Sequence[Mapping[str, Any]]

    def service(self, service_type: str) -> Mapping[str, Any] | None:
        return next((s for s in self.services if s.get("service_type") == service_type), None)


@dataclass(frozen=True)
class Provider:
    code: str
    name: str
    municipality_code: str
    services: frozenset[str]


@dataclass(frozen=True)
class Booked:
    """An accepted record of the same person, for the duplicate rule."""

    service_type: str
    provider_code: str
    period_from: date
    period_to: date


@dataclass(frozen=True)
class Finding:
    rule: str
    message_lv: str
    message_en: str


def _period(record: ServiceRecordData) -> str:
    return f"{format_lv(record.period_from)}–{format_lv(record.period_to)}"


def days_in(record: ServiceRecordData) -> int:
    return (record.period_to - record.period_from).days + 1


def check_record_shape(record: ServiceRecordData) -> list[Finding]:
    """Service type, unit, dates and figures that make sense on their own."""
    found = []
    if record.service_type not in ADULT_SERVICE_TYPES:
        found.append(Finding("service_type", f"Nezināms pakalpojuma veids «{record.service_type}».",
                             f"Unknown service type '{record.service_type}'."))
    if record.unit not in UNITS:
        found.append(Finding("unit", f"Nezināma mērvienība «{record.unit}» (HOURS, DAYS vai SESSIONS).",
                             f"Unknown unit '{record.unit}' (HOURS, DAYS or SESSIONS)."))
    if record.period_to < record.period_from:
        found.append(Finding("period", "Perioda beigas ir pirms tā sākuma.",
                             "The period ends before it begins."))
    if record.volume <= 0:
        found.append(Finding("volume", "Apjomam jābūt lielākam par 0.", "The volume must be more than 0."))
    if record.cost_cents < 0:
        found.append(Finding("cost", "Izmaksas nevar būt negatīvas.", "The cost cannot be negative."))
    return found


def check_known_person(person_known: bool) -> list[Finding]:
    if not person_known:
        return [Finding("known_person", "Persona ar šo personas kodu sistēmā nav zināma.",
                        "No person with this personal code is known to the system.")]
    return []


def check_current_plan(record: ServiceRecordData, plan: PlanPeriod | None) -> list[Finding]:
    if plan is None:
        return [Finding("current_plan",
                        f"Personai nav spēkā esoša individuālā atbalsta plāna {format_lv(record.period_from)}.",
                        f"The person has no individual support plan in force on "
                        f"{format_lv(record.period_from)}.")]
    if plan.service(record.service_type) is None:
        name_lv, name_en = (service_type_name(record.service_type),
                            service_type_name(record.service_type, "en"))
        return [Finding("plan_includes_service",
                        f"Individuālajā atbalsta plānā nav pakalpojuma «{name_lv}».",
                        f"The individual support plan does not include '{name_en}'.")]
    return []


def check_dates_inside_plan(record: ServiceRecordData, plan: PlanPeriod | None) -> list[Finding]:
    if plan is None:
        return []
    ends = plan.valid_to or date.max
    if record.period_from < plan.valid_from or record.period_to > ends:
        plan_period = f"{format_lv(plan.valid_from)}–{format_lv(plan.valid_to)}"
        return [Finding("dates_inside_plan",
                        f"Periods {_period(record)} nav individuālā atbalsta plāna periodā {plan_period}.",
                        f"The period {_period(record)} is not inside the support plan's period "
                        f"{plan_period}.")]
    return []


def check_provider_registered(record: ServiceRecordData, provider: Provider | None) -> list[Finding]:
    if provider is None:
        return [Finding("provider_registered",
                        f"Pakalpojuma sniedzējs «{record.provider_code}» nav reģistrēts.",
                        f"The service provider '{record.provider_code}' is not registered.")]
    if record.service_type not in provider.services:
        return [Finding("provider_registered",
                        f"Pakalpojuma sniedzējs «{provider.code}» nav reģistrēts pakalpojumam "
                        f"«{service_type_name(record.service_type)}».",
                        f"The service provider '{provider.code}' is not registered for "
                        f"'{service_type_name(record.service_type, 'en')}'.")]
    return []


def check_no_overlapping_duplicate(record: ServiceRecordData, booked: Iterable[Booked]) -> list[Finding]:
    """The same person, service type and provider in an overlapping period is counted once."""
    for other in booked:
        if (other.service_type == record.service_type and other.provider_code == record.provider_code
                and other.period_from <= record.period_to and record.period_from <= other.period_to):
            return [Finding("overlapping_duplicate",
                            "Šis pakalpojums personai pie šī sniedzēja jau ir uzskaitīts periodā "
                            f"{format_lv(other.period_from)}–{format_lv(other.period_to)}.",
                            "This service by this provider is already recorded for the person in "
                            f"{format_lv(other.period_from)}–{format_lv(other.period_to)}.")]
    return []


def hours_per_week(record: ServiceRecordData) -> Decimal:
    return record.volume * 7 / Decimal(days_in(record))


def check_volume_plausible(record: ServiceRecordData, plan: PlanPeriod | None) -> list[Finding]:
    """Hours: per week not above the IAP's hours for the service, or the type's ceiling when the
    IAP gives none. Days: not more than the days of the period. Sessions: two a day at most."""
    if record.period_to < record.period_from or record.volume <= 0:
        return []  # check_record_shape says so already
    days = days_in(record)
    if record.unit == "HOURS":
        planned = plan.service(record.service_type) if plan else None
        allowed: Decimal | None = None
        source_lv = source_en = ""
        if planned and planned.get("hours_per_week") not in (None, ""):
            allowed = Decimal(str(planned["hours_per_week"]))
            source_lv, source_en = "individuālajā atbalsta plānā", "in the support plan"
        elif record.service_type in HOURS_PER_WEEK_CEILING:
            allowed = HOURS_PER_WEEK_CEILING[record.service_type]
            source_lv, source_en = "šim pakalpojumam", "for this service"
        weekly = hours_per_week(record).quantize(Decimal("0.1"))
        if allowed is not None and hours_per_week(record) > allowed:
            return [Finding("volume_plausible",
                            f"{weekly} stundas nedēļā ir vairāk nekā {allowed} {source_lv}.",
                            f"{weekly} hours a week is more than the {allowed} allowed {source_en}.")]
    elif record.unit == "DAYS" and record.volume > days:
        return [Finding("volume_plausible",
                        f"{record.volume} dienas ir vairāk nekā periodā ({days}).",
                        f"{record.volume} days is more than the period has ({days}).")]
    elif record.unit == "SESSIONS" and record.volume > days * MAX_SESSIONS_PER_DAY:
        return [Finding("volume_plausible",
                        f"{record.volume} nodarbības ir vairāk nekā {MAX_SESSIONS_PER_DAY} dienā "
                        f"periodā ({days} dienas).",
                        f"{record.volume} sessions is more than {MAX_SESSIONS_PER_DAY} a day "
                        f"in the period ({days} days).")]
    return []


def validate_record(record: ServiceRecordData, *, person_known: bool, plan: PlanPeriod | None,
                    provider: Provider | None, booked: Iterable[Booked]) -> list[Finding]:
    shape = check_record_shape(record)
    if not person_known:
        return shape + check_known_person(False)
    return (shape + check_current_plan(record, plan) + check_dates_inside_plan(record, plan)
            + check_provider_registered(record, provider)
            + check_no_overlapping_duplicate(record, booked)
            + check_volume_plausible(record, plan))


def submission_due(period_from: date) -> date:
    """A month's records are due by the 15th of the next month."""
    return add_months(period_from.replace(day=15), 1)


def _submission_due(period_from: str) -> str:
    return submission_due(parse_date(period_from)).isoformat()


SCRIPT_HELPERS: dict[str, Callable[..., Any]] = {
    "service_records_due": _submission_due,
}
