"""When the monthly report pack is made: the 3rd of each month at 07:00 Latvian time, for the
month before.

By the 3rd last month's work is in: caseworkers record a month's services, reports and payments
in its last days and the first working days after it. 07:00 is before the working day, so the
pack is in the subscriber's mailbox when they start. The open data sets follow on the 5th (they
wait for the registers' extracts, which the pack does not need).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from app.domain.calendar import RIGA, next_monthly_moment

RUN_DAY = 3
RUN_TIME = time(7, 0)


def next_pack_at(after: datetime) -> datetime:
    """The first pack moment strictly after ``after`` (an aware moment), as aware UTC; the hour
    is Latvian wall-clock time, summer or winter."""
    return next_monthly_moment(after, RUN_DAY, RUN_TIME)


def pack_month(run_at: datetime) -> str:
    """The month (``YYYY-MM``) a run's packs are for: the one before the Latvian day it was due,
    whenever it actually fires (a run held up past the month end still makes that month's)."""
    first = run_at.astimezone(RIGA).date().replace(day=1)
    last_month = first - timedelta(days=1)
    return f"{last_month.year:04d}-{last_month.month:02d}"


def month_label_lv(month: str) -> str:
    """``2026-01`` as the e-mail and the PDF name it: 01.2026."""
    year, number = month.split("-")
    return f"{number}.{year}"


def aware(text: str) -> datetime:
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def month_first_day(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)
