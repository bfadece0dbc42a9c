"""P10: orphan-court decisions on separating a child from the family, and on returning the child.

Law on the Protection of the Rights of the Child, art. 26–27: when the child's rights are
violated, the orphan court decides to separate the child from the family; the social service,
the care institution, the police and the State Inspectorate for the Protection of Children's
Rights act on that decision at once. The social service surveys the biological family, so that
the court can later decide whether the child may return.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from .calendar import format_lv, parse_date, today_in_latvia
from .findings import Finding

SEPARATION = "SEPARATION"
RETURN = "RETURN"
DECISION_KINDS = (SEPARATION, RETURN)

# The law sets no term for the survey of the biological family; ten days is the programme's good
# practice, early enough for the court's review of the decision. Changing it changes new cases only.
SURVEY_DAYS = 10
SURVEY_REMINDER_DAYS = 3
# In an emergency the police take the child before the court sits (the court decides within a
# day), so a placement may be dated the day before the decision, but no earlier.
PLACEMENT_DAYS_BEFORE_DECISION = 1

# What the outbox's notices say (I1): no names or personal codes, since e-mail leaves the
# product; the case number and what to do.
_NOTICES = {
    "CHILD_SEPARATED": (
        "Bāriņtiesa nošķīrusi bērnu no ģimenes (lieta {case})",
        ("Bāriņtiesa {date} pieņēma lēmumu par bērna nošķiršanu no ģimenes (lieta {case}). "
         "Lūdzam nekavējoties rīkoties savas kompetences ietvaros. Lēmums, iesaistītās puses "
         "un bioloģiskās ģimenes apsekojums ir DI Case lietā {case}.")),
    "CHILD_RETURNED": (
        "Bāriņtiesa nolēma atgriezt bērnu ģimenē (lieta {case})",
        ("Bāriņtiesa {date} pieņēma lēmumu par bērna atgriešanu ģimenē (lieta {case}). "
         "Bērna ievietošana ārpusģimenes aprūpē ir izbeigta; informācija ir DI Case lietā "
         "{case}.")),
    "SURVEY_OVERDUE": (
        "Nokavēts bioloģiskās ģimenes apsekojums (lieta {case})",
        ("Sociālais dienests nav iesniedzis bioloģiskās ģimenes apsekojumu, kura termiņš bija "
         "{date} (lieta {case}). Lieta ir nodota sociālā dienesta vadītājam.")),
}


def survey_due(decision_date: str | date) -> date:
    """The last day for the social worker's survey of the biological family."""
    return parse_date(decision_date) + timedelta(days=SURVEY_DAYS)


def survey_reminder_day(due: str | date) -> date:
    return parse_date(due) - timedelta(days=SURVEY_REMINDER_DAYS)


def placement_problem(decision_date: str | date, placement_date: str | date,
                      today: date) -> tuple[str, str] | None:
    """Why a placement date cannot be right (Latvian, English), or None."""
    decided, placed = parse_date(decision_date), parse_date(placement_date)
    if placed < decided - timedelta(days=PLACEMENT_DAYS_BEFORE_DECISION):
        return ("Ievietošanas datums nevar būt agrāks par dienu pirms bāriņtiesas lēmuma.",
                ("The placement cannot be dated earlier than the day before the orphan court's "
                 "decision."))
    if placed > today:
        return ("Ievietošanas datums nevar būt nākotnē.", "The placement cannot be in the future.")
    return None


def return_problem(separated_on: str | date, return_date: str | date) -> tuple[str, str] | None:
    """Why a return decision cannot follow this separation (Latvian, English), or None."""
    if parse_date(return_date) < parse_date(separated_on):
        return ("Lēmums par atgriešanu ģimenē nevar būt agrāks par lēmumu par nošķiršanu.",
                ("The decision to return the child cannot be earlier than the decision to "
                 "separate."))
    return None


def case_number(decision_date: str | date, sequence: int) -> str:
    """The child-protection case's business key: year of the decision and a running number."""
    return f"P10-{parse_date(decision_date).year}-{sequence:05d}"


def notice(topic: str, case: str, day: str | date) -> dict[str, str]:
    """The subject and text of the outbox notice ``topic`` about case ``case``."""
    subject, text = _NOTICES[topic]
    values = {"case": case, "date": format_lv(parse_date(day))}
    return {"subject": subject.format(**values), "text": text.format(**values)}


def _placement_rule(data: Mapping[str, Any]) -> list[Finding]:
    # The form does not carry the decision's date; the operation checks the placement against it.
    placed = data.get("placement_date")
    if placed and parse_date(str(placed)) > today_in_latvia():
        return [Finding("placement_date", "Ievietošanas datums nevar būt nākotnē.",
                        "The placement cannot be in the future.")]
    return []


FORM_RULES = {"p10_placement_date": _placement_rule}


def _survey_due(decision_date: str) -> str:
    return survey_due(decision_date).isoformat()


def _survey_reminder_day(due: str) -> str:
    return survey_reminder_day(due).isoformat()


def _notice(topic: str, case: str, day: str) -> dict[str, str]:
    return notice(topic, case, day)


SCRIPT_HELPERS = {
    "child_protection_notice": _notice,
    "child_survey_due": _survey_due,
    "child_survey_reminder_day": _survey_reminder_day,
}
