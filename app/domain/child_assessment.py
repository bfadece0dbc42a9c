"""P2: needs assessment of a child in a care institution or of a child with functional impairments
(FT) living with the family (DOMAIN, P2; Cabinet Regulation No. 313 (2015) on the DI measure).

The two child groups, the services each group may be found to need, and the assessment deadline
live here; the BPMN model, the forms, the statistics and the data selection page use them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from .calendar import parse_date

INSTITUTION = "INSTITUTION"  # a child in a care institution
FAMILY = "FAMILY"  # a child with functional impairments living with the family
CHILD_GROUPS: dict[str, tuple[str, str]] = {
    INSTITUTION: ("Bērns aprūpes iestādē", "Child in a care institution"),
    FAMILY: ("Bērns ar FT ģimenē", "Child with functional impairments in a family"),
}

# A child with FT living with the family: the P4 services (DOMAIN, P4).
FAMILY_SERVICES: dict[str, tuple[str, str]] = {
    "CARE_SERVICE": ("Aprūpes pakalpojums", "Care service"),
    "RESPITE": ("Atelpas brīdis likumiskajiem pārstāvjiem", "Respite for the legal representatives"),
    "REHAB_PSYCHOLOGIST": ("Psihologs", "Psychologist"),
    "REHAB_SPEECH_THERAPIST": ("Logopēds", "Speech therapist"),
    "REHAB_REHABILITOLOGIST": ("Rehabilitologs", "Rehabilitologist"),
    "REHAB_PHYSIOTHERAPY": ("Fizioterapija", "Physiotherapy"),
    "REHAB_HIPPOTHERAPY": ("Hipoterapija", "Hippotherapy"),
    "REHAB_HYDROTHERAPY": ("Hidroterapija", "Hydrotherapy"),
    "REHAB_EDUCATIONAL_GROUP": ("Izglītojošas atbalsta grupas", "Educational support groups"),
    "REPR_SOCIAL_REHABILITATION": ("Sociālā rehabilitācija likumiskajiem pārstāvjiem",
                                   "Social rehabilitation for the legal representatives"),
}

# A child in a care institution: the family-based and community alternatives of the DI measure.
INSTITUTION_SERVICES: dict[str, tuple[str, str]] = {
    "FAMILY_RETURN": ("Atgriešanās bioloģiskajā ģimenē ar atbalstu",
                      "Return to the biological family with support"),
    "FOSTER_FAMILY": ("Audžuģimene", "Foster family"),
    "GUARDIANSHIP": ("Aizbildnība", "Guardianship"),
    "ADOPTION": ("Adopcija", "Adoption"),
    "FAMILY_LIKE_CARE": ("Ģimeniskai videi pietuvināts pakalpojums",
                         "Family-like care (small group home)"),
    "DAY_CARE_CENTRE": ("Dienas aprūpes centrs", "Day-care centre"),
    "SOCIAL_REHABILITATION": ("Sociālā rehabilitācija", "Social rehabilitation"),
    "SPECIALIST_SUPPORT": ("Speciālistu konsultācijas un individuāls atbalsts",
                           "Specialist consultations and individual support"),
    "SUPPORT_PERSON": ("Atbalsta persona jaunietim", "Support person for a young person"),
}

SERVICES_BY_GROUP = {FAMILY: FAMILY_SERVICES, INSTITUTION: INSTITUTION_SERVICES}

# Days from the referral to the interview. No regulation fixes it; the ministry's DI guidance asks
# for the assessment "without delay", and 30 days is the programme's working rule.
INTERVIEW_DAYS = 30
REMINDER_DAYS_BEFORE = 5


def child_group_name(code: str, lang: str = "lv") -> str:
    names = CHILD_GROUPS.get(code)
    if names is None:
        return code
    return names[1] if lang == "en" else names[0]


def service_name(code: str, lang: str = "lv") -> str:
    names = FAMILY_SERVICES.get(code) or INSTITUTION_SERVICES.get(code)
    if names is None:
        return code
    return names[1] if lang == "en" else names[0]


def all_service_codes() -> list[str]:
    return [*FAMILY_SERVICES, *(c for c in INSTITUTION_SERVICES if c not in FAMILY_SERVICES)]


def services_outside_group(child_group: str, services: Iterable[str]) -> list[str]:
    """The services chosen that are not for this child group (an empty list when all fit)."""
    allowed = SERVICES_BY_GROUP.get(child_group)
    if allowed is None:
        raise ValueError(f"unknown child group {child_group!r}")
    return [code for code in services if code not in allowed]


def interview_due(referral_date: date | str) -> date:
    """The interview is due ``INTERVIEW_DAYS`` days after the referral."""
    return parse_date(referral_date) + timedelta(days=INTERVIEW_DAYS)


def interview_reminder(referral_date: date | str) -> date:
    """The reminder goes ``REMINDER_DAYS_BEFORE`` days before the interview is due."""
    return interview_due(referral_date) - timedelta(days=REMINDER_DAYS_BEFORE)


def _interview_due(referral_date: str) -> str:
    return interview_due(referral_date).isoformat()


def _interview_reminder(referral_date: str) -> str:
    return interview_reminder(referral_date).isoformat()


def _services_outside_group(child_group: str, services: list[str]) -> list[str]:
    return services_outside_group(child_group, services or [])


def _child_service_names(services: list[str]) -> list[str]:
    return [service_name(code) for code in services or []]


def _child_group_name(code: str) -> str:
    return child_group_name(code)


SCRIPT_HELPERS: dict[str, Callable[..., Any]] = {
    "child_interview_due": _interview_due,
    "child_interview_reminder": _interview_reminder,
    "child_services_outside_group": _services_outside_group,
    "child_service_names": _child_service_names,
    "child_group_name": _child_group_name,
}
