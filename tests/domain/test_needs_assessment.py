"""The P1 rules at their boundaries, and the interview form made from the questionnaire."""
from __future__ import annotations

import json
from datetime import date

import pytest

from app.assessment.plans import diff_plans
from app.assessment.questionnaire import (
    INTERVIEW_FORM,
    QuestionnaireError,
    check_questionnaire,
    interview_schema,
    load_questionnaire,
)
from app.domain.needs_assessment import (
    INTERVIEW_WITHIN_DAYS,
    MAX_SERVICE_HOURS_PER_WEEK,
    approval_due,
    default_plan_end,
    interview_due,
    needs_levels_by_domain,
    needs_summary,
    plan_problems,
    reminder_day,
)
from app.domain.script_helpers import SCRIPT_HELPERS


def plan(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "goals": ["Dzīvot patstāvīgi"],
        "services": [{"service_type": "HOME_CARE", "hours_per_week": 10}],
        "valid_from": "2026-03-01", "valid_to": "2027-02-28"}
    base.update(changes)
    return base


def test_interview_is_due_thirty_days_after_the_application() -> None:
    assert INTERVIEW_WITHIN_DAYS == 30
    assert interview_due("2026-01-31") == date(2026, 3, 2)
    assert interview_due(date(2026, 12, 15)) == date(2027, 1, 14)


def test_approval_due_ten_days_and_reminders_five_days_before() -> None:
    assert approval_due("2026-02-25") == date(2026, 3, 7)
    assert reminder_day("2026-03-02") == date(2026, 2, 25)


def test_a_plan_runs_a_year_by_default() -> None:
    assert default_plan_end("2026-03-01") == date(2027, 2, 28)
    assert default_plan_end("2028-02-29") == date(2029, 2, 27)


def test_a_plan_of_exactly_twelve_months_passes_one_day_more_does_not() -> None:
    assert plan_problems(plan(valid_to="2027-02-28")) == []
    assert plan_problems(plan(valid_to="2027-03-01")) == [
        "the plan may be made for at most 12 months"]


def test_a_plan_may_not_end_before_it_starts_but_may_end_the_same_day() -> None:
    assert plan_problems(plan(valid_to="2026-03-01")) == []
    assert plan_problems(plan(valid_to="2026-02-28")) == ["the plan ends before it starts"]


def test_a_plan_without_an_end_is_open() -> None:
    assert plan_problems(plan(valid_to=None)) == []


def test_hours_a_week_above_zero_up_to_sixty() -> None:
    def with_hours(hours: object) -> list[str]:
        return plan_problems(plan(services=[{"service_type": "DAY_CENTRE",
                                             "hours_per_week": hours}]))

    assert MAX_SERVICE_HOURS_PER_WEEK == 60
    assert with_hours(60) == [] and with_hours(0.5) == []
    assert with_hours(60.5) == ["service 1: 60.5 hours a week is outside 0–60"]
    assert with_hours(0) == ["service 1: 0 hours a week is outside 0–60"]
    assert with_hours("many") == ["service 1: hours a week must be a number"]


def test_only_the_seven_service_types_each_once_with_hours_or_frequency() -> None:
    assert plan_problems(plan(services=[
        {"service_type": "MASSAGE", "hours_per_week": 2},
        {"service_type": "WORKSHOP"},
        {"service_type": "SUPPORT_GROUP", "frequency": "2 reizes mēnesī"},
        {"service_type": "SUPPORT_GROUP", "frequency": "katru nedēļu"}])) == [
        "service 1: 'MASSAGE' is not one of the seven service types",
        "service 2: give hours a week or a frequency",
        "service 4: SUPPORT_GROUP is listed twice"]


def test_a_plan_needs_a_goal_and_a_service() -> None:
    assert plan_problems(plan(goals=["  "], services=[])) == [
        "the plan has no goal", "the plan lists no service"]


def test_needs_levels_and_their_summary() -> None:
    levels = needs_levels_by_domain({"health": {"level": 3}, "safety": {"level": 0},
                                     "housing": {"notes": "vēl jārunā"}})
    assert levels == {"health": 3, "safety": 0}
    assert needs_summary(levels) == {"counts": {"0": 1, "1": 0, "2": 0, "3": 1, "4": 0},
                                     "highest": 3, "high_need_domains": ["health"]}
    with pytest.raises(ValueError):
        needs_levels_by_domain({"health": {"level": 5}})


def test_the_rules_are_offered_to_bpmn_scripts() -> None:
    assert SCRIPT_HELPERS["p01_interview_due"]("2026-01-31") == "2026-03-02"
    assert SCRIPT_HELPERS["p01_plan_problems"](plan()) == []


def test_the_interview_form_in_the_repository_is_the_one_the_questionnaire_gives() -> None:
    on_disk = json.loads(INTERVIEW_FORM.read_text(encoding="utf-8"))
    assert on_disk == interview_schema(load_questionnaire())


def test_the_questionnaire_has_the_ten_life_domains_and_levels_zero_to_four() -> None:
    questionnaire = load_questionnaire()
    assert [d["key"] for d in questionnaire["domains"]] == [
        "self_care", "household", "health", "mobility", "communication", "social_relations",
        "occupation", "finances", "housing", "safety"]
    assert all(d["questions"] for d in questionnaire["domains"])
    schema = interview_schema(questionnaire)
    assert schema["properties"]["needs"]["properties"]["health"]["properties"]["level"]["enum"] == [
        0, 1, 2, 3, 4]


def test_a_questionnaire_with_other_levels_or_a_repeated_domain_is_refused() -> None:
    questionnaire = load_questionnaire()
    with pytest.raises(QuestionnaireError):
        check_questionnaire(dict(questionnaire, levels=questionnaire["levels"][:4]))
    with pytest.raises(QuestionnaireError):
        check_questionnaire(dict(questionnaire, domains=questionnaire["domains"][:1] * 2))


def test_diff_names_goals_and_services_added_removed_changed() -> None:
    old = {"goals": ["A", "B"], "services": [{"service_type": "HOME_CARE", "hours_per_week": 10},
                                             {"service_type": "WORKSHOP", "hours_per_week": 5}],
           "responsible_municipality": "RIGA"}
    new = {"goals": ["B", "C"], "services": [{"service_type": "HOME_CARE", "hours_per_week": 8},
                                             {"service_type": "DAY_CENTRE", "hours_per_week": 20}],
           "responsible_municipality": "JELGAVA"}
    change = diff_plans(old, new)
    assert change["goals_added"] == ["C"] and change["goals_removed"] == ["A"]
    assert change["services_added"] == [{"service_type": "DAY_CENTRE", "hours_per_week": 20}]
    assert change["services_removed"] == [{"service_type": "WORKSHOP", "hours_per_week": 5}]
    assert change["services_changed"] == [{"service_type": "HOME_CARE",
                                           "fields": {"hours_per_week": (10, 8)}}]
    assert change["municipality_changed"] == ("RIGA", "JELGAVA")
    assert diff_plans(old, old)["services_changed"] == []
