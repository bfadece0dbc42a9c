"""What the monthly reports to the ministry share (P5's group-home co-financing, P7's NSK
compensation): one process instance per municipality and month, the latest generated PDF of each,
and the CSV layout Latvian spreadsheets open. No Flask here."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import CaseDocument, ProcessInstance


def start_per_municipality(engine: Any, sessions: Any, process_key: str, period: str,
                           municipality_codes: Iterable[str],
                           business_key: Callable[[str, str], str]) -> list[int]:
    """Start ``process_key`` for ``period`` once per municipality: one whose business key already
    has an instance is left alone, so the calendar may call this again. Returns the new ids."""
    from app.access.scope import Scope
    from app.engine.runtime import Actor

    started = []
    for code in municipality_codes:
        key = business_key(code, period)
        with sessions() as session:  # a fresh snapshot per municipality
            if session.scalar(select(ProcessInstance.id).where(
                    ProcessInstance.process_key == process_key,
                    ProcessInstance.business_key == key)) is not None:
                continue
        started.append(engine.start(
            process_key, {"municipality_code": code, "period": period, "case_number": key},
            business_key=key, actor=Actor.system(),
            scope=Scope.for_process(process_key, municipality_code=code)))
    return started


def latest_documents(db: Session, instance_ids: Sequence[int], kind: str) -> dict[int, CaseDocument]:
    """The newest document of ``kind`` of each instance (a corrected report is a new version)."""
    latest: dict[int, CaseDocument] = {}
    if not instance_ids:
        return latest
    for document in db.scalars(select(CaseDocument).where(
            CaseDocument.instance_id.in_(instance_ids), CaseDocument.kind == kind)
            .order_by(CaseDocument.version)):
        latest[document.instance_id] = document
    return latest


def euro_text(cents: int) -> str:
    """Cents as a spreadsheet cell in euro with a decimal comma: 123450 → ``1234,50``."""
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    return f"{sign}{cents // 100},{cents % 100:02d}"


def csv_text(columns: Sequence[str], rows: Iterable[dict[str, Any]],
             totals: Sequence[Any] | None = None) -> str:
    """Rows as semicolon-separated CSV (what Latvian spreadsheets expect), amounts (columns
    ending in ``_cents``) in euro with a decimal comma, and an optional totals line as given."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([euro_text(row[name]) if name.endswith("_cents") and row.get(name) is not None
                         else row.get(name) for name in columns])
    if totals is not None:
        writer.writerow(totals)
    return out.getvalue()
