"""P7 rules: eligibility at its date edges and the compensation of a record in exact cents."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain.nsk import (
    DisabilityStatus,
    NskFacts,
    PlanWindow,
    ServiceLine,
    compensate,
    eighteenth_birthday,
    eligibility_on,
    entered_as_child,
    needs_disability_check,
    plan_on,
    rate_keys,
    rates_by_key,
    round_cents,
)

PLAN = (PlanWindow(1, date(2020, 1, 1), None, frozenset({"HOME_CARE", "DAY_CENTRE"})),)
GROUP_II = DisabilityStatus(True, "II", "SEVERE", date(2026, 1, 1), date(2026, 12, 31), "A-1")


def adult(**changes: object) -> NskFacts:
    values: dict[str, object] = {"birth_date": date(1980, 5, 5), "care_ended_on": date(2026, 3, 10),
                                 "disability": None, "plans": PLAN}
    values.update(changes)
    return NskFacts(**values)  # type: ignore[arg-type]


def former_child(disability: DisabilityStatus | None = GROUP_II) -> NskFacts:
    # Care ended at 16; turns 18 on 15.06.2026.
    return NskFacts(date(2008, 6, 15), date(2024, 9, 1), disability, PLAN)


def codes(facts: NskFacts, day: date, service: str | None = None) -> set[str]:
    return {r.code for r in eligibility_on(facts, day, service).refusals()}


def test_eighteenth_birthday_and_leap_day() -> None:
    assert eighteenth_birthday(date(2008, 6, 15)) == date(2026, 6, 15)
    assert eighteenth_birthday(date(2008, 2, 29)) == date(2026, 3, 1)
    assert eighteenth_birthday(date(2006, 2, 28)) == date(2024, 2, 28)
    assert eighteenth_birthday(date(2010, 2, 29 - 1)) == date(2028, 2, 28)


def test_care_ended_yesterday_today_and_not_ended() -> None:
    today = date(2026, 3, 11)
    assert eligibility_on(adult(care_ended_on=date(2026, 3, 10)), today).eligible
    assert codes(adult(care_ended_on=date(2026, 3, 11)), today) == {"vsac_care"}
    assert codes(adult(care_ended_on=None), today) == {"vsac_care"}
    refused = eligibility_on(adult(care_ended_on=None), today).refusals()[0]
    assert "nav beigusies" in refused.message_lv


def test_a_former_child_on_the_day_before_and_on_the_18th_birthday() -> None:
    no_decision = former_child(disability=None)
    assert eligibility_on(no_decision, date(2026, 6, 14)).eligible
    assert codes(no_decision, date(2026, 6, 15)) == {"disability"}
    assert eligibility_on(former_child(), date(2026, 6, 15)).eligible
    assert not needs_disability_check(no_decision, date(2026, 6, 14))
    assert needs_disability_check(no_decision, date(2026, 6, 15))


@pytest.mark.parametrize(("group", "severity", "eligible"), [
    ("I", "SEVERE", True), ("II", "SEVERE", True), ("III", "SEVERE", False),
    (None, "SEVERE", False), ("II", "MODERATE", False)])
def test_continuation_after_18_needs_group_one_or_two_and_severe(
        group: str | None, severity: str, eligible: bool) -> None:
    status = DisabilityStatus(True, group, severity, date(2026, 1, 1), None, "A-2")
    assert eligibility_on(former_child(status), date(2026, 7, 1)).eligible is eligible


def test_no_decision_at_all_refuses_after_18() -> None:
    facts = former_child(DisabilityStatus(False))
    assert codes(facts, date(2026, 7, 1)) == {"disability"}


def test_the_opinion_must_be_valid_on_the_day() -> None:
    facts = former_child(DisabilityStatus(True, "I", "SEVERE", date(2026, 6, 20),
                                          date(2026, 6, 30), "A-3"))
    assert codes(facts, date(2026, 6, 19)) == {"disability"}
    assert eligibility_on(facts, date(2026, 6, 20)).eligible
    assert eligibility_on(facts, date(2026, 6, 30)).eligible
    assert codes(facts, date(2026, 7, 1)) == {"disability"}


def test_an_adult_who_came_under_nsk_as_adult_needs_no_disability_group() -> None:
    facts = adult()
    assert not entered_as_child(facts)
    assert eligibility_on(facts, date(2026, 4, 1)).eligible
    # Care ended on the day before the 18th birthday: NSK starts on the birthday, as an adult.
    on_the_edge = NskFacts(date(2008, 6, 15), date(2026, 6, 14), None, PLAN)
    assert not entered_as_child(on_the_edge)
    assert eligibility_on(on_the_edge, date(2026, 6, 15)).eligible
    day_earlier = NskFacts(date(2008, 6, 15), date(2026, 6, 13), None, PLAN)
    assert entered_as_child(day_earlier)
    assert codes(day_earlier, date(2026, 6, 15)) == {"disability"}


def test_the_service_must_be_in_the_plan_in_force_on_the_day() -> None:
    plans = (PlanWindow(1, date(2026, 1, 1), date(2026, 3, 31), frozenset({"HOME_CARE"})),
             PlanWindow(2, date(2026, 4, 1), None, frozenset({"DAY_CENTRE"})))
    facts = adult(care_ended_on=date(2025, 12, 31), plans=plans)
    assert eligibility_on(facts, date(2026, 3, 31), "HOME_CARE").eligible
    assert codes(facts, date(2026, 4, 1), "HOME_CARE") == {"plan"}
    assert eligibility_on(facts, date(2026, 4, 1), "DAY_CENTRE").eligible
    assert codes(adult(plans=()), date(2026, 4, 1)) == {"plan"}
    assert plan_on(plans, date(2025, 12, 31)) is None


def line(service: str = "HOME_CARE", start: date = date(2026, 4, 1), end: date = date(2026, 4, 30),
         volume: str = "20", cost: int = 30000, unit: str = "HOURS") -> ServiceLine:
    return ServiceLine(7, service, unit, start, end, Decimal(volume), cost)


def test_a_whole_month_is_rate_times_volume_in_cents() -> None:
    got = compensate(line(volume="12.5"), adult(), 875, "2026-04")
    assert (got.days_in_month, got.eligible_days, got.amount_cents) == (30, 30, 10938)  # 109,375 up
    assert got.reasons == ()


def test_the_amount_never_exceeds_the_reported_cost() -> None:
    assert compensate(line(volume="20", cost=15001), adult(), 850, "2026-04").amount_cents == 15001


def test_care_ending_mid_month_counts_the_days_after_it() -> None:
    # Care ended on 10.04: 20 of April's 30 days count; 850 × 20 h × 20/30 = 11 333,33 → 11 333.
    got = compensate(line(), adult(care_ended_on=date(2026, 4, 10)), 850, "2026-04")
    assert (got.eligible_days, got.amount_cents) == (20, 11333)
    assert [r.code for r in got.reasons] == ["vsac_care"]


def test_the_18th_birthday_mid_month_without_a_group_stops_the_compensation() -> None:
    # Turns 18 on 15.06: 1–14 June count (14 of 30 days); 1000 × 30 × 14/30 = 14 000.
    got = compensate(line(start=date(2026, 6, 1), end=date(2026, 6, 30), volume="30", cost=99999),
                     former_child(disability=None), 1000, "2026-06")
    assert (got.eligible_days, got.amount_cents) == (14, 14000)
    with_group = compensate(line(start=date(2026, 6, 1), end=date(2026, 6, 30), volume="30",
                                 cost=99999), former_child(), 1000, "2026-06")
    assert with_group.amount_cents == 30000


def test_a_record_across_the_month_boundary_counts_its_days_in_each_month() -> None:
    spanning = line(start=date(2026, 4, 25), end=date(2026, 5, 4), volume="10", cost=100000)
    april = compensate(spanning, adult(), 333, "2026-04")
    may = compensate(spanning, adult(), 333, "2026-05")
    # 3330 cents for the whole record: 6/10 in April (1998) and 4/10 in May (1332).
    assert (april.days_in_month, april.amount_cents) == (6, 1998)
    assert (may.days_in_month, may.amount_cents) == (4, 1332)
    assert compensate(spanning, adult(), 333, "2026-06").amount_cents == 0


def test_a_service_missing_from_the_plan_or_without_a_rate_is_not_compensated() -> None:
    not_planned = compensate(line(service="WORKSHOP"), adult(), 500, "2026-04")
    assert (not_planned.amount_cents, [r.code for r in not_planned.reasons]) == (0, ["plan"])
    no_rate = compensate(line(), adult(), None, "2026-04")
    assert (no_rate.amount_cents, [r.code for r in no_rate.reasons]) == (0, ["rate"])


def test_rounding_is_half_up_to_the_cent() -> None:
    assert round_cents(Decimal("10.5")) == 11
    assert round_cents(Decimal("10.4999")) == 10
    assert round_cents(Decimal("11.5")) == 12


def test_rates_are_paired_with_the_keys_asked() -> None:
    keys = rate_keys([line(), line(service="DAY_CENTRE", unit="DAYS"), line()])
    assert keys == [{"service_type": "DAY_CENTRE", "unit": "DAYS"},
                    {"service_type": "HOME_CARE", "unit": "HOURS"}]
    assert rates_by_key(keys, [1575, None]) == {("DAY_CENTRE", "DAYS"): 1575,
                                                ("HOME_CARE", "HOURS"): None}
    assert rates_by_key(keys, [12.5, True]) == {("DAY_CENTRE", "DAYS"): None,
                                                ("HOME_CARE", "HOURS"): None}
    with pytest.raises(ValueError):
        rates_by_key(keys, [1])
