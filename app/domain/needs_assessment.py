"""Rules of P1, the needs assessment of an adult with mental disorders and the individual
support plan (IAP) that comes out of it.

The DI measure (Cabinet regulation No. 313 of 2015) funds the assessment and the IAP; it sets no
day counts for them, so the deadlines below are the programme's working practice, named here so
that the one place to change them is obvious.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .calendar import add_months, parse_date
from .findings import Finding
from .service_types import ADULT_SERVICE_TYPES, service_type_name

# The interview is held within 30 days of the application: the DI programme's planning assumed an
# interviewer visits each applicant within a month, so the person's move is not held up.
INTERVIEW_WITHIN_DAYS = 30
# The supervisor decides on a drafted IAP within 10 days, so the plan reaches the municipality
# while the interview is fresh.
APPROVAL_WITHIN_DAYS = 10
# A reminder goes to the assignee this many days before either deadline.
REMINDER_DAYS_BEFORE = 5
# An IAP is made for a year unless the expert sets a shorter period; the municipality reviews it
# at least once a year, so a longer plan than that is refused.
PLAN_VALIDITY_MONTHS = 12
MAX_PLAN_VALIDITY_MONTHS = 12
# The most hours of any one service in a week that a plan may list: a full working week plus
# overtime (60 h) is the ceiling for day services and home care in the programme's cost model;
# more means a typing error (e.g. hours a month entered as hours a week).
MAX_SERVICE_HOURS_PER_WEEK = 60
# The needs levels of the AIS methodology: 0 (no support needed) … 4 (full support).
NEEDS_LEVELS = range(5)


def interview_due(application_date: date | str) -> date:
    """The last day for the interview: ``INTERVIEW_WITHIN_DAYS`` after the application."""
    return parse_date(application_date) + timedelta(days=INTERVIEW_WITHIN_DAYS)


def approval_due(submitted_on: date | str) -> date:
    return parse_date(submitted_on) + timedelta(days=APPROVAL_WITHIN_DAYS)


def reminder_day(due: date | str) -> date:
    return parse_date(due) - timedelta(days=REMINDER_DAYS_BEFORE)


def default_plan_end(valid_from: date | str) -> date:
    """The last day of a plan made for ``PLAN_VALIDITY_MONTHS`` from ``valid_from``."""
    return add_months(parse_date(valid_from), PLAN_VALIDITY_MONTHS) - timedelta(days=1)


def needs_levels_by_domain(needs: dict[str, Any] | None) -> dict[str, int]:
    """The needs level (0–4) of each answered domain of the interview, by domain key."""
    levels: dict[str, int] = {}
    for key, answer in (needs or {}).items():
        if isinstance(answer, dict) and answer.get("level") is not None:
            level = int(answer["level"])
            if level not in NEEDS_LEVELS:
                raise ValueError(f"needs level {level} of {key} is outside 0–4")
            levels[key] = level
    return levels


def needs_summary(levels: dict[str, int]) -> dict[str, Any]:
    """How many domains are at each level, the highest level, and the domains at level 3 or 4
    (substantial or full support), which the IAP is expected to address."""
    counts = {str(level): 0 for level in NEEDS_LEVELS}
    for level in levels.values():
        counts[str(level)] += 1
    return {"counts": counts, "highest": max(levels.values(), default=0),
            "high_need_domains": sorted(k for k, v in levels.items() if v >= 3)}


def plan_findings(plan: Mapping[str, Any]) -> list[Finding]:
    """What is wrong with an IAP, in words a caseworker can act on; empty when it may be sent.

    The services must be the seven adult service types (DOMAIN, P3), each once, each with hours a
    week (more than 0, at most ``MAX_SERVICE_HOURS_PER_WEEK``) or a frequency; at least one goal;
    valid_to after valid_from and at most ``MAX_PLAN_VALIDITY_MONTHS`` later. Field paths are the
    IAP form's.
    """
    found: list[Finding] = []
    goals = [str(g).strip() for g in plan.get("goals") or [] if str(g).strip()]
    if not goals:
        found.append(Finding("goals", "Plānā nav neviena mērķa.", "the plan has no goal"))
    services = plan.get("services") or []
    if not services:
        found.append(Finding("services", "Plānā nav neviena pakalpojuma.",
                             "the plan lists no service"))
    seen: set[str] = set()
    for index, service in enumerate(services):
        number, at = index + 1, f"services.{index}"
        code = str(service.get("service_type") or "")
        if code not in ADULT_SERVICE_TYPES:
            found.append(Finding(f"{at}.service_type",
                                 f"{number}. pakalpojums nav neviens no septiņiem pakalpojumu veidiem.",
                                 f"service {number}: '{code}' is not one of the seven service types"))
            continue
        if code in seen:
            found.append(Finding(f"{at}.service_type",
                                 f"{number}. pakalpojums «{service_type_name(code)}» plānā jau ir.",
                                 f"service {number}: {code} is listed twice"))
        seen.add(code)
        hours = service.get("hours_per_week")
        frequency = str(service.get("frequency") or "").strip()
        if hours is None and not frequency:
            found.append(Finding(f"{at}.hours_per_week",
                                 f"{number}. pakalpojumam norādiet stundas nedēļā vai biežumu.",
                                 f"service {number}: give hours a week or a frequency"))
        if hours is not None:
            try:
                value = Decimal(str(hours))
            except InvalidOperation:
                found.append(Finding(f"{at}.hours_per_week",
                                     f"{number}. pakalpojuma stundām nedēļā jābūt skaitlim.",
                                     f"service {number}: hours a week must be a number"))
                continue
            if not 0 < value <= MAX_SERVICE_HOURS_PER_WEEK:
                found.append(Finding(
                    f"{at}.hours_per_week",
                    f"{number}. pakalpojumam stundām nedēļā jābūt no 0 līdz "
                    f"{MAX_SERVICE_HOURS_PER_WEEK} (norādīts {hours}).",
                    f"service {number}: {hours} hours a week is outside "
                    f"0–{MAX_SERVICE_HOURS_PER_WEEK}"))
    try:
        start = parse_date(plan["valid_from"])
    except (KeyError, TypeError, ValueError):
        found.append(Finding("valid_from", "Norādiet plāna sākuma datumu.",
                             "the plan has no valid start date"))
        return found
    if plan.get("valid_to"):
        try:
            end = parse_date(plan["valid_to"])
        except (TypeError, ValueError):
            found.append(Finding("valid_to", "Plāna beigu datums nav datums.",
                                 "the plan's end date is not a date"))
            return found
        if end < start:
            found.append(Finding("valid_to", "Plāns beidzas pirms tas sākas.",
                                 "the plan ends before it starts"))
        elif end >= add_months(start, MAX_PLAN_VALIDITY_MONTHS):
            found.append(Finding(
                "valid_to",
                f"Plānu var sastādīt ne ilgākam laikam kā {MAX_PLAN_VALIDITY_MONTHS} mēneši.",
                f"the plan may be made for at most {MAX_PLAN_VALIDITY_MONTHS} months"))
    return found


def plan_problems(plan: Mapping[str, Any]) -> list[str]:
    """The same findings as sentences, for the process data and for SOPA's deliveries."""
    return [finding.message_en for finding in plan_findings(plan)]


def iap_form_findings(data: Mapping[str, Any]) -> list[Finding]:
    """The IAP form's rule: its goals are rows of ``{goal}``, as the process reads them."""
    goals = [row.get("goal", "") for row in data.get("goals") or [] if isinstance(row, Mapping)]
    return plan_findings({**data, "goals": goals})


def _interview_due(application_date: str) -> str:
    return interview_due(application_date).isoformat()


def _approval_due(submitted_on: str) -> str:
    return approval_due(submitted_on).isoformat()


def _reminder_day(due: str) -> str:
    return reminder_day(due).isoformat()


def _plan_end(valid_from: str) -> str:
    return default_plan_end(valid_from).isoformat()


def iap_document_data(case_reference: str, person_name: str, stored_plan: dict[str, Any],
                      needs_levels: dict[str, int] | None) -> dict[str, Any]:
    """The data of the IAP PDF: the stored version with the service and life-domain names
    spelled out in Latvian (documents are official papers in Latvian)."""
    from app.assessment.questionnaire import domain_titles, level_titles

    content = stored_plan.get("content") or {}
    domains, levels = domain_titles("lv"), level_titles("lv")
    return {
        "case_reference": case_reference, "person_name": person_name,
        "version": stored_plan.get("version"), "source": stored_plan.get("source"),
        "valid_from": stored_plan.get("valid_from"), "valid_to": stored_plan.get("valid_to"),
        "responsible_municipality": content.get("responsible_municipality") or "",
        "goals": list(content.get("goals") or []),
        "services": [{"name": service_type_name(str(s.get("service_type")), "lv"),
                      "hours_per_week": s.get("hours_per_week"),
                      "frequency": s.get("frequency") or ""}
                     for s in content.get("services") or []],
        "notes": content.get("notes") or "",
        "needs": [{"domain": title, "level": (needs_levels or {}).get(key),
                   "level_name": levels.get((needs_levels or {}).get(key, -1), "")}
                  for key, title in domains.items() if key in (needs_levels or {})],
    }


SCRIPT_HELPERS: dict[str, Callable[..., Any]] = {
    "p01_iap_document": iap_document_data,
    "p01_interview_due": _interview_due,
    "p01_approval_due": _approval_due,
    "p01_reminder_day": _reminder_day,
    "p01_plan_end": _plan_end,
    "p01_needs_levels": needs_levels_by_domain,
    "p01_needs_summary": needs_summary,
    "p01_plan_problems": plan_problems,
}

FORM_RULES = {"p01_iap": iap_form_findings}
