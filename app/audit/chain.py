"""The append-only, hash-chained event log.

Each instance has its own chain (``instance:<id>``), so appending needs only the instance row the
engine step already holds locked; events that belong to no instance go to the ``system`` chain.
A row's hash covers its content and the previous row's hash; ``verify_chain`` recomputes them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import Table, insert, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from app.db.models import Event, ProcessInstance, utcnow

GENESIS = "0" * 64
SYSTEM_CHAIN = "system"


def instance_chain(instance_id: int) -> str:
    return f"instance:{instance_id}"


# Built once: json.dumps with options builds an encoder on every call.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              default=str)
_DETAIL = json.JSONEncoder(default=str)


def _digest(prev_hash: str, chain: str, seq: int, occurred_at: datetime, kind: str, actor: str,
            element_id: str | None, detail: dict[str, Any]) -> str:
    body = _CANONICAL.encode(
        [chain, seq, occurred_at.isoformat(timespec="microseconds"), kind, actor, element_id, detail])
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def _normalised(detail: dict[str, Any]) -> dict[str, Any]:
    # Hash what the database will give back: JSON round-trip turns dates into strings etc.
    return json.loads(_DETAIL.encode(detail))


class ChainHead(Protocol):
    """An instance as a step holds it: the ORM row or the engine's row."""

    id: int
    event_seq: int
    last_event_hash: str


@dataclass(slots=True)
class NewEvent:
    """An event appended to a chain and not inserted yet; ``detail_json`` is the text stored."""

    chain: str
    seq: int
    instance_id: int | None
    occurred_at: datetime
    kind: str
    actor: str
    element_id: str | None
    detail: dict[str, Any]
    detail_json: str
    prev_hash: str
    hash: str

    def row(self) -> dict[str, Any]:
        return {"chain": self.chain, "seq": self.seq, "instance_id": self.instance_id,
                "occurred_at": self.occurred_at, "kind": self.kind, "actor": self.actor,
                "element_id": self.element_id, "detail": self.detail,
                "prev_hash": self.prev_hash, "hash": self.hash}


def instance_event(instance: ChainHead, kind: str, actor: str, element_id: str | None = None,
                   detail: dict[str, Any] | None = None, at: datetime | None = None) -> NewEvent:
    """The next event of the instance's chain; moves the instance's head (``event_seq``,
    ``last_event_hash``) to it. The caller holds the instance row for this transaction, writes
    the new head in it and inserts the event in the same transaction."""
    occurred_at = at or utcnow()
    # Hash what the database will give back: the JSON round trip turns dates into strings etc.
    # The text is what is stored: it loads to the same value.
    detail_json = _DETAIL.encode(detail or {})
    clean = json.loads(detail_json)
    seq = instance.event_seq + 1
    chain = instance_chain(instance.id)
    prev = instance.last_event_hash or GENESIS
    digest = _digest(prev, chain, seq, occurred_at, kind, actor, element_id, clean)
    instance.event_seq = seq
    instance.last_event_hash = digest
    return NewEvent(chain, seq, instance.id, occurred_at, kind, actor, element_id, clean,
                    detail_json, prev, digest)


_PENDING = "dicase_pending_events"
_INSERT_EVENTS = insert(cast(Table, Event.__table__))


def pending_events(session: Session) -> list[NewEvent]:
    """The events appended in the session's transaction, inserted just before it commits."""
    found: list[NewEvent] = session.info.setdefault(_PENDING, [])
    return found


def append_instance_event(session: Session, instance: ChainHead, kind: str, actor: str,
                          element_id: str | None = None, detail: dict[str, Any] | None = None,
                          at: datetime | None = None) -> None:
    """Append to the instance's chain. The caller holds the instance row for this transaction and
    writes its new head (``event_seq``, ``last_event_hash``) in the same transaction. The rows are
    inserted together just before the transaction commits."""
    pending_events(session).append(instance_event(instance, kind, actor, element_id, detail, at))


@sa_event.listens_for(Session, "before_commit")
def _insert_pending_events(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.connection().execute(_INSERT_EVENTS, [e.row() for e in pending])


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_pending_events(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)


def append_system_event(session: Session, kind: str, actor: str,
                        detail: dict[str, Any] | None = None) -> Event:
    """Append to the system chain. Two writers racing for the same seq collide on the unique
    (chain, seq) constraint and one transaction fails, so the chain never forks."""
    last = session.execute(
        select(Event.seq, Event.hash).where(Event.chain == SYSTEM_CHAIN)
        .order_by(Event.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    occurred_at = utcnow()
    clean = _normalised(detail or {})
    event = Event(chain=SYSTEM_CHAIN, seq=seq, instance_id=None, occurred_at=occurred_at, kind=kind,
                  actor=actor, element_id=None, detail=clean, prev_hash=prev,
                  hash=_digest(prev, SYSTEM_CHAIN, seq, occurred_at, kind, actor, None, clean))
    session.add(event)
    return event


@dataclass(frozen=True)
class ChainCheck:
    chain: str
    events: int
    intact: bool
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain(session: Session, chain: str) -> ChainCheck:
    rows = session.scalars(select(Event).where(Event.chain == chain).order_by(Event.seq)).all()
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        if row.seq != expected_seq:
            return ChainCheck(chain, len(rows), False, expected_seq, "an event is missing")
        if row.prev_hash != prev:
            return ChainCheck(chain, len(rows), False, row.seq, "the link to the previous event is broken")
        digest = _digest(prev, row.chain, row.seq, row.occurred_at, row.kind, row.actor,
                         row.element_id, row.detail)
        if digest != row.hash:
            return ChainCheck(chain, len(rows), False, row.seq, "the event was changed after it was written")
        prev = row.hash
    return ChainCheck(chain, len(rows), True)


def verify_instance_history(session: Session, instance: ProcessInstance) -> ChainCheck:
    """The instance's chain is intact and ends where the instance row says it ends, so events
    removed from the tail are detected too."""
    check = verify_chain(session, instance_chain(instance.id))
    if check.intact and (check.events != instance.event_seq
                         or (check.events and instance.last_event_hash != _last_hash(session, check.chain))):
        return ChainCheck(check.chain, check.events, False, check.events + 1,
                          "events at the end of the history are missing")
    return check


def _last_hash(session: Session, chain: str) -> str:
    return session.scalar(
        select(Event.hash).where(Event.chain == chain).order_by(Event.seq.desc()).limit(1)
    ) or GENESIS
