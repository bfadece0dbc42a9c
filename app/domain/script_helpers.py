"""The domain functions BPMN scripts and expressions may call, by the name they are called with.

Values in task data are JSON (dates as ISO strings), so helpers take and return ISO strings.
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .calendar import add_months, end_of_day, parse_date, today_in_latvia
from .out_of_family_care import next_report_due


def _next_report_due(placement_date: str, last_report_date: str | None, birth_date: str) -> str:
    return next_report_due(placement_date, last_report_date, birth_date).isoformat()


def _deadline_passes_at(day: str) -> str:
    return end_of_day(parse_date(day)).isoformat()


def _add_months(day: str, months: int) -> str:
    return add_months(parse_date(day), months).isoformat()


def _add_days(day: str, days: int) -> str:
    return (parse_date(day) + timedelta(days=int(days))).isoformat()


def _today() -> str:
    return today_in_latvia().isoformat()


def _now() -> str:
    return datetime.now(UTC).isoformat()


SCRIPT_HELPERS: dict[str, Callable[..., Any]] = {
    "next_report_due": _next_report_due,
    "deadline_passes_at": _deadline_passes_at,
    "add_months": _add_months,
    "add_days": _add_days,
    "today": _today,
    "now": _now,
}

# The rule modules of the process areas; each may offer helpers in its own ``SCRIPT_HELPERS``.
RULE_MODULES = ("needs_assessment", "child_assessment", "community_services", "child_services",
                "group_homes", "community_preparation", "co_payment",
                "child_protection", "adoption", "open_data_schedule")


def _collect_area_helpers() -> None:
    for name in RULE_MODULES:
        qualified = f"{__package__}.{name}"
        if importlib.util.find_spec(qualified) is None:
            continue
        offered: dict[str, Callable[..., Any]] = getattr(
            importlib.import_module(qualified), "SCRIPT_HELPERS", {})
        clash = sorted(set(offered) & set(SCRIPT_HELPERS))
        if clash:
            raise RuntimeError(f"script helper names defined twice: {', '.join(clash)}")
        SCRIPT_HELPERS.update(offered)


_collect_area_helpers()
