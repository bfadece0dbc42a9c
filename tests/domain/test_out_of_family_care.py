from datetime import date

from app.domain.calendar import add_months, end_of_day, format_lv
from app.domain.out_of_family_care import next_report_due


def test_report_due_every_three_months_while_under_three() -> None:
    assert next_report_due("2025-01-10", None, "2023-03-15") == date(2025, 4, 10)


def test_report_due_every_six_months_from_third_birthday() -> None:
    assert next_report_due("2025-01-10", "2026-04-01", "2023-03-15") == date(2026, 10, 1)


def test_a_period_starting_the_day_before_the_third_birthday_is_three_months() -> None:
    assert next_report_due("2025-01-10", "2026-03-14", "2023-03-15") == date(2026, 6, 14)


def test_a_period_starting_on_the_third_birthday_is_six_months() -> None:
    assert next_report_due("2025-01-10", "2026-03-15", "2023-03-15") == date(2026, 9, 15)


def test_the_period_runs_from_the_placement_when_there_is_no_report() -> None:
    assert next_report_due(date(2026, 2, 1), None, date(2010, 1, 1)) == date(2026, 8, 1)


def test_calendar_months_clamp_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)


def test_a_deadline_passes_at_midnight_in_latvia() -> None:
    assert end_of_day(date(2026, 7, 1)).isoformat() == "2026-07-01T21:00:00+00:00"  # summer, UTC+3
    assert end_of_day(date(2026, 1, 5)).isoformat() == "2026-01-05T22:00:00+00:00"  # winter, UTC+2


def test_dates_are_written_day_month_year() -> None:
    assert format_lv(date(2026, 11, 26)) == "26.11.2026"


# Awkward dates. A child born on 29 February turns three on 28 February of a common year: the
# third birthday is the birth date plus 36 calendar months, clamped like every calendar month.

def test_born_on_29_february_turns_three_on_28_february() -> None:
    assert add_months(date(2020, 2, 29), 36) == date(2023, 2, 28)


def test_born_on_29_february_report_the_day_before_the_third_birthday_is_three_months() -> None:
    assert next_report_due("2022-01-10", "2023-02-27", "2020-02-29") == date(2023, 5, 27)


def test_born_on_29_february_report_on_the_third_birthday_is_six_months() -> None:
    assert next_report_due("2022-01-10", "2023-02-28", "2020-02-29") == date(2023, 8, 28)


def test_born_on_29_february_placed_on_a_29th_due_on_the_last_day_of_february() -> None:
    assert next_report_due("2020-11-29", None, "2020-02-29") == date(2021, 2, 28)


def test_born_on_29_february_in_a_leap_year_a_29th_stays_the_29th() -> None:
    assert next_report_due("2023-11-29", None, "2020-02-29") == date(2024, 5, 29)


def test_placed_on_the_31st_due_on_the_last_day_of_a_shorter_month() -> None:
    assert next_report_due("2024-08-31", None, "2023-01-31") == date(2024, 11, 30)
    assert next_report_due("2024-11-30", "2025-05-31", "2023-01-31") == date(2025, 8, 31)


def test_born_on_the_31st_third_birthday_the_day_before_and_on_it() -> None:
    assert next_report_due("2023-01-05", "2024-05-30", "2021-05-31") == date(2024, 8, 30)
    assert next_report_due("2023-01-05", "2024-05-31", "2021-05-31") == date(2024, 11, 30)


def test_born_on_31_january_periods_from_the_day_before_and_the_third_birthday() -> None:
    # A child born 31.01.2021 turns three on 31.01.2024; the day before is still a 3-month period.
    assert next_report_due("2023-06-01", "2024-01-30", "2021-01-31") == date(2024, 4, 30)
    assert next_report_due("2023-06-01", "2024-01-31", "2021-01-31") == date(2024, 7, 31)


def test_placed_a_week_before_the_third_birthday_the_first_period_is_three_months() -> None:
    # Born 15.06.2022, placed 08.06.2025: under three on the day of placement.
    assert next_report_due("2025-06-08", None, "2022-06-15") == date(2025, 9, 8)
    # The report made on that due date starts a 6-month period: the child is three by then.
    assert next_report_due("2025-06-08", "2025-09-08", "2022-06-15") == date(2026, 3, 8)


def test_reports_made_on_their_due_dates_follow_the_rule_until_and_after_the_third_birthday() -> None:
    birth, placement = date(2021, 10, 31), date(2023, 5, 31)
    dues, last = [], None
    for _ in range(6):
        due = next_report_due(placement, last, birth)
        dues.append(due)
        last = due
    assert dues == [date(2023, 8, 31), date(2023, 11, 30), date(2024, 2, 29), date(2024, 5, 29),
                    date(2024, 8, 29), date(2024, 11, 29)]
    # 29.08.2024 is before the third birthday (31.10.2024): still a 3-month period; the report
    # of 29.11.2024 (after it) starts the first 6-month one.
    assert next_report_due(placement, date(2024, 11, 29), birth) == date(2025, 5, 29)
