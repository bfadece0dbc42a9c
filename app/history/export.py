"""An instance's history to take away: JSON with every event and its hashes, so anyone can
recompute the chain (docs/audit.md gives the rule), and a PDF rendered from the same timeline.
No Flask here: the view renders the PDF's HTML and hands it over.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from .service import InstanceHistory

FORMAT = "dicase-history/1"
HASH_RULE = (
    "hash = SHA-256 hex of (prev_hash + body), UTF-8; body = JSON of the array "
    "[chain, seq, occurred_at, kind, actor, element_id, detail] with keys sorted, separators "
    "',' and ':' and no ASCII escaping; prev_hash of the first event is 64 zeros; each event's "
    "prev_hash is the previous event's hash; the instance's last_event_hash is the last hash."
)
PDF_STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "history-pdf.css"


def history_json(history: InstanceHistory, *, generated_by: str,
                 generated_at: datetime) -> dict[str, Any]:
    """The instance's events exactly as hashed, with the verification result; job rows (the
    results of calls to other systems) come along but are not covered by the chain."""
    instance, verdict = history.instance, history.verdict
    return {
        "format": FORMAT,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "generated_by": generated_by,
        "instance": {
            "id": instance.id, "process_key": instance.process_key,
            "process_name": history.process_name, "version": history.version,
            "business_key": instance.business_key, "status": instance.status,
            "created_at": instance.created_at.isoformat(),
            "ended_at": instance.ended_at.isoformat() if instance.ended_at else None,
            "chain": f"instance:{instance.id}", "event_seq": instance.event_seq,
            "last_event_hash": instance.last_event_hash,
        },
        "hash_rule": HASH_RULE,
        "verification": {"intact": verdict.intact, "events": verdict.events,
                         "first_broken_seq": verdict.seq, "event_id": verdict.event_id,
                         "problem": verdict.problem},
        "events": [{
            "id": event.id, "chain": event.chain, "seq": event.seq,
            # The exact text the hash covers: UTC with microseconds and offset.
            "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
            "kind": event.kind, "actor": event.actor, "element_id": event.element_id,
            "detail": event.detail, "prev_hash": event.prev_hash, "hash": event.hash,
        } for event in (item.event for item in history.timeline)],
        "jobs": [{
            "id": job.id, "element_id": job.element_id, "operation": job.operation,
            "parameters": job.parameters, "status": job.status, "attempts": job.attempts,
            "last_error": job.last_error,
            "result": job.result,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        } for job in sorted(history.jobs.values(), key=lambda j: j.id)],
    }


def render_pdf(html: str) -> bytes:
    """A4 PDF of the history page's HTML. Fonts come from the system (DejaVu Sans, which has
    every Latvian letter) and are embedded, subset; nothing is fetched from anywhere."""
    from weasyprint import CSS, HTML  # heavy: loaded when a PDF is asked for

    document = HTML(string=html, url_fetcher=_refuse_fetch)
    # Title and author come from the HTML's <title> and <meta name="author">.
    pdf = document.write_pdf(stylesheets=[CSS(filename=str(PDF_STYLESHEET))])
    assert pdf is not None
    return pdf


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    # Case data is in the HTML: nothing it names is loaded, not even a file on this machine.
    raise ValueError(f"the history PDF loads no resources ({url[:40]})")
