"""Recomputing the hash chains of the event log, and naming the first broken link of each.

The rule itself (what a row's hash covers) lives in ``app.audit.chain``; this module runs it over
one instance or over every chain and says where a chain breaks: the chain, the sequence number
and the event's id (for a removed event: the id of the event after the gap, if there is one).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.chain import (
    SYSTEM_CHAIN,
    ChainCheck,
    verify_chain,
    verify_instance_history,
)
from app.db.models import Event, ProcessInstance


@dataclass(frozen=True)
class ChainVerdict:
    """One chain, recomputed: intact, or where its first broken link is."""

    chain: str
    events: int
    intact: bool
    seq: int | None = None
    event_id: int | None = None
    problem: str = ""

    @classmethod
    def of(cls, session: Session, check: ChainCheck) -> ChainVerdict:
        if check.intact:
            return cls(check.chain, check.events, True)
        return cls(check.chain, check.events, False, check.first_bad_seq,
                   _event_at_or_after(session, check.chain, check.first_bad_seq),
                   check.problem)

    def describe(self) -> str:
        if self.intact:
            return f"{self.chain}: intact ({self.events} events)"
        where = f"event id {self.event_id}" if self.event_id is not None else "no event row"
        return f"{self.chain}: BROKEN at seq {self.seq} ({where}): {self.problem}"


def verify_instance(session: Session, instance: ProcessInstance) -> ChainVerdict:
    """The instance's chain, checked against the head its row keeps (so a cut tail shows)."""
    return ChainVerdict.of(session, verify_instance_history(session, instance))


def verify_instance_id(session: Session, instance_id: int) -> ChainVerdict | None:
    instance = session.get(ProcessInstance, instance_id)
    return verify_instance(session, instance) if instance is not None else None


def verify_all(session: Session, batch: int = 500) -> Iterator[ChainVerdict]:
    """The system chain, then every instance's chain, in id order."""
    yield ChainVerdict.of(session, verify_chain(session, SYSTEM_CHAIN))
    last_id = 0
    while True:
        instances = list(session.scalars(select(ProcessInstance)
                                         .where(ProcessInstance.id > last_id)
                                         .order_by(ProcessInstance.id).limit(batch)))
        if not instances:
            return
        for instance in instances:
            yield verify_instance(session, instance)
        last_id = instances[-1].id
        session.expunge_all()  # keep memory flat over a large log


def _event_at_or_after(session: Session, chain: str, seq: int | None) -> int | None:
    if seq is None:
        return None
    return session.scalar(select(Event.id).where(Event.chain == chain, Event.seq >= seq)
                          .order_by(Event.seq).limit(1))
