"""Exports of an instance's history: JSON that a third party re-verifies with nothing but the
rule in docs/audit.md, and an A4 PDF with its fonts embedded. Both are logged as exports."""
from __future__ import annotations

import hashlib
import json
import re
import zlib

from flask.testing import FlaskClient
from sqlalchemy import select, text

from app.db import transaction
from app.db.models import AccessLogEntry, ProcessInstance
from app.services import Services

from .conftest import Case


def rehash(events: list[dict]) -> list[str]:  # type: ignore[type-arg]
    """The chain rule as docs/audit.md states it, written out independently of the app."""
    prev, hashes = "0" * 64, []
    for event in events:
        body = json.dumps([event["chain"], event["seq"], event["occurred_at"], event["kind"],
                           event["actor"], event["element_id"], event["detail"]],
                          sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        prev = hashlib.sha256((prev + body).encode("utf-8")).hexdigest()
        hashes.append(prev)
    return hashes


def test_the_json_export_can_be_verified_by_anyone(auditor: FlaskClient, p9_case: Case,
                                                   web_services: Services) -> None:
    response = auditor.get(f"/instances/{p9_case.instance_id}/history.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    exported = json.loads(response.text)
    events = exported["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert rehash(events) == [e["hash"] for e in events]
    assert [e["prev_hash"] for e in events[1:]] == [e["hash"] for e in events[:-1]]
    with web_services.sessions() as session:
        instance = session.get(ProcessInstance, p9_case.instance_id)
        assert instance is not None
        assert events[-1]["hash"] == instance.last_event_hash == \
            exported["instance"]["last_event_hash"]
    assert exported["verification"]["intact"] is True
    assert exported["generated_by"] == "auditore"
    assert {j["operation"] for j in exported["jobs"]} >= {"npais.deliver_periodic_report"}
    with web_services.sessions() as session:
        [logged] = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.action == "export")).all()
    assert (logged.record_type, logged.record_id) == ("instance", p9_case.instance_id)


def test_an_edited_export_no_longer_verifies(auditor: FlaskClient, p9_case: Case) -> None:
    exported = auditor.get(f"/instances/{p9_case.instance_id}/history.json").json
    assert exported is not None
    events = exported["events"]
    events[2]["actor"] = "someone-else"
    assert rehash(events)[2] != events[2]["hash"]


def test_the_pdf_is_a4_with_latvian_text_in_embedded_fonts(
        auditor: FlaskClient, p9_case: Case, web_services: Services) -> None:
    response = auditor.get(f"/instances/{p9_case.instance_id}/history.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    assert pdf.startswith(b"%PDF-")
    content = _inflated(pdf)
    # A4 in points, every page.
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", content)
    assert boxes and all((round(float(w)), round(float(h))) == (595, 842) for w, h in boxes)
    assert b"/FontFile2" in content  # TrueType programs embedded (subset), not just named
    assert b"+DejaVu-Sans" in content  # a subset of DejaVu Sans
    # The embedded fonts map their glyphs back to the Latvian letters the history is written in.
    for letter in "āēģīķņš":
        assert f"{ord(letter):04x}".encode() in content.lower(), letter
    with web_services.sessions() as session:
        assert session.scalar(select(AccessLogEntry.action).where(
            AccessLogEntry.path.endswith("history.pdf"))) == "export"


def test_the_pdf_of_a_tampered_history_says_so(auditor: FlaskClient, p9_case: Case,
                                               web_services: Services) -> None:
    with transaction(web_services.sessions) as session:
        session.execute(text("UPDATE event SET kind = 'task_claimed' WHERE instance_id = :i "
                             "AND seq = 3"), {"i": p9_case.instance_id})
    response = auditor.get(f"/instances/{p9_case.instance_id}/history.pdf")
    assert response.status_code == 200
    exported = auditor.get(f"/instances/{p9_case.instance_id}/history.json").json
    assert exported is not None and exported["verification"] == {
        "intact": False, "events": exported["instance"]["event_seq"], "first_broken_seq": 3,
        "event_id": exported["events"][2]["id"],
        "problem": "the event was changed after it was written"}


def _inflated(pdf: bytes) -> bytes:
    """The PDF with its Flate streams decompressed, for looking inside."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        start = match.end()
        try:
            parts.append(zlib.decompressobj().decompress(pdf[start:start + 4_000_000]))
        except zlib.error:
            continue
    return b"\n".join(parts)
