"""Preparing a VSAC resident for life in the community (P6): the self-care ability scale, its
comparison over time, and the mentor's daily-activity log.

The scale's skill areas are the properties marked ``x-skill-area`` in
``forms/p06_self_care_scale.json``, so the ministry can replace them with the official scale by
editing the form; levels run from 0 (cannot even with help) to 4 (independently).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from .calendar import add_months, parse_date

SCALE_FILE = Path(__file__).resolve().parents[2] / "forms" / "p06_self_care_scale.json"

# Good practice of the DI programme (no regulation in the domain brief sets it): the self-care
# ability is assessed again every six months while the person prepares to leave the VSAC.
REASSESSMENT_MONTHS = 6
LOWEST_LEVEL, HIGHEST_LEVEL = 0, 4

# The mentor's log: how independently the person did the activity (same 0–4 meaning).
INDEPENDENCE_LEVELS = tuple(range(LOWEST_LEVEL, HIGHEST_LEVEL + 1))
MAX_ACTIVITY_MINUTES = 24 * 60


class ScaleError(ValueError):
    """An assessment or log entry that does not fit the scale; the message says why."""


@dataclass(frozen=True)
class SkillArea:
    key: str
    title_lv: str
    title_en: str


@cache
def skill_areas(path: Path = SCALE_FILE) -> tuple[SkillArea, ...]:
    schema = json.loads(path.read_text(encoding="utf-8"))
    return tuple(SkillArea(key, spec.get("title", key), spec.get("x-title-en", key))
                 for key, spec in schema["properties"].items() if spec.get("x-skill-area"))


def scores_of(answers: dict[str, Any]) -> dict[str, int]:
    """The levels of every skill area from a submitted scale; a missing or out-of-range level is
    an error, so a stored assessment is always complete."""
    scores = {}
    for area in skill_areas():
        value = answers.get(area.key)
        if isinstance(value, bool) or not isinstance(value, int) \
                or not LOWEST_LEVEL <= value <= HIGHEST_LEVEL:
            raise ScaleError(f"skill area {area.key}: level must be {LOWEST_LEVEL}–{HIGHEST_LEVEL}")
        scores[area.key] = value
    return scores


def next_assessment_due(assessed_on: str | date) -> date:
    return add_months(parse_date(assessed_on), REASSESSMENT_MONTHS)


@dataclass(frozen=True)
class AreaProgress:
    area: SkillArea
    levels: tuple[int, ...]  # oldest first, one per assessment
    change_since_first: int | None
    change_since_previous: int | None


def progress(assessments: Sequence[dict[str, int]]) -> list[AreaProgress]:
    """Per skill area, the levels over the assessments (oldest first) and the change of the
    latest since the first and since the one before it (None with a single assessment)."""
    rows = []
    for area in skill_areas():
        levels = tuple(a[area.key] for a in assessments if area.key in a)
        several = len(levels) >= 2
        rows.append(AreaProgress(area, levels,
                                 levels[-1] - levels[0] if several else None,
                                 levels[-1] - levels[-2] if several else None))
    return rows


def total(scores: dict[str, int]) -> int:
    return sum(scores.values())


def check_log_entry(entry_date: date, today: date, duration_minutes: int,
                    independence_level: int, activity: str) -> None:
    """A mentor's log entry: a day not in the future, a duration within one day, a level on the
    scale and an activity named."""
    if entry_date > today:
        raise ScaleError("ieraksta datums nevar būt nākotnē")
    if not 0 < duration_minutes <= MAX_ACTIVITY_MINUTES:
        raise ScaleError(f"ilgumam jābūt no 1 līdz {MAX_ACTIVITY_MINUTES} minūtēm")
    if independence_level not in INDEPENDENCE_LEVELS:
        raise ScaleError("patstāvības līmenim jābūt no 0 līdz 4")
    if not activity.strip():
        raise ScaleError("norādiet aktivitāti")


def _next_assessment_due(assessed_on: str) -> str:
    return next_assessment_due(assessed_on).isoformat()


SCRIPT_HELPERS = {
    "next_self_care_assessment_due": _next_assessment_due,
}
