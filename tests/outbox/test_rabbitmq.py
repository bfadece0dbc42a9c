"""With a RabbitMQ broker: the dispatcher hands due row ids to a durable queue, a separate
sender consumes them and delivers; an id handed over twice is delivered once, because the row
in the database is claimed as before. Needs RabbitMQ on 127.0.0.1:5672 (guest/guest)."""
from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pika
import pytest

from app.outbox.broker import Publisher
from app.services import Services
from workers.outbox import consume_loop, publish_due

from .conftest import events, npais_control, rows

BROKER = "amqp://guest:guest@127.0.0.1:5672/"


def _reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _reachable(),
                                reason="RabbitMQ is not listening on 127.0.0.1:5672")


@pytest.fixture
def queue_name() -> Iterator[str]:
    name = f"dicase.outbox.test.{uuid.uuid4().hex[:12]}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(BROKER))
    connection.channel().queue_delete(queue=name)
    connection.close()


@pytest.fixture
def settings_overrides(queue_name: str) -> dict[str, Any]:
    return {"outbox_broker": BROKER, "outbox_queue": queue_name}


def _wait_until(check: Callable[[], bool], stop: threading.Event) -> bool:
    for _ in range(600):
        if check():
            return True
        stop.wait(0.05)
    return False


def test_a_sender_process_delivers_what_the_dispatcher_hands_over(
        web_services: Services, simulators: dict[str, Any], queue_name: str,
        start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["orphan_court", "police"])
    publisher = Publisher(BROKER, queue_name)
    try:
        assert publish_due(web_services, publisher) == 2
        assert publish_due(web_services, publisher) == 0  # handed over already
        # The same ids again, as a lost acknowledgement would make RabbitMQ redeliver them.
        publisher.publish([r.id for r in rows(web_services, instance_id)])
    finally:
        publisher.close()
    assert {r.status for r in rows(web_services, instance_id)} == {"queued"}

    stop = threading.Event()
    sender = threading.Thread(target=consume_loop, args=(web_services, stop, "amqp-sender-1"))
    sender.start()
    try:
        assert _wait_until(
            lambda: {r.status for r in rows(web_services, instance_id)} == {"sent"}, stop)
        # The queue is drained: the repeated ids found their rows sent and sent nothing.
        assert _wait_until(lambda: _queue_length(queue_name) == 0, stop)
    finally:
        stop.set()
        sender.join(timeout=30)
    sent = [e.detail["message_id"] for e in events(web_services, instance_id)
            if e.kind == "outbox_sent"]
    assert sorted(sent) == [r.id for r in rows(web_services, instance_id)]
    notice = next(r for r in rows(web_services, instance_id) if r.channel == "npais")
    counts = npais_control(simulators, "applied", method="get")
    assert counts["received"] == {notice.delivery_key: 1}


def _queue_length(name: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(BROKER))
    try:
        declared = connection.channel().queue_declare(queue=name, durable=True, passive=True)
        return int(declared.method.message_count)
    finally:
        connection.close()


def test_a_failed_delivery_is_handed_over_again_when_it_is_due(
        web_services: Services, simulators: dict[str, Any], queue_name: str,
        start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["orphan_court"])
    npais_control(simulators, "faults", {"mode": "fault", "count": 1})
    publisher = Publisher(BROKER, queue_name)
    stop = threading.Event()
    sender = threading.Thread(target=consume_loop, args=(web_services, stop, "amqp-sender-1"))
    sender.start()
    try:
        assert publish_due(web_services, publisher) == 1
        assert _wait_until(lambda: rows(web_services, instance_id)[0].attempts == 1
                           and rows(web_services, instance_id)[0].locked_by is None, stop)
        assert rows(web_services, instance_id)[0].status == "queued"
        assert publish_due(web_services, publisher) == 1  # due again (backoff 0): handed again
        assert _wait_until(lambda: rows(web_services, instance_id)[0].status == "sent", stop)
    finally:
        stop.set()
        sender.join(timeout=30)
        publisher.close()
    assert [e.kind for e in events(web_services, instance_id)] == [
        "outbox_queued", "outbox_attempt_failed", "outbox_sent"]
