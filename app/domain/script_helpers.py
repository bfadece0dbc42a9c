"""The domain functions BPMN scripts and expressions may call, by the name they are called with.

Values in task data are JSON (dates as ISO strings), so helpers take and return ISO strings.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from .calendar import add_months, end_of_day, parse_date
from .out_of_family_care import next_report_due


def _next_report_due(placement_date: str, last_report_date: str | None, birth_date: str) -> str:
    return next_report_due(placement_date, last_report_date, birth_date).isoformat()


def _deadline_passes_at(day: str) -> str:
    return end_of_day(parse_date(day)).isoformat()


def _add_months(day: str, months: int) -> str:
    return add_months(parse_date(day), months).isoformat()


def _today() -> str:
    return date.today().isoformat()


def _now() -> str:
    return datetime.now(UTC).isoformat()


SCRIPT_HELPERS: dict[str, Callable[..., Any]] = {
    "next_report_due": _next_report_due,
    "deadline_passes_at": _deadline_passes_at,
    "add_months": _add_months,
    "today": _today,
    "now": _now,
}
