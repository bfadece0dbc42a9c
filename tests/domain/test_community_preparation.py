"""P6's rules: the scale comes from the form, levels 0–4, the change over time, the six-month
reassessment and the mentor's log entries at their limits."""
from __future__ import annotations

from datetime import date

import pytest

from app.domain import community_preparation as rules

ALL_TWO = {area.key: 2 for area in rules.skill_areas()}


def test_the_skill_areas_are_those_marked_in_the_form() -> None:
    keys = [area.key for area in rules.skill_areas()]
    assert len(keys) == 10 and keys[0] == "personal_hygiene" and "assessment_date" not in keys
    assert rules.skill_areas()[0].title_lv == "Personīgā higiēna"


@pytest.mark.parametrize("level", [0, 4])
def test_the_lowest_and_highest_levels_are_accepted(level: int) -> None:
    assert set(rules.scores_of(dict(ALL_TWO, dressing=level)).values()) >= {level}


@pytest.mark.parametrize("level", [-1, 5, True, "3", None])
def test_a_level_off_the_scale_is_refused(level: object) -> None:
    with pytest.raises(rules.ScaleError, match="dressing"):
        rules.scores_of(dict(ALL_TWO, dressing=level))


def test_a_missing_area_is_refused() -> None:
    answers = dict(ALL_TWO)
    del answers["transport"]
    with pytest.raises(rules.ScaleError, match="transport"):
        rules.scores_of(answers)


def test_the_next_assessment_is_six_months_on_at_the_month_end() -> None:
    assert rules.next_assessment_due("2026-01-15") == date(2026, 7, 15)
    assert rules.next_assessment_due("2026-08-31") == date(2027, 2, 28)


def test_progress_shows_the_change_since_the_first_and_the_previous_assessment() -> None:
    rows = {r.area.key: r for r in rules.progress([dict(ALL_TWO, dressing=1),
                                                   dict(ALL_TWO, dressing=3),
                                                   dict(ALL_TWO, dressing=2)])}
    assert rows["dressing"].levels == (1, 3, 2)
    assert (rows["dressing"].change_since_first, rows["dressing"].change_since_previous) == (1, -1)
    assert rows["medication"].change_since_first == 0


def test_a_single_assessment_has_no_change_yet() -> None:
    [first, *_] = rules.progress([ALL_TWO])
    assert (first.change_since_first, first.change_since_previous) == (None, None)


def test_log_entries_at_their_limits() -> None:
    today = date(2026, 5, 10)
    rules.check_log_entry(today, today, 1, 0, "Iepirkšanās")
    rules.check_log_entry(today, today, 24 * 60, 4, "Iepirkšanās")
    for bad in [{"entry_date": date(2026, 5, 11)}, {"duration_minutes": 0},
                {"duration_minutes": 24 * 60 + 1}, {"independence_level": 5},
                {"activity": "  "}]:
        args = {"entry_date": today, "today": today, "duration_minutes": 30, "independence_level": 2,
                    "activity": "Ēdiena gatavošana"} | bad
        with pytest.raises(rules.ScaleError):
            rules.check_log_entry(**args)  # type: ignore[arg-type]
