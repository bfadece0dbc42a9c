"""The monthly statistics export of adoptions: counts and durations, every person replaced by a
pseudonym (``app.pseudonyms``), written as CSV to the statistics side (``DICASE_STATISTICS_DIR``).
Nothing identifying leaves the unit: no names, personal codes, birth dates, addresses or
register numbers — only pseudonyms, months, whole years and day counts."""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.db.models import Adopter, AdoptionChild, AdoptionMatch, Person
from app.domain import adoption as rules
from app.pseudonyms import PseudonymKey, configured_key, pseudonym

from . import service

COLUMNS = ("period", "child", "adopters", "sex", "age_years", "siblings_in_match",
           "adopters_abroad", "days_free_to_final", "days_match_to_final", "proposals")


@dataclass
class Export:
    path: Path
    adoptions: int
    matches_without_adopter: int


def _bounds(period: str) -> tuple[date, date]:
    start = date.fromisoformat(f"{period}-01")
    end = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, end


def rows_for(session: Any, key: PseudonymKey, period: str) -> tuple[list[list[Any]], int]:
    start, end = _bounds(period)
    finals = session.scalars(select(AdoptionMatch).where(
        AdoptionMatch.status == "final", AdoptionMatch.final_on >= start,
        AdoptionMatch.final_on < end).order_by(AdoptionMatch.id)).all()
    unmatched = len(session.scalars(select(AdoptionMatch.id).where(
        AdoptionMatch.status == "no_adopter", AdoptionMatch.ended_on >= start,
        AdoptionMatch.ended_on < end)).all())
    rows = []
    for found in finals:
        chosen = session.get(Adopter, found.adopter_id) if found.adopter_id else None
        adopters = ";".join(sorted(pseudonym(key, a["personal_code"]) for a in (
            chosen.applicants if chosen else []) if a.get("personal_code")))
        proposals = len(service.proposals_of(session, found.id))
        for child_id in found.child_ids:
            card = session.get(AdoptionChild, child_id)
            code = session.scalar(select(Person.personal_code).where(
                Person.id == card.person_id)) if card is not None else None
            if card is None or not code or found.final_on is None:
                continue
            rows.append([period, pseudonym(key, code), adopters, card.sex,
                         rules.age_in_years(card.birth_date, found.final_on),
                         len(found.child_ids), int(bool(chosen and chosen.abroad)),
                         (found.final_on - card.free_for_adoption_on).days,
                         (found.final_on - found.started_on).days, proposals])
    return rows, unmatched


def export_month(services: Any, period: str) -> Export:
    """Write ``adoption-<period>.csv`` (replacing an earlier export of the month)."""
    settings = services.settings
    key = configured_key(settings.pseudonym_key_file, settings.pseudonym_key,
                         settings.pseudonym_demo_key_file)
    with services.sessions() as session:
        rows, unmatched = rows_for(session, key, period)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    directory = Path(settings.statistics_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"adoption-{period}.csv"
    partial = path.with_suffix(".csv.part")
    partial.write_text(out.getvalue(), encoding="utf-8")
    os.replace(partial, path)  # readers never see half a file
    return Export(path, len({r[1] for r in rows}), unmatched)
