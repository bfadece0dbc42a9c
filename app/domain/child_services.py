"""P4: community-based services for children with functional impairments (FT), and the limits the
programme sets on them (DOMAIN, P4; Cabinet Regulation No. 313 of 16 June 2015 on the DI measure).

- care service: at most ``CARE_MAX_HOURS_PER_WEEK`` hours a week, only for a child up to and
  including 4 years old (before the 5th birthday) on the service start date, with a VDEĀVK opinion
  on the need for special care that is valid on that date;
- respite ("atelpas brīdis") for the legal representatives;
- social rehabilitation for the child (``CHILD_REHABILITATION``);
- for the legal representatives at most ``REPRESENTATIVE_MAX_CHOICES`` of
  ``REPRESENTATIVE_REHABILITATION``.

Each rule is one function returning the findings that refuse an application (empty when it
passes); the BPMN scripts call them through ``SCRIPT_HELPERS`` and the form's limits are tested
to equal the constants here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .calendar import add_months, format_lv, parse_date

# Regulation No. 313: the care service is granted for at most 50 hours a week.
CARE_MAX_HOURS_PER_WEEK = Decimal(50)
# "Up to and including 4 years old": the service may start at the latest the day before the 5th birthday.
CARE_AGE_LIMIT_YEARS = 5

CHILD_REHABILITATION: dict[str, tuple[str, str]] = {
    "PSYCHOLOGIST": ("Psihologs", "Psychologist"),
    "SPEECH_THERAPIST": ("Logopēds", "Speech therapist"),
    "REHABILITOLOGIST": ("Rehabilitologs", "Rehabilitologist"),
    "PHYSIOTHERAPY": ("Fizioterapija", "Physiotherapy"),
    "HIPPOTHERAPY": ("Hipoterapija", "Hippotherapy"),
    "HYDROTHERAPY": ("Hidroterapija", "Hydrotherapy"),
    "EDUCATIONAL_SUPPORT_GROUPS": ("Izglītojošas atbalsta grupas", "Educational support groups"),
}
REPRESENTATIVE_REHABILITATION: dict[str, tuple[str, str]] = {
    code: CHILD_REHABILITATION[code]
    for code in ("PSYCHOLOGIST", "REHABILITOLOGIST", "PHYSIOTHERAPY", "EDUCATIONAL_SUPPORT_GROUPS")
}
# The legal representatives choose at most two of their four services.
REPRESENTATIVE_MAX_CHOICES = 2


@dataclass(frozen=True)
class Refusal:
    """Why a rule refuses an application, in the caseworker's language and in English."""

    rule: str
    message_lv: str
    message_en: str


def care_age_limit_date(birth_date: date) -> date:
    """The 5th birthday: the first day on which the care service may no longer start
    (a child born on 29 February turns five on 28 February)."""
    return add_months(birth_date, 12 * CARE_AGE_LIMIT_YEARS)


def check_care_hours(hours_per_week: Decimal) -> list[Refusal]:
    if hours_per_week <= 0:
        return [Refusal("care_hours", "Aprūpes pakalpojuma stundu skaitam nedēļā jābūt lielākam par 0.",
                        "The care service's hours a week must be more than 0.")]
    if hours_per_week > CARE_MAX_HOURS_PER_WEEK:
        return [Refusal(
            "care_hours",
            f"Aprūpes pakalpojums ir ne vairāk kā {CARE_MAX_HOURS_PER_WEEK} stundas nedēļā; "
            f"pieprasītas {hours_per_week}.",
            f"The care service is at most {CARE_MAX_HOURS_PER_WEEK} hours a week; "
            f"{hours_per_week} were requested.")]
    return []


def check_care_age(birth_date: date, service_start: date) -> list[Refusal]:
    limit = care_age_limit_date(birth_date)
    if service_start >= limit:
        return [Refusal(
            "care_age",
            "Aprūpes pakalpojumu piešķir bērnam līdz 4 gadu vecumam (ieskaitot); bērnam "
            f"{format_lv(limit)} aprit 5 gadi, pakalpojums sāktos {format_lv(service_start)}.",
            "The care service is for a child up to and including 4 years old; the child turns 5 "
            f"on {format_lv(limit)} and the service would start on {format_lv(service_start)}.")]
    return []


def check_special_care_opinion(status: Mapping[str, Any] | None, service_start: date) -> list[Refusal]:
    """The VDEĀVK opinion on the need for special care must exist and be valid on the start date."""
    if not status or not status.get("found") or not status.get("special_care_opinion"):
        return [Refusal(
            "special_care_opinion",
            "VDEĀVK nav izsniegusi atzinumu par īpašas kopšanas nepieciešamību smagu funkcionālo "
            "traucējumu dēļ.",
            "VDEĀVK has issued no opinion on the need for special care due to severe functional "
            "impairments.")]
    valid_from = parse_date(status["valid_from"]) if status.get("valid_from") else None
    valid_to = parse_date(status["valid_to"]) if status.get("valid_to") else None
    if (valid_from and service_start < valid_from) or (valid_to and service_start > valid_to):
        period = f"{format_lv(valid_from)}–{format_lv(valid_to)}"
        return [Refusal(
            "special_care_opinion",
            f"VDEĀVK atzinums ({period}) nav spēkā pakalpojuma sākuma dienā "
            f"{format_lv(service_start)}.",
            f"The VDEĀVK opinion ({period}) is not valid on the service start date "
            f"{format_lv(service_start)}.")]
    return []


def check_child_rehabilitation(chosen: Iterable[str]) -> list[Refusal]:
    unknown = sorted(set(chosen) - set(CHILD_REHABILITATION))
    if unknown:
        return [Refusal("child_rehabilitation",
                        f"Bērna sociālās rehabilitācijas sarakstā nav: {', '.join(unknown)}.",
                        f"Not on the child's social rehabilitation list: {', '.join(unknown)}.")]
    return []


def check_representative_choice(chosen: Iterable[str]) -> list[Refusal]:
    chosen = list(chosen)
    unknown = sorted(set(chosen) - set(REPRESENTATIVE_REHABILITATION))
    if unknown:
        return [Refusal("representative_rehabilitation",
                        "Likumiskie pārstāvji var izvēlēties tikai psihologu, rehabilitologu, "
                        f"fizioterapiju vai izglītojošas atbalsta grupas; nav atļauts: {', '.join(unknown)}.",
                        "The legal representatives may choose only psychologist, rehabilitologist, "
                        f"physiotherapy or educational support groups; not allowed: {', '.join(unknown)}.")]
    if len(set(chosen)) > REPRESENTATIVE_MAX_CHOICES:
        return [Refusal("representative_rehabilitation",
                        f"Likumiskie pārstāvji var izvēlēties ne vairāk kā {REPRESENTATIVE_MAX_CHOICES} "
                        f"pakalpojumus; izvēlēti {len(set(chosen))}.",
                        f"The legal representatives may choose at most {REPRESENTATIVE_MAX_CHOICES} "
                        f"services; {len(set(chosen))} were chosen.")]
    return []


def application_refusals(application: Mapping[str, Any], birth_date: date) -> list[Refusal]:
    """Every rule the application itself breaks (the VDEĀVK opinion is checked separately, on the
    start date, through the adapter)."""
    found: list[Refusal] = []
    if application.get("care_service"):
        try:
            hours = Decimal(str(application.get("care_hours_per_week")))
        except InvalidOperation:
            hours = Decimal(0)
        found += check_care_hours(hours)
        found += check_care_age(birth_date, parse_date(application["service_start_date"]))
    found += check_child_rehabilitation(application.get("child_rehabilitation") or [])
    found += check_representative_choice(application.get("representative_rehabilitation") or [])
    return found


def _application_refusals(application: dict[str, Any], birth_date: str) -> list[dict[str, str]]:
    return [asdict(r) for r in application_refusals(application, parse_date(birth_date))]


def _opinion_refusals(status: dict[str, Any] | None, service_start: str) -> list[dict[str, str]]:
    return [asdict(r) for r in check_special_care_opinion(status, parse_date(service_start))]


SCRIPT_HELPERS: dict[str, Callable[..., Any]] = {
    "child_service_refusals": _application_refusals,
    "care_opinion_refusals": _opinion_refusals,
}
