"""The outbox sender: claims queued notifications with a lease, delivers each over its channel
outside any transaction, and records the outcome (sent, a retry with backoff, or failed with
the reason); asks NPAIS whether sent notices were acknowledged.

With ``outbox_broker`` set, the loop here only hands due row ids to RabbitMQ (and polls
acknowledgements); ``dicase outbox-sender`` processes consume them (``consume_loop``).
"""
from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import OperationalError

from adapters.registry import AdapterError
from app.db import transaction
from app.outbox import channels
from app.outbox import service as outbox
from app.outbox.broker import BrokerUnavailable, Publisher, consume
from app.outbox.contacts import NPAIS
from app.services import Services

log = logging.getLogger(__name__)


def send_due(services: Services, worker: str, limit: int = 10) -> int:
    """Deliver up to ``limit`` due messages; how many were taken."""
    with transaction(services.sessions) as session:
        claimed = outbox.claim(session, worker, services.settings.lease_seconds, limit)
    for message in claimed:
        deliver(services, message, worker)
    return len(claimed)


def send_one(services: Services, message_id: int, worker: str) -> str:
    """Deliver the row ``message_id`` if it is due and free (an id handed over by the broker);
    ``skipped`` if it is not (already sent, failed, or another sender holds it)."""
    with transaction(services.sessions) as session:
        claimed = outbox.claim(session, worker, services.settings.lease_seconds, 1,
                               only_id=message_id)
    if not claimed:
        return "skipped"
    return deliver(services, claimed[0], worker)


def deliver(services: Services, message: outbox.Claimed, worker: str) -> str:
    """Send one claimed message; what became of it (sent, retry, failed, stale)."""
    settings = services.settings
    try:
        external_id = channels.deliver(settings, message)
    except AdapterError as err:
        return _failed(services, message, worker, str(err), err.retryable)
    except Exception as err:  # noqa: BLE001 - a channel's bug must not kill the sender
        log.error("outbox message %s: %s raised %s", message.id, message.channel,
                  type(err).__name__)
        return _failed(services, message, worker, f"{type(err).__name__}: {err}", False)
    poll = settings.outbox_ack_poll_seconds if message.channel == NPAIS else None
    with transaction(services.sessions) as session:
        done = outbox.mark_sent(session, message.id, worker, external_id, poll)
    return "sent" if done else "stale"


def _failed(services: Services, message: outbox.Claimed, worker: str, error: str,
            retryable: bool) -> str:
    log.warning("outbox message %s over %s failed (attempt %s, %s)", message.id,
                message.channel, message.attempt, "retryable" if retryable else "permanent")
    with transaction(services.sessions) as session:
        return outbox.mark_attempt_failed(session, message.id, worker, error, retryable,
                                          services.settings.outbox_backoff_seconds)


def poll_acknowledgements(services: Services, worker: str, limit: int = 20) -> int:
    """Ask NPAIS about sent notices whose poll is due; how many were acknowledged."""
    settings = services.settings
    with transaction(services.sessions) as session:
        claimed = outbox.claim_polls(session, worker, settings.lease_seconds, limit)
    acknowledged = 0
    for message in claimed:
        try:
            status = channels.npais_acknowledgement(settings, message)
        except AdapterError as err:
            # An unanswered question is asked again later; the notice itself was delivered.
            log.warning("outbox message %s: acknowledgement not known (%s)", message.id,
                        "retryable" if err.retryable else "permanent")
            status = None
        with transaction(services.sessions) as session:
            if status is not None and status.acknowledged:
                acknowledged += outbox.mark_acknowledged(
                    session, message.id, worker, message.recipient_name, status.acknowledged_at,
                    worker=worker)
            else:
                outbox.poll_later(session, message.id, worker, settings.outbox_ack_poll_seconds)
    return acknowledged


def publish_due(services: Services, publisher: Publisher, limit: int = 100) -> int:
    """Hand due rows' ids to the broker. The rows are marked handed over and committed first:
    a sender that got an id while the mark was uncommitted would find the row locked and drop
    the id. If the broker then refuses them, the mark is taken back."""
    with transaction(services.sessions) as session:
        message_ids = outbox.to_publish(session, services.settings.lease_seconds, limit)
    if not message_ids:
        return 0
    try:
        publisher.publish(message_ids)
    except BrokerUnavailable:
        with transaction(services.sessions) as session:
            outbox.unpublish(session, message_ids)
        raise
    return len(message_ids)


def outbox_loop(services: Services, stop: threading.Event, name: str) -> None:
    """The sender of ``dicase run`` and ``dicase worker``: delivers due messages itself, or,
    with a broker, hands them to the ``dicase outbox-sender`` processes."""
    settings = services.settings
    idle = settings.poll_seconds
    backoff = idle
    publisher = Publisher(settings.outbox_broker, settings.outbox_queue) \
        if settings.outbox_broker else None
    try:
        while not stop.is_set():
            try:
                busy = publish_due(services, publisher) if publisher else send_due(services, name)
                poll_acknowledgements(services, name)
                backoff = idle
            except (OperationalError, BrokerUnavailable) as err:
                backoff = min(backoff * 2, 30.0)
                log.warning("outbox sender %s: %s, retrying in %.1f s", name,
                            type(err).__name__, backoff)
                stop.wait(backoff)
                continue
            if not busy:
                stop.wait(idle)
    finally:
        if publisher is not None:
            publisher.close()


def consume_loop(services: Services, stop: threading.Event, name: str) -> None:
    """A sender of ``dicase outbox-sender``: delivers the rows whose ids the broker hands it."""
    settings = services.settings
    backoff = settings.poll_seconds
    while not stop.is_set():
        try:
            consume(settings.outbox_broker, settings.outbox_queue, stop,
                    lambda message_id: _log_outcome(send_one(services, message_id, name)),
                    idle_seconds=max(settings.poll_seconds, 0.2))
            backoff = settings.poll_seconds
        except (OperationalError, BrokerUnavailable) as err:
            backoff = min(backoff * 2, 30.0)
            log.warning("outbox sender %s: %s, retrying in %.1f s", name, type(err).__name__,
                        backoff)
            stop.wait(backoff)


def _log_outcome(outcome: str) -> None:
    log.debug("outbox message: %s", outcome)
