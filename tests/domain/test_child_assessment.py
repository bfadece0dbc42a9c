"""P2 rules: the interview deadline, the reminder before it, and the services of each child group."""
from __future__ import annotations

from datetime import date

import pytest

from app.domain import child_assessment as rules
from app.domain.script_helpers import SCRIPT_HELPERS


def test_interview_is_due_thirty_days_after_the_referral() -> None:
    assert rules.interview_due("2026-01-31") == date(2026, 3, 2)
    assert rules.interview_due(date(2028, 2, 1)) == date(2028, 3, 2)  # leap year: 29 days in February


def test_reminder_goes_five_days_before_the_interview_is_due() -> None:
    assert rules.interview_reminder("2026-01-31") == date(2026, 2, 25)


def test_family_services_are_not_for_a_child_in_an_institution() -> None:
    assert rules.services_outside_group(rules.FAMILY, ["CARE_SERVICE", "RESPITE"]) == []
    assert rules.services_outside_group(rules.INSTITUTION, ["CARE_SERVICE", "FOSTER_FAMILY"]) == ["CARE_SERVICE"]
    assert rules.services_outside_group(rules.FAMILY, ["FOSTER_FAMILY"]) == ["FOSTER_FAMILY"]


def test_an_unknown_child_group_is_refused() -> None:
    with pytest.raises(ValueError):
        rules.services_outside_group("ADULT", [])


def test_the_forms_offer_exactly_the_services_of_their_group() -> None:
    import json
    from pathlib import Path

    forms = Path(__file__).parents[2] / "forms"
    for name, services in (("p02_needs_family.json", rules.FAMILY_SERVICES),
                           ("p02_needs_institution.json", rules.INSTITUTION_SERVICES)):
        schema = json.loads((forms / name).read_text(encoding="utf-8"))
        assert schema["properties"]["services_needed"]["items"]["enum"] == list(services)
    referral = json.loads((forms / "p02_referral.json").read_text(encoding="utf-8"))
    assert referral["properties"]["child_group"]["enum"] == list(rules.CHILD_GROUPS)


def test_names_in_both_languages_and_unknown_codes_shown_as_they_are() -> None:
    assert rules.service_name("RESPITE") == "Atelpas brīdis likumiskajiem pārstāvjiem"
    assert rules.service_name("RESPITE", "en") == "Respite for the legal representatives"
    assert rules.child_group_name("FAMILY", "en") == "Child with functional impairments in a family"
    assert rules.service_name("NOPE") == "NOPE"


def test_helpers_are_offered_to_bpmn_scripts() -> None:
    assert SCRIPT_HELPERS["child_interview_due"]("2026-01-31") == "2026-03-02"
    assert SCRIPT_HELPERS["child_service_names"](["FOSTER_FAMILY"]) == ["Audžuģimene"]
