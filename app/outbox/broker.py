"""Handing queued outbox rows to RabbitMQ (setting ``outbox_broker``), and taking them from it.

Only row ids travel: the database row stays the truth. A sender that receives an id claims the
row as the database-polling sender does (status, due time and lease are checked there), so an
id delivered twice, or one whose row another sender already took, sends nothing twice.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import pika
import pika.exceptions

log = logging.getLogger(__name__)


class BrokerUnavailable(Exception):
    """RabbitMQ cannot be reached or refused the channel; the message says which."""


def _connect(url: str, queue: str) -> tuple[Any, Any]:
    try:
        connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = connection.channel()
        # Durable queue, persistent messages: ids survive a broker restart.
        channel.queue_declare(queue=queue, durable=True)
    except (pika.exceptions.AMQPError, OSError) as err:
        raise BrokerUnavailable(f"RabbitMQ cannot be reached: {type(err).__name__}") from None
    return connection, channel


class Publisher:
    """One connection per thread (pika's blocking connection is not thread-safe), opened on
    first use and again after a failure."""

    def __init__(self, url: str, queue: str) -> None:
        self.url, self.queue = url, queue
        self._connection: Any = None
        self._channel: Any = None

    def publish(self, message_ids: Iterable[int]) -> None:
        if self._channel is None or not self._channel.is_open:
            self.close()
            self._connection, self._channel = _connect(self.url, self.queue)
            self._channel.confirm_delivery()  # basic_publish returns once the broker has it
        try:
            for message_id in message_ids:
                self._channel.basic_publish(
                    exchange="", routing_key=self.queue, body=str(message_id).encode(),
                    properties=pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent))
        except (pika.exceptions.AMQPError, OSError) as err:
            self.close()
            raise BrokerUnavailable(f"RabbitMQ did not take the message: {type(err).__name__}") \
                from None

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except (pika.exceptions.AMQPError, OSError):
                pass  # closing a broken connection: nothing left to release


def consume(url: str, queue: str, stop: threading.Event, handle: Callable[[int], None],
            idle_seconds: float = 1.0) -> None:
    """Take ids from the queue one at a time and ``handle`` each until ``stop`` is set. An id
    is acknowledged after ``handle`` returns; if it raises, the id goes back to the queue."""
    connection, channel = _connect(url, queue)
    try:
        channel.basic_qos(prefetch_count=1)
        for method, _properties, body in channel.consume(queue, inactivity_timeout=idle_seconds):
            if method is None:
                if stop.is_set():
                    break
                continue
            try:
                message_id = int(body)
            except ValueError:
                log.warning("outbox queue %s: dropped a message that is not a row id", queue)
                channel.basic_ack(method.delivery_tag)
                continue
            try:
                handle(message_id)
            except Exception:
                channel.basic_nack(method.delivery_tag, requeue=True)
                raise
            channel.basic_ack(method.delivery_tag)
            if stop.is_set():
                break
        channel.cancel()
    except (pika.exceptions.AMQPError, OSError) as err:
        raise BrokerUnavailable(f"RabbitMQ connection lost: {type(err).__name__}") from None
    finally:
        if connection.is_open:
            try:
                connection.close()
            except (pika.exceptions.AMQPError, OSError):
                pass
