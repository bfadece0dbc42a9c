"""P4 limits at their boundaries, and the form's limits equal the rule constants."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.domain.child_services import (
    CARE_MAX_HOURS_PER_WEEK,
    CHILD_REHABILITATION,
    REPRESENTATIVE_MAX_CHOICES,
    REPRESENTATIVE_REHABILITATION,
    application_refusals,
    care_age_limit_date,
    check_care_age,
    check_care_hours,
    check_child_rehabilitation,
    check_representative_choice,
    check_special_care_opinion,
)
from app.domain.script_helpers import SCRIPT_HELPERS

FORMS = Path(__file__).parents[2] / "forms"
BORN = date(2031, 5, 10)
OPINION = {"found": True, "special_care_opinion": True, "opinion_number": "A-1",
           "valid_from": "2035-01-01", "valid_to": "2036-04-30"}


def test_care_hours_fifty_pass_and_fifty_and_a_half_are_refused() -> None:
    assert check_care_hours(Decimal(50)) == []
    [refusal] = check_care_hours(Decimal("50.5"))
    assert refusal.rule == "care_hours" and "50" in refusal.message_lv and "50.5" in refusal.message_en


def test_care_hours_must_be_positive() -> None:
    assert check_care_hours(Decimal(0))[0].rule == "care_hours"


def test_care_can_start_the_day_before_the_fifth_birthday_but_not_on_it() -> None:
    assert care_age_limit_date(BORN) == date(2036, 5, 10)
    assert check_care_age(BORN, date(2036, 5, 9)) == []
    [refusal] = check_care_age(BORN, date(2036, 5, 10))
    assert refusal.rule == "care_age" and "10.05.2036" in refusal.message_lv


def test_a_leap_day_child_turns_five_on_the_twenty_eighth_of_february() -> None:
    born = date(2032, 2, 29)
    assert check_care_age(born, date(2037, 2, 27)) == []
    assert check_care_age(born, date(2037, 2, 28)) != []


def test_opinion_valid_on_its_last_day_but_not_the_day_after() -> None:
    assert check_special_care_opinion(OPINION, date(2036, 4, 30)) == []
    [refusal] = check_special_care_opinion(OPINION, date(2036, 5, 1))
    assert refusal.rule == "special_care_opinion" and "01.05.2036" in refusal.message_lv


def test_opinion_not_yet_valid_or_missing_is_refused() -> None:
    assert check_special_care_opinion(OPINION, date(2034, 12, 31)) != []
    assert check_special_care_opinion(dict(OPINION, special_care_opinion=False), date(2035, 6, 1)) != []
    assert check_special_care_opinion({"found": False}, date(2035, 6, 1)) != []
    assert check_special_care_opinion(None, date(2035, 6, 1)) != []


def test_two_representative_services_pass_three_are_refused() -> None:
    assert check_representative_choice(["PSYCHOLOGIST", "PHYSIOTHERAPY"]) == []
    [refusal] = check_representative_choice(["PSYCHOLOGIST", "PHYSIOTHERAPY", "REHABILITOLOGIST"])
    assert "2" in refusal.message_lv and "3" in refusal.message_en


def test_representatives_cannot_choose_a_child_only_service() -> None:
    [refusal] = check_representative_choice(["HIPPOTHERAPY"])
    assert "HIPPOTHERAPY" in refusal.message_en


def test_the_child_list_has_its_seven_services_and_nothing_else() -> None:
    assert len(CHILD_REHABILITATION) == 7
    assert check_child_rehabilitation(list(CHILD_REHABILITATION)) == []
    assert check_child_rehabilitation(["MASSAGE"]) != []


def test_application_without_care_is_not_checked_for_age_or_hours() -> None:
    application = {"care_service": False, "care_hours_per_week": 80, "service_start_date": "2040-01-01",
                   "child_rehabilitation": ["PSYCHOLOGIST"], "representative_rehabilitation": []}
    assert application_refusals(application, BORN) == []


def test_application_lists_every_broken_rule() -> None:
    application = {"care_service": True, "care_hours_per_week": 50.5, "service_start_date": "2036-05-10",
                   "representative_rehabilitation": ["PSYCHOLOGIST", "PHYSIOTHERAPY", "REHABILITOLOGIST"]}
    rules = [r.rule for r in application_refusals(application, BORN)]
    assert rules == ["care_hours", "care_age", "representative_rehabilitation"]


def test_script_helpers_return_json_ready_refusals() -> None:
    found = SCRIPT_HELPERS["child_service_refusals"](
        {"care_service": True, "care_hours_per_week": 51, "service_start_date": "2036-05-01"},
        "2031-05-10")
    assert found == [{"rule": "care_hours", "message_lv": found[0]["message_lv"],
                      "message_en": found[0]["message_en"]}]
    assert SCRIPT_HELPERS["care_opinion_refusals"](OPINION, "2036-05-01")[0]["rule"] == \
        "special_care_opinion"


def test_the_forms_limits_are_the_rule_constants() -> None:
    for name in ("p04_application.json", "p04_correct_application.json"):
        schema = json.loads((FORMS / name).read_text(encoding="utf-8"))
        props = schema["properties"]
        assert Decimal(str(props["care_hours_per_week"]["maximum"])) == CARE_MAX_HOURS_PER_WEEK
        assert props["representative_rehabilitation"]["maxItems"] == REPRESENTATIVE_MAX_CHOICES
        assert props["representative_rehabilitation"]["items"]["enum"] == list(REPRESENTATIVE_REHABILITATION)
        assert props["child_rehabilitation"]["items"]["enum"] == list(CHILD_REHABILITATION)
