"""P3 validation rules at their boundaries."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.domain.community_services import (
    HOURS_PER_WEEK_CEILING,
    MAX_SESSIONS_PER_DAY,
    Booked,
    PlanPeriod,
    Provider,
    ServiceRecordData,
    check_current_plan,
    check_dates_inside_plan,
    check_no_overlapping_duplicate,
    check_provider_registered,
    check_record_shape,
    check_volume_plausible,
    submission_due,
    validate_record,
)
from app.domain.service_types import ADULT_SERVICE_TYPES

PLAN = PlanPeriod(date(2035, 1, 1), date(2035, 12, 31),
                  [{"service_type": "HOME_CARE", "hours_per_week": 10, "frequency": "weekly"},
                   {"service_type": "DAY_CENTRE", "hours_per_week": None, "frequency": "daily"}])
PROVIDER = Provider("SP-X", "X", "RIGA", frozenset({"HOME_CARE", "DAY_CENTRE"}))


def record(**changes: object) -> ServiceRecordData:
    # 28 days of February 2035 = 4 weeks.
    values: dict[str, object] = {
        "personal_code": "010180-10006", "service_type": "HOME_CARE", "provider_code": "SP-X",
        "period_from": date(2035, 2, 1), "period_to": date(2035, 2, 28), "volume": Decimal(40), "unit": "HOURS",
        "cost_cents": 32000}
    values.update(changes)
    return ServiceRecordData(**values)  # type: ignore[arg-type]


def test_a_good_record_passes_every_rule() -> None:
    assert validate_record(record(), person_known=True, plan=PLAN, provider=PROVIDER, booked=[]) == []


def test_an_unknown_person_is_reported_alone() -> None:
    [finding] = validate_record(record(), person_known=False, plan=None, provider=PROVIDER, booked=[])
    assert finding.rule == "known_person"


def test_shape_unknown_type_unit_reversed_period_negative_cost() -> None:
    rules = [f.rule for f in check_record_shape(record(service_type="X", unit="LITRES",
                                                       period_to=date(2035, 1, 31), cost_cents=-1))]
    assert rules == ["service_type", "unit", "period", "cost"]


def test_no_plan_and_plan_without_the_service() -> None:
    assert check_current_plan(record(), None)[0].rule == "current_plan"
    [finding] = check_current_plan(record(service_type="WORKSHOP"), PLAN)
    assert finding.rule == "plan_includes_service" and "Specializētās darbnīcas" in finding.message_lv


def test_dates_on_the_plan_edges_pass_one_day_outside_fails() -> None:
    assert check_dates_inside_plan(record(period_from=date(2035, 1, 1), period_to=date(2035, 1, 31)), PLAN) == []
    assert check_dates_inside_plan(record(period_from=date(2035, 12, 1), period_to=date(2035, 12, 31)), PLAN) == []
    assert check_dates_inside_plan(record(period_from=date(2035, 12, 1), period_to=date(2036, 1, 1)),
                                   PLAN)[0].rule == "dates_inside_plan"
    open_ended = PlanPeriod(date(2035, 1, 1), None, PLAN.services)
    assert check_dates_inside_plan(record(period_to=date(2040, 1, 1)), open_ended) == []


def test_provider_must_be_registered_for_the_service() -> None:
    assert check_provider_registered(record(), None)[0].rule == "provider_registered"
    assert check_provider_registered(record(service_type="WORKSHOP"), PROVIDER)[0].rule == \
        "provider_registered"


def test_overlap_on_one_shared_day_is_a_duplicate_adjacent_periods_are_not() -> None:
    jan = Booked("HOME_CARE", "SP-X", date(2035, 1, 1), date(2035, 2, 1))
    assert check_no_overlapping_duplicate(record(), [jan])[0].rule == "overlapping_duplicate"
    before = Booked("HOME_CARE", "SP-X", date(2035, 1, 1), date(2035, 1, 31))
    assert check_no_overlapping_duplicate(record(), [before]) == []
    other_provider = Booked("HOME_CARE", "SP-Y", date(2035, 2, 1), date(2035, 2, 28))
    assert check_no_overlapping_duplicate(record(), [other_provider]) == []


def test_hours_per_week_up_to_the_plan_pass_above_fail() -> None:
    # Plan: 10 hours a week; four weeks → 40 hours pass, 40.5 fail.
    assert check_volume_plausible(record(volume=Decimal(40)), PLAN) == []
    [finding] = check_volume_plausible(record(volume=Decimal("40.5")), PLAN)
    assert finding.rule == "volume_plausible" and "10" in finding.message_en


def test_without_plan_hours_the_type_ceiling_applies() -> None:
    ceiling = HOURS_PER_WEEK_CEILING["DAY_CENTRE"]
    assert check_volume_plausible(record(service_type="DAY_CENTRE", volume=ceiling * 4), PLAN) == []
    assert check_volume_plausible(record(service_type="DAY_CENTRE", volume=ceiling * 4 + 1), PLAN) != []


def test_every_service_type_has_a_ceiling() -> None:
    assert set(HOURS_PER_WEEK_CEILING) == set(ADULT_SERVICE_TYPES)


def test_days_not_more_than_the_period_sessions_two_a_day() -> None:
    assert check_volume_plausible(record(unit="DAYS", volume=Decimal(28)), PLAN) == []
    assert check_volume_plausible(record(unit="DAYS", volume=Decimal(29)), PLAN) != []
    limit = 28 * MAX_SESSIONS_PER_DAY
    assert check_volume_plausible(record(unit="SESSIONS", volume=Decimal(limit)), PLAN) == []
    assert check_volume_plausible(record(unit="SESSIONS", volume=Decimal(limit + 1)), PLAN) != []


def test_submission_is_due_on_the_fifteenth_of_the_next_month() -> None:
    assert submission_due(date(2035, 1, 1)) == date(2035, 2, 15)
    assert submission_due(date(2035, 12, 1)) == date(2036, 1, 15)
