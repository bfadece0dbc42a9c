"""Queueing notifications and moving them through their states, each change recorded on the
instance's history.

No Flask here. Every change to a row happens with its instance row locked (``_locked``), the
instance first and then the row, as the engine and the sender do, and appends an ``outbox_*``
event to the instance's hash chain in the same transaction.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from adapters.npais.messages import CASE_REFERENCE_MAX, NOTICE_TEXT_MAX, NOTICE_TYPES
from app.access.scope import Viewer, record_filter
from app.audit.chain import append_instance_event
from app.db.models import OutboxMessage, ProcessInstance, utcnow

from . import contacts as c

QUEUED, SENT, ACKNOWLEDGED, FAILED = "queued", "sent", "acknowledged", "failed"
STATUSES = (QUEUED, SENT, ACKNOWLEDGED, FAILED)
SENDER = "outbox"
SUBJECT_MAX = 200
_TOPIC = re.compile(r"[A-Z][A-Z0-9_]{1,39}")
_EXPLICIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
# Where an organisation's code comes from on the instance, for the roles that have one there.
_SCOPE_COLUMN = {c.ORPHAN_COURT: "orphan_court_code", c.SOCIAL_SERVICE: "municipality_code",
                 c.INSTITUTION: "institution_code"}


class OutboxError(ValueError):
    """The notification cannot be queued (a wrong parameter, a recipient without a contact);
    the message says why. Trying again does not help: the model or the contacts file must
    change."""


class NotAllowed(LookupError):
    """The row is not there for this person (outside their scope, or not theirs to act on)."""


@dataclass(frozen=True)
class Message:
    """What a process asks to send (``outbox.send``'s parameters, checked)."""

    recipients: tuple[tuple[str, str | None], ...]  # (role, explicit code or None)
    topic: str
    subject: str
    text: str
    due_date: date | None = None


def message_from(params: dict[str, Any]) -> Message:
    """``outbox.send``'s parameters checked; OutboxError names the first wrong one."""
    unknown = set(params) - {"recipients", "topic", "subject", "text", "due_date"}
    if unknown:
        raise OutboxError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    recipients = params.get("recipients")
    if not isinstance(recipients, list) or not recipients:
        raise OutboxError("'recipients' must be a non-empty list of recipient roles")
    chosen: list[tuple[str, str | None]] = []
    for item in recipients:
        role, code = _recipient(item)
        if (role, code) not in chosen:
            chosen.append((role, code))
    topic = params.get("topic")
    if not isinstance(topic, str) or not _TOPIC.fullmatch(topic):
        raise OutboxError("'topic' must be a code in capitals such as REPORT_OVERDUE")
    subject = _text(params, "subject", SUBJECT_MAX)
    text = _text(params, "text", NOTICE_TEXT_MAX)
    due = params.get("due_date")
    due_date = None
    if due not in (None, ""):
        try:
            due_date = date.fromisoformat(str(due)) if len(str(due)) == 10 else None
        except ValueError:
            due_date = None
        if due_date is None:
            raise OutboxError("'due_date' must be a date YYYY-MM-DD")
    return Message(tuple(chosen), topic, subject, text, due_date)


def _recipient(item: Any) -> tuple[str, str | None]:
    code: Any = None
    if isinstance(item, dict):
        if set(item) - {"role", "code"}:
            raise OutboxError("a recipient given as an object has only 'role' and 'code'")
        role, code = item.get("role"), item.get("code")
        if not isinstance(code, str) or not _EXPLICIT_CODE.fullmatch(code):
            raise OutboxError(f"recipient {role!r}: 'code' must be an organisation code")
    else:
        role = item
    if role not in c.ROLES:
        raise OutboxError(f"unknown recipient {role!r}: use {', '.join(c.ROLES)}")
    return role, code


def _text(params: dict[str, Any], key: str, limit: int) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not value.strip():
        raise OutboxError(f"'{key}' must be a non-empty text")
    if len(value) > limit:
        raise OutboxError(f"'{key}' is longer than {limit} characters")
    return value.strip()


def queue(session: Session, instance: ProcessInstance, idempotency_key: str, message: Message,
          contact_list: dict[str, c.Contact], max_attempts: int) -> list[int]:
    """Queue one row per recipient and channel; the ids of the rows. The caller holds the
    instance row locked. A key seen before queues nothing and returns that key's rows."""
    before = list(session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.idempotency_key == idempotency_key).order_by(OutboxMessage.id)))
    if before:
        return before
    case_reference = (instance.business_key or f"DI-{instance.id}")[:CASE_REFERENCE_MAX]
    rows: list[OutboxMessage] = []
    for role, explicit in message.recipients:
        contact = _contact_of(instance, role, explicit, contact_list)
        for channel, address in contact.channels():
            if channel == c.NPAIS and message.topic not in NOTICE_TYPES:
                raise OutboxError(f"topic {message.topic} is not an NPAIS notice type "
                                  f"({', '.join(NOTICE_TYPES)}), so the orphan court cannot "
                                  "be notified of it")
            rows.append(OutboxMessage(
                instance_id=instance.id, idempotency_key=idempotency_key,
                delivery_key=_delivery_key(idempotency_key, len(rows) + 1),
                case_reference=case_reference, topic=message.topic, subject=message.subject,
                text=message.text, due_date=message.due_date, recipient_role=role,
                recipient_code=contact.code, recipient_name=contact.name, channel=channel,
                address=address, status=QUEUED, attempts=0, max_attempts=max_attempts,
                next_attempt_at=utcnow(), person_id=instance.person_id,
                record_kind=instance.record_kind, municipality_code=instance.municipality_code,
                institution_code=instance.institution_code,
                orphan_court_code=instance.orphan_court_code,
                confidential=instance.confidential))
    session.add_all(rows)
    session.flush()
    for row in rows:
        append_instance_event(session, instance, "outbox_queued", SENDER, None, {
            **_about(row), "topic": row.topic})
    return [row.id for row in rows]


def _contact_of(instance: ProcessInstance, role: str, explicit: str | None,
                contact_list: dict[str, c.Contact]) -> c.Contact:
    if explicit:
        code = explicit
    elif role in c.NATIONAL_ROLES:
        code = role
    elif role == c.MINISTRY:
        code = c.MINISTRY_CODE
    else:
        column = _SCOPE_COLUMN[role]
        code = getattr(instance, column) or ""
        if not code:
            raise OutboxError(f"recipient {role}: the case has no {column}; give the "
                              f"organisation as {{\"role\": \"{role}\", \"code\": \"...\"}}")
    contact = contact_list.get(code)
    if contact is None:
        raise OutboxError(f"recipient {role}: no contact for '{code}' in the contacts file "
                          "(data/notification_contacts.csv); add the organisation's address "
                          "there and retry the incident")
    if role == c.ORPHAN_COURT and not contact.npais_code:
        raise OutboxError(f"recipient {role}: the contact '{code}' has no NPAIS code")
    return contact


def _delivery_key(idempotency_key: str, number: int) -> str:
    key = f"{idempotency_key}-m{number}"
    if len(key) <= 128 and re.fullmatch(r"[!-~]+", key):
        return key
    return f"outbox-{hashlib.sha256(idempotency_key.encode()).hexdigest()}-m{number}"


def _about(row: OutboxMessage) -> dict[str, Any]:
    """What an event says about its row: never the text (it leaves the product by e-mail and
    is already in the row), never a person."""
    return {"message_id": row.id, "channel": row.channel, "recipient_role": row.recipient_role,
            "recipient_code": row.recipient_code}


def _locked(session: Session, message_id: int) -> tuple[ProcessInstance, OutboxMessage] | None:
    """The row and its instance, the instance locked first (the engine's order), then the row."""
    instance_id = session.scalar(select(OutboxMessage.instance_id).where(
        OutboxMessage.id == message_id))
    if instance_id is None:
        return None
    instance = session.scalars(select(ProcessInstance).where(ProcessInstance.id == instance_id)
                               .with_for_update().execution_options(populate_existing=True)).one()
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.id == message_id)
                          .with_for_update().execution_options(populate_existing=True)).one()
    return instance, row


# --- the sender's side -----------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A row a sender holds the lease on, with what delivering it needs."""

    id: int
    channel: str
    address: str
    delivery_key: str
    case_reference: str
    topic: str
    subject: str
    text: str
    due_date: date | None
    recipient_name: str
    attempt: int
    external_id: str | None


def _claimed(row: OutboxMessage) -> Claimed:
    return Claimed(row.id, row.channel, row.address, row.delivery_key, row.case_reference,
                   row.topic, row.subject, row.text, row.due_date, row.recipient_name,
                   row.attempts, row.external_id)


def _free(now: datetime) -> Any:
    return or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now)


def due_condition(now: datetime) -> Any:
    """Queued rows whose time has come and that no sender holds."""
    return and_(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= now, _free(now))


def claim(session: Session, worker: str, lease_seconds: float, limit: int = 10,
          only_id: int | None = None) -> list[Claimed]:
    """Take the lease on up to ``limit`` due rows (or on ``only_id`` if it is due). Rows another
    sender holds are skipped, never waited for, so two senders never take the same row."""
    now = utcnow()
    query = select(OutboxMessage).where(due_condition(now))
    if only_id is not None:
        query = query.where(OutboxMessage.id == only_id)
    rows = session.scalars(query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                           .limit(limit).with_for_update(skip_locked=True)).all()
    for row in rows:
        row.locked_by, row.locked_until = worker, now + timedelta(seconds=lease_seconds)
        row.attempts += 1
    return [_claimed(row) for row in rows]


def claim_polls(session: Session, worker: str, lease_seconds: float,
                limit: int = 20) -> list[Claimed]:
    """Sent NPAIS notices whose acknowledgement should be asked for now."""
    now = utcnow()
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == SENT, OutboxMessage.channel == c.NPAIS,
               OutboxMessage.next_attempt_at <= now, _free(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit).with_for_update(skip_locked=True)).all()
    for row in rows:
        row.locked_by, row.locked_until = worker, now + timedelta(seconds=lease_seconds)
    return [_claimed(row) for row in rows]


def _held(session: Session, message_id: int, worker: str,
          status: str) -> tuple[ProcessInstance, OutboxMessage] | None:
    found = _locked(session, message_id)
    if found is None:
        return None
    _instance, row = found
    # The lease ran out and another sender took the row, or an operator changed it: not ours.
    if row.locked_by != worker or row.status != status:
        return None
    return found


def mark_sent(session: Session, message_id: int, worker: str, external_id: str | None,
              next_poll_seconds: float | None) -> bool:
    """The row was delivered; ``next_poll_seconds`` for a channel that acknowledges later."""
    found = _held(session, message_id, worker, QUEUED)
    if found is None:
        return False
    instance, row = found
    now = utcnow()
    row.status, row.external_id, row.sent_at, row.last_error = SENT, external_id, now, None
    row.locked_by = row.locked_until = None
    if next_poll_seconds is not None:
        row.next_attempt_at = now + timedelta(seconds=next_poll_seconds)
    append_instance_event(session, instance, "outbox_sent", worker, None, {
        **_about(row), "attempt": row.attempts, "external_id": external_id})
    return True


def mark_attempt_failed(session: Session, message_id: int, worker: str, error: str,
                        retryable: bool, backoff_seconds: float) -> str:
    """A delivery failed: retry later with a doubled delay, or, out of attempts or hopeless,
    fail with the reason. Returns retry, failed or stale."""
    found = _held(session, message_id, worker, QUEUED)
    if found is None:
        return "stale"
    instance, row = found
    row.last_error, row.locked_by, row.locked_until = error, None, None
    row.published_at = None
    detail = {**_about(row), "attempt": row.attempts, "error": error}
    if retryable and row.attempts < row.max_attempts:
        row.next_attempt_at = utcnow() + timedelta(
            seconds=backoff_seconds * 2 ** (row.attempts - 1))
        append_instance_event(session, instance, "outbox_attempt_failed", worker, None, {
            **detail, "retry_at": row.next_attempt_at.isoformat()})
        return "retry"
    row.status = FAILED
    append_instance_event(session, instance, "outbox_failed", worker, None, detail)
    return "failed"


def mark_acknowledged(session: Session, message_id: int, actor: str, by: str,
                      at: datetime | None, worker: str | None = None) -> bool:
    """The recipient confirmed the message (an orphan court in NPAIS, a user in the app)."""
    found = _locked(session, message_id)
    if found is None:
        return False
    instance, row = found
    if row.status != SENT or (worker is not None and row.locked_by != worker):
        return False
    row.status, row.acknowledged_by = ACKNOWLEDGED, by
    row.acknowledged_at = at or utcnow()
    row.locked_by = row.locked_until = None
    append_instance_event(session, instance, "outbox_acknowledged", actor, None, {
        **_about(row), "by": by, "at": row.acknowledged_at.isoformat()})
    return True


def poll_later(session: Session, message_id: int, worker: str, seconds: float) -> None:
    row = session.get(OutboxMessage, message_id, with_for_update=True)
    if row is not None and row.locked_by == worker:
        row.locked_by = row.locked_until = None
        row.next_attempt_at = utcnow() + timedelta(seconds=seconds)


def to_publish(session: Session, lease_seconds: float, limit: int = 100) -> list[int]:
    """Due rows not handed to the broker within a lease (a lost AMQP message is handed again);
    marked as handed now."""
    now = utcnow()
    rows = session.scalars(
        select(OutboxMessage)
        .where(due_condition(now),
               or_(OutboxMessage.published_at.is_(None),
                   OutboxMessage.published_at < now - timedelta(seconds=lease_seconds)))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit).with_for_update(skip_locked=True)).all()
    for row in rows:
        row.published_at = now
    return [row.id for row in rows]


def unpublish(session: Session, message_ids: Sequence[int]) -> None:
    """The broker did not take these ids: hand them over again at the next chance."""
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(list(message_ids)),
                                                OutboxMessage.status == QUEUED)
                    .values(published_at=None))


# --- operators -------------------------------------------------------------------------------


def retry(session: Session, message_id: int, operator: str) -> bool:
    """An operator sends a failed message again, with a fresh count of attempts."""
    found = _locked(session, message_id)
    if found is None:
        return False
    instance, row = found
    if row.status != FAILED:
        return False
    row.status, row.attempts, row.next_attempt_at = QUEUED, 0, utcnow()
    row.locked_by = row.locked_until = row.published_at = None
    append_instance_event(session, instance, "outbox_retried", operator, None, {
        **_about(row), "error": row.last_error or ""})
    return True


def for_operator(session: Session, statuses: Sequence[str] = (FAILED, QUEUED),
                 limit: int = 200) -> list[OutboxMessage]:
    """Rows an operator watches: failed ones and those still waiting, oldest first."""
    return list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.status.in_(list(statuses)))
        .order_by(OutboxMessage.created_at, OutboxMessage.id).limit(limit)))


def hidden_from(session: Session, viewer: Viewer, rows: Sequence[OutboxMessage]) -> set[int]:
    """The rows whose record the viewer may not read (an operator outside the adoption unit and
    an adoption letter): the operator may send them again, but sees neither the recipient nor
    the case."""
    ids = [row.id for row in rows]
    if not ids:
        return set()
    readable = set(session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.id.in_(ids), record_filter(viewer, OutboxMessage))))
    return set(ids) - readable


def counts(session: Session) -> dict[str, int]:
    found = {status: count for status, count in session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))}
    return {status: int(found.get(status, 0)) for status in STATUSES}


def of_instance(session: Session, instance_id: int) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(
        OutboxMessage.instance_id == instance_id).order_by(OutboxMessage.id)))


# --- in-app messages to an organisation -------------------------------------------------------


def _to_organisation(viewer: Viewer) -> Any:
    """SQL condition: in-app messages delivered to the viewer's organisation, in their scope."""
    return and_(OutboxMessage.channel == c.IN_APP,
                OutboxMessage.recipient_code == (viewer.organisation_code or ""),
                OutboxMessage.status.in_([SENT, ACKNOWLEDGED]),
                record_filter(viewer, OutboxMessage))


def for_organisation(session: Session, viewer: Viewer, limit: int = 200) -> list[OutboxMessage]:
    """The in-app messages to the viewer's organisation: unconfirmed first, newest first."""
    if not viewer.works_on_cases or not viewer.organisation_code:
        return []
    return list(session.scalars(
        select(OutboxMessage).where(_to_organisation(viewer))
        .order_by((OutboxMessage.status == ACKNOWLEDGED), OutboxMessage.sent_at.desc(),
                  OutboxMessage.id.desc()).limit(limit)))


def unconfirmed_count(session: Session, viewer: Viewer) -> int:
    if not viewer.works_on_cases or not viewer.organisation_code:
        return 0
    return int(session.scalar(select(func.count()).select_from(OutboxMessage).where(
        _to_organisation(viewer), OutboxMessage.status == SENT)) or 0)


def confirm(session: Session, viewer: Viewer, message_id: int) -> None:
    """A user of the addressed organisation marks the message received. NotAllowed if it is
    not one they see (the same condition as the list), or is already confirmed."""
    visible = session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.id == message_id, _to_organisation(viewer)))
    if visible is None or not viewer.works_on_cases:
        raise NotAllowed(message_id)
    if not mark_acknowledged(session, message_id, viewer.username, viewer.username, None):
        raise NotAllowed(message_id)
