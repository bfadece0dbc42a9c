"""When the open data sets are regenerated: the 5th of each month at 06:00 Latvian time.

The registers deliver their month-end extracts in the first working days of a month; by the 5th
last month's, last quarter's and last year's figures are complete, and 06:00 is before the
ministry's statisticians start the day, so the review task is waiting for them when they do.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time

from .calendar import RIGA, next_monthly_moment

RUN_DAY = 5
RUN_TIME = time(6, 0)


def next_regeneration_at(after: datetime) -> datetime:
    """The first regeneration moment strictly after ``after`` (an aware moment), as aware UTC;
    the hour is Latvian wall-clock time, summer or winter."""
    return next_monthly_moment(after, RUN_DAY, RUN_TIME)


def regeneration_day(moment: datetime) -> date:
    """The Latvian day a regeneration moment falls on: the day whose complete periods it prepares."""
    return moment.astimezone(RIGA).date()


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _next_open_data_run(*moments: str) -> str:
    """For BPMN scripts: the next run after the latest of the given ISO moments (the run just
    done and now, so a run delayed past its month is not repeated for that month)."""
    return next_regeneration_at(max(_aware(m) for m in moments)).isoformat()


SCRIPT_HELPERS = {"next_open_data_run": _next_open_data_run}
