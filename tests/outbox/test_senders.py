"""Senders side by side: each row is delivered once, a sender whose lease ran out cannot record
what another sender did, and ``dicase run``'s loop delivers by itself."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from app.db import transaction
from app.db.models import OutboxMessage, utcnow
from app.outbox import service as outbox
from app.outbox.broker import BrokerUnavailable, Publisher
from app.services import Services
from workers.outbox import deliver, outbox_loop, publish_due, send_due

from .conftest import events, npais_control, rows


def test_two_senders_racing_never_send_a_row_twice(
        web_services: Services, simulators: dict[str, Any], mail_dir: Path,
        start_probe: Callable[..., int]) -> None:
    instances = [start_probe(["orphan_court", "social_service", "police"],
                             case_number=f"P9-2026-02{n:02d}") for n in range(6)]
    total = len(rows(web_services))
    assert total == 6 * 4
    start = threading.Barrier(2)

    def sender(name: str) -> None:
        start.wait()
        while send_due(web_services, name, limit=3):
            pass

    threads = [threading.Thread(target=sender, args=(f"sender-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert {r.status for r in rows(web_services)} == {"sent"}
    assert {r.attempts for r in rows(web_services)} == {1}
    sent = Counter(e.detail["message_id"] for i in instances for e in events(web_services, i)
                   if e.kind == "outbox_sent")
    assert len(sent) == total and set(sent.values()) == {1}
    # Each NPAIS notice was received once, and one file was written per e-mail.
    counts = npais_control(simulators, "applied", method="get")
    assert sorted(counts["received"].values()) == [1] * 6
    assert len(list(mail_dir.glob("*.eml"))) == 12


def test_a_sender_whose_lease_ran_out_records_nothing(
        web_services: Services, start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["police"])
    with transaction(web_services.sessions) as session:
        [first] = outbox.claim(session, "slow-sender", 60)
    # The slow sender's lease runs out; another sender takes the row and delivers it.
    with transaction(web_services.sessions) as session:
        session.execute(update(OutboxMessage).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert send_due(web_services, "quick-sender") == 1
    assert deliver(web_services, first, "slow-sender") == "stale"
    [row] = rows(web_services, instance_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert [e.actor for e in events(web_services, instance_id) if e.kind == "outbox_sent"] == [
        "quick-sender"]


def test_the_in_process_loop_delivers(web_services: Services,
                                      start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["social_service"])
    stop = threading.Event()
    loop = threading.Thread(target=outbox_loop, args=(web_services, stop, "loop-1"))
    loop.start()
    try:
        for _ in range(400):
            if {r.status for r in rows(web_services, instance_id)} == {"sent"}:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        loop.join(timeout=30)
    assert {r.status for r in rows(web_services, instance_id)} == {"sent"}


def test_a_broker_that_cannot_be_reached_hands_nothing_over(
        web_services: Services, start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["police"])
    publisher = Publisher("amqp://guest:guest@127.0.0.1:1/", "dicase.outbox.nowhere")
    with pytest.raises(BrokerUnavailable, match="RabbitMQ cannot be reached"):
        publish_due(web_services, publisher)
    [row] = rows(web_services, instance_id)
    assert (row.status, row.published_at) == ("queued", None)  # handed over at the next chance
