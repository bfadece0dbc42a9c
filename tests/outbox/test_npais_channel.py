"""An orphan court is notified through NPAIS (its simulator over HTTP): the row's key makes a
retried delivery one notice, failures are retried and then fail with the reason, an operator
sends it again, and the court's acknowledgement is polled for and recorded."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.audit.chain import verify_instance_history
from app.auth.service import create_user
from app.db import transaction
from app.db.models import OutboxMessage, ProcessInstance
from app.services import Services
from tests.web.conftest import PASSWORD, csrf_from, login
from workers.outbox import poll_acknowledgements, send_due

from .conftest import events, npais_control, rows


def _kinds(services: Services, instance_id: int) -> list[str]:
    return [e.kind for e in events(services, instance_id)]


def _chain_intact(services: Services, instance_id: int) -> bool:
    with services.sessions() as session:
        instance = session.scalars(select(ProcessInstance).where(
            ProcessInstance.id == instance_id)).one()
        return verify_instance_history(session, instance).intact


def test_a_notice_reaches_the_orphan_court_and_its_acknowledgement_comes_back(
        web_services: Services, simulators: dict[str, Any],
        start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["orphan_court"])
    assert send_due(web_services, "sender-1") == 1
    [row] = rows(web_services, instance_id)
    assert row.status == "sent" and row.external_id and row.sent_at is not None
    [received] = npais_control(simulators, "received?operation=NotifyOrphanCourt", method="get")
    assert received["idempotency_key"] == row.delivery_key
    assert received["id"] == row.external_id
    fields = received["fields"]
    assert (fields["OrphanCourtCode"], fields["CaseReference"], fields["NoticeType"],
            fields["DueDate"], fields["Recipients"]) == (
        "RIGA", "P9-2026-0101", "CHILD_SEPARATED", "2026-12-15", ["ORPHAN_COURT"])
    assert fields["Text"].startswith("Bērns šķirts no ģimenes\n\nLietā pieņemts lēmums")

    # Not acknowledged yet: asked, and asked again later.
    assert poll_acknowledgements(web_services, "sender-1") == 0
    assert rows(web_services, instance_id)[0].status == "sent"
    state = npais_control(simulators, f"notices/{row.external_id}/acknowledge",
                          {"at": "2026-11-27T09:15:00+00:00"})
    assert state["status"] == "ACKNOWLEDGED"
    assert poll_acknowledgements(web_services, "sender-1") == 1
    [row] = rows(web_services, instance_id)
    assert row.status == "acknowledged"
    assert row.acknowledged_by == "Rīgas bāriņtiesa"
    assert row.acknowledged_at is not None and row.acknowledged_at.isoformat().startswith(
        "2026-11-27T09:15:00")
    assert _kinds(web_services, instance_id) == ["outbox_queued", "outbox_sent",
                                                 "outbox_acknowledged"]
    assert _chain_intact(web_services, instance_id)


def test_a_fault_is_retried_then_fails_and_an_operator_sends_it_again(
        app: Flask, web_services: Services, simulators: dict[str, Any],
        start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["orphan_court"], topic="REPORT_OVERDUE")
    npais_control(simulators, "faults", {"mode": "fault", "count": 3})
    for attempt in (1, 2, 3):  # backoff 0 in the tests: each retry is due at once
        assert send_due(web_services, "sender-1") == 1, attempt
    [row] = rows(web_services, instance_id)
    assert (row.status, row.attempts) == ("failed", 3)
    assert "temporarily unavailable" in (row.last_error or "")
    assert send_due(web_services, "sender-1") == 0  # a failed row waits for an operator
    assert npais_control(simulators, "applied", method="get")["applied"] == {}
    kinds = _kinds(web_services, instance_id)
    assert kinds == ["outbox_queued", "outbox_attempt_failed", "outbox_attempt_failed",
                     "outbox_failed"]

    with transaction(web_services.sessions) as session:
        create_user(session, "operators", "Olga Operatore", PASSWORD, roles=["operator"],
                    groups=[], organisation_code="LM")
    client = app.test_client()
    assert login(client, "operators").status_code == 302
    page = client.get("/outbox")
    assert page.status_code == 200
    assert "Rīgas bāriņtiesa" in page.text and "P9-2026-0101" in page.text
    assert "temporarily unavailable" in page.text
    answer = client.post("/outbox/retry", data={"csrf_token": csrf_from(page), "one": row.id})
    assert answer.status_code == 302
    assert rows(web_services, instance_id)[0].status == "queued"

    assert send_due(web_services, "sender-1") == 1
    [row] = rows(web_services, instance_id)
    assert row.status == "sent" and row.attempts == 1
    assert npais_control(simulators, "applied", method="get")["applied"] == {row.delivery_key: 1}
    retried = [e for e in events(web_services, instance_id) if e.kind == "outbox_retried"]
    assert [e.actor for e in retried] == ["operators"]
    assert _chain_intact(web_services, instance_id)


def test_a_timeout_after_npais_applied_the_notice_is_one_notice(
        web_services: Services, simulators: dict[str, Any],
        start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["orphan_court"])
    # NPAIS takes the notice but answers after the client (5 s timeout) gave up.
    npais_control(simulators, "faults", {"mode": "timeout", "count": 1, "delay": 6})
    assert send_due(web_services, "sender-1") == 1
    assert rows(web_services, instance_id)[0].status == "queued"
    assert send_due(web_services, "sender-1") == 1
    [row] = rows(web_services, instance_id)
    assert row.status == "sent"
    counts = npais_control(simulators, "applied", method="get")
    assert counts["applied"] == {row.delivery_key: 1}


def test_a_court_npais_does_not_know_fails_at_once(web_services: Services,
                                                  start_probe: Callable[..., int]) -> None:
    # The contacts file named an NPAIS code NPAIS does not have: retrying would not help.
    instance_id = start_probe(["orphan_court"])
    with transaction(web_services.sessions) as session:
        row = session.get(OutboxMessage, rows(web_services, instance_id)[0].id)
        assert row is not None
        row.address = "NOWHERE"
    assert send_due(web_services, "sender-1") == 1
    [row] = rows(web_services, instance_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "Unknown orphan court code 'NOWHERE'" in (row.last_error or "")
    assert [e.kind for e in events(web_services, instance_id)][-1] == "outbox_failed"


def test_the_operator_page_is_for_operators(app: Flask, web_services: Services) -> None:
    with transaction(web_services.sessions) as session:
        create_user(session, "dace", "Dace", PASSWORD, roles=["caseworker"],
                    groups=["social_service"], organisation_code="RIGA")
    client = app.test_client()
    assert login(client, "dace").status_code == 302
    assert client.get("/outbox").status_code == 403
