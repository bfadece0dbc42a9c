"""Dates as the regulations count them: calendar months, Latvian local days."""
from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

RIGA = ZoneInfo("Europe/Riga")


def parse_date(value: str | date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def today_in_latvia() -> date:
    """Today as a Latvian office counts it (the server's clock may run on UTC, two or three
    hours behind: late in the evening it would still say yesterday)."""
    return datetime.now(RIGA).date()


def next_monthly_moment(after: datetime, day: int, at: time) -> datetime:
    """The first ``day`` of a month at ``at`` Latvian wall-clock time (summer or winter) strictly
    after ``after`` (an aware moment), as aware UTC."""
    local = after.astimezone(RIGA)
    month = local.date().replace(day=1)
    candidate = datetime.combine(month.replace(day=day), at, tzinfo=RIGA)
    if candidate <= local:
        candidate = datetime.combine(add_months(month, 1).replace(day=day), at, tzinfo=RIGA)
    return candidate.astimezone(UTC)


def add_months(start: date, months: int) -> date:
    """Calendar months; the 31st plus one month is the last day of a shorter month."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


def month_bounds(period: str) -> tuple[date, date]:
    """First and last day of a month written exactly ``YYYY-MM``; ValueError otherwise (a day
    such as ``2026-09-01`` is refused: as a monthly case's key it would name the month twice)."""
    found = _MONTH.fullmatch(str(period))
    if found is None:
        raise ValueError(f"period {period!r} is not YYYY-MM")
    first = date(int(found[1]), int(found[2]), 1)
    return first, add_months(first, 1) - timedelta(days=1)


def end_of_day(day: date) -> datetime:
    """The moment a deadline on ``day`` has passed: the next midnight in Latvia, as aware UTC."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=RIGA).astimezone(ZoneInfo("UTC"))


def format_lv(day: date | datetime | None) -> str:
    """DD.MM.YYYY, as Latvian documents write dates."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.astimezone(RIGA).date()
    return day.strftime("%d.%m.%Y")


def format_lv_datetime(moment: datetime | None) -> str:
    """DD.MM.YYYY HH:MM in Latvian time."""
    if moment is None:
        return ""
    return moment.astimezone(RIGA).strftime("%d.%m.%Y %H:%M")
