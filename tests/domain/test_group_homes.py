"""P5's rules at their boundaries: capacity, the same-municipality rule, days in a month, the
report's due date and the state's share in whole cents."""
from __future__ import annotations

from datetime import date

import pytest

from app.domain import group_homes as rules

HOME = rules.group_home("GM-RIGA-3")  # capacity 2


def stay(key: str, start: date, end: date | None = None, home: str = "GM-RIGA-3") -> rules.StayPeriod:
    return rules.StayPeriod(key, home, start, end)


def test_the_last_free_place_can_be_taken_and_then_the_home_is_full() -> None:
    one = [stay("a", date(2026, 1, 1))]
    rules.check_placement(HOME, one, date(2026, 1, 5), "RIGA")
    with pytest.raises(rules.PlacementRefused, match="nav brīvu vietu"):
        rules.check_placement(HOME, [*one, stay("b", date(2026, 1, 2))], date(2026, 1, 5), "RIGA")


def test_a_place_is_free_again_the_day_after_the_last_day_stayed() -> None:
    full = [stay("a", date(2026, 1, 1), date(2026, 1, 31)), stay("b", date(2026, 1, 1))]
    with pytest.raises(rules.PlacementRefused):
        rules.check_placement(HOME, full, date(2026, 1, 31), "RIGA")
    rules.check_placement(HOME, full, date(2026, 2, 1), "RIGA")


def test_a_municipality_places_only_in_its_own_group_homes() -> None:
    with pytest.raises(rules.PlacementRefused, match="nav pašvaldības JELGAVA"):
        rules.check_placement(HOME, [], date(2026, 1, 1), "JELGAVA")


def test_a_transfer_goes_to_another_municipality_with_a_free_place() -> None:
    jelgava = rules.group_home("GM-JELGAVA-1")
    rules.check_transfer(jelgava, [], date(2026, 3, 1), "RIGA")
    with pytest.raises(rules.PlacementRefused, match="citas pašvaldības"):
        rules.check_transfer(rules.group_home("GM-RIGA-1"), [], date(2026, 3, 1), "RIGA")
    full = [stay(str(k), date(2026, 1, 1), home="GM-JELGAVA-1") for k in range(jelgava.capacity)]
    with pytest.raises(rules.PlacementRefused, match="nav brīvu vietu"):
        rules.check_transfer(jelgava, full, date(2026, 3, 1), "RIGA")


def test_an_unknown_group_home_is_refused() -> None:
    with pytest.raises(rules.PlacementRefused, match="nav reģistrā"):
        rules.group_home("GM-NOWHERE")


@pytest.mark.parametrize(("start", "end", "days"), [
    (date(2025, 12, 20), None, 29),             # the whole of February 2028 (leap year)
    (date(2028, 2, 29), None, 1),               # starts on the last day
    (date(2028, 1, 1), date(2028, 2, 1), 1),    # leaves on the first day
    (date(2028, 2, 10), date(2028, 2, 10), 1),  # one day
    (date(2028, 1, 1), date(2028, 1, 31), 0),   # left before the month
    (date(2028, 3, 1), None, 0),                # comes after it
])
def test_days_of_service_in_a_month_count_the_first_and_the_last_day(
        start: date, end: date | None, days: int) -> None:
    assert rules.days_in_period(stay("a", start, end), "2028-02") == days


def test_the_report_is_due_on_the_15th_of_the_next_month() -> None:
    assert rules.report_due("2026-01") == date(2026, 2, 15)
    assert rules.report_due("2026-12") == date(2027, 1, 15)


def test_the_state_share_is_rounded_half_up_to_whole_cents() -> None:
    assert rules.state_share_cents(101) == 51
    assert rules.state_share_cents(100) == 50
    assert rules.state_share_cents(99) == 50
    assert rules.state_share_cents(12345, rules.STATE_COFINANCING_SHARE_PERCENT) == 6173


def test_the_monthly_report_counts_persons_days_and_costs_of_the_municipality_only() -> None:
    stays = [stay("1", date(2025, 1, 1), home="GM-RIGA-1"),
             stay("2", date(2026, 1, 22), home="GM-RIGA-2"),
             stay("3", date(2026, 1, 1), home="GM-JELGAVA-1")]
    persons = {"1": {"name": "A B", "personal_code": "x1"}, "2": {"name": "C D", "personal_code": "x2"}}
    report = rules.monthly_report("RIGA", "2026-01", stays, persons)
    assert (report["persons"], report["days"]) == (2, 41)
    assert report["cost_cents"] == 31 * 2450 + 10 * 2680
    assert report["state_share_cents"] == 37975 + 13400
    assert [r["group_home_code"] for r in report["rows"]] == ["GM-RIGA-1", "GM-RIGA-2"]
