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
