"""The calendar rules every process shares: months written YYYY-MM, calendar months."""
from __future__ import annotations

from datetime import date

import pytest

from app.domain import co_payment, group_homes, nsk
from app.domain.calendar import add_months, month_bounds


@pytest.mark.parametrize(("period", "first", "last"), [
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
    ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
    ("2026-01", date(2026, 1, 1), date(2026, 1, 31)),
])
def test_a_month_runs_from_its_first_to_its_last_day(period: str, first: date, last: date) -> None:
    assert month_bounds(period) == (first, last)


@pytest.mark.parametrize("period", ["2026-09-01", "2026-13", "2026-00", "26-09", "2026-9",
                                    " 2026-09", "2026-09 ", "", "septembris"])
def test_anything_but_exactly_yyyy_mm_is_refused(period: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_bounds(period)


def test_the_monthly_processes_read_months_with_the_one_rule() -> None:
    assert group_homes.period_bounds is nsk.period_bounds is co_payment.period_bounds is month_bounds


def test_the_31st_plus_a_month_is_the_last_day_of_the_shorter_month() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
