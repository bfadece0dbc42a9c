"""P10's rules at their edges: the survey's deadline, the placement's dates, the return's date,
the case number, and notices without names or personal codes."""
from __future__ import annotations

from datetime import date

import pytest

from app.domain import child_protection as rules
from app.domain.findings import form_rules
from app.domain.script_helpers import SCRIPT_HELPERS

TODAY = date(2026, 3, 1)


def test_the_survey_is_due_ten_days_after_the_decision_with_a_reminder_three_days_before() -> None:
    assert rules.survey_due("2026-02-24") == date(2026, 3, 6)  # across the end of February
    assert rules.survey_due(date(2024, 2, 25)) == date(2024, 3, 6)  # a leap year
    assert rules.survey_reminder_day("2026-03-06") == date(2026, 3, 3)
    assert SCRIPT_HELPERS["child_survey_due"]("2026-12-28") == "2027-01-07"


@pytest.mark.parametrize(("placed", "refused"), [
    (date(2026, 2, 19), True),   # two days before the decision
    (date(2026, 2, 20), False),  # the day before: the police took the child first
    (date(2026, 2, 21), False),  # the day of the decision
    (TODAY, False),
    (date(2026, 3, 2), True),    # tomorrow
])
def test_a_placement_is_at_most_a_day_before_the_decision_and_never_in_the_future(
        placed: date, refused: bool) -> None:
    problem = rules.placement_problem(date(2026, 2, 21), placed, TODAY)
    assert (problem is not None) == refused


def test_a_return_is_not_before_the_separation() -> None:
    assert rules.return_problem("2026-02-21", "2026-02-20") is not None
    assert rules.return_problem("2026-02-21", "2026-02-21") is None


def test_case_numbers_carry_the_year_of_the_decision() -> None:
    assert rules.case_number("2026-12-31", 7) == "P10-2026-00007"


def test_notices_name_the_case_and_the_date_only() -> None:
    notice = rules.notice("CHILD_SEPARATED", "P10-2026-00007", "2026-02-21")
    assert "P10-2026-00007" in notice["subject"] and "21.02.2026" in notice["text"]
    for topic in ("CHILD_RETURNED", "SURVEY_OVERDUE"):
        assert "P10-2026-00007" in rules.notice(topic, "P10-2026-00007", "2026-02-21")["text"]


def test_the_placement_form_refuses_a_future_date() -> None:
    rule = form_rules()["p10_placement_date"]
    assert rule({"placement_date": "2999-01-01"})[0].field == "placement_date"
    assert rule({"placement_date": "2020-01-01"}) == []
