"""Who wants which reports in the monthly pack, and where it is sent. No Flask here; functions that
take a session never commit (the caller owns the transaction).

A person subscribes only to reports they may see (``engine.visible_reports``); whether they still
may is checked again every month when the pack is made, so a person who changed organisation or
lost a role gets only what they may see that day, or nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.db.models import ReportSubscriber, ReportSubscription, User, utcnow
from app.texts import N_

from .definitions import ReportDefinition
from .engine import visible_reports

# A plain check of the address's shape: the mail server is the judge of whether it exists.
_ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
ADDRESS_MAX = 254


class SubscriptionError(ValueError):
    """A subscription cannot be saved; the message says why (a msgid, shown translated)."""


@dataclass(frozen=True)
class Subscriptions:
    """A person's choice: the address and the reports, in the catalogue's order."""

    email: str
    report_ids: tuple[str, ...]


def subscriptions_of(session: Session, user_id: int) -> Subscriptions:
    email = session.scalar(select(ReportSubscriber.email).where(
        ReportSubscriber.user_id == user_id)) or ""
    ids = set(session.scalars(select(ReportSubscription.report_id).where(
        ReportSubscription.user_id == user_id)))
    from .definitions import REPORTS

    return Subscriptions(email, tuple(r for r in REPORTS if r in ids))


def check_address(email: str) -> str:
    email = email.strip()
    if len(email) > ADDRESS_MAX or not _ADDRESS.fullmatch(email):
        raise SubscriptionError(N_("Enter an e-mail address such as name@example.lv."))
    return email


def save(session: Session, user: User, viewer: Viewer, email: str,
         report_ids: list[str]) -> Subscriptions:
    """Replace the person's subscriptions with ``report_ids`` sent to ``email``. A report the
    person may not see is refused, as if it did not exist; none at all unsubscribes."""
    visible = {d.id for d in visible_reports(viewer)}
    wanted = list(dict.fromkeys(report_ids))
    unknown = [r for r in wanted if r not in visible]
    if unknown:
        raise SubscriptionError(N_("A chosen report is not in your catalogue."))
    if not wanted:
        unsubscribe_all(session, user.id)
        return Subscriptions("", ())
    address = check_address(email)
    subscriber = session.get(ReportSubscriber, user.id)
    if subscriber is None:
        session.add(ReportSubscriber(user_id=user.id, email=address, updated_at=utcnow()))
    elif subscriber.email != address:
        subscriber.email = address
        subscriber.updated_at = utcnow()
    have = set(session.scalars(select(ReportSubscription.report_id).where(
        ReportSubscription.user_id == user.id)))
    for report_id in wanted:
        if report_id not in have:
            session.add(ReportSubscription(user_id=user.id, report_id=report_id,
                                           created_at=utcnow()))
    gone = have - set(wanted)
    if gone:
        session.execute(delete(ReportSubscription).where(
            ReportSubscription.user_id == user.id, ReportSubscription.report_id.in_(gone)))
    session.flush()
    return subscriptions_of(session, user.id)


def unsubscribe_all(session: Session, user_id: int) -> None:
    """No more packs, and the address is forgotten."""
    session.execute(delete(ReportSubscription).where(ReportSubscription.user_id == user_id))
    session.execute(delete(ReportSubscriber).where(ReportSubscriber.user_id == user_id))


def subscriber_ids(session: Session) -> list[int]:
    """The active accounts with an address and at least one subscribed report, in id order."""
    return list(session.scalars(
        select(User.id).join(ReportSubscriber, ReportSubscriber.user_id == User.id)
        .where(User.active.is_(True),
               select(ReportSubscription.id).where(ReportSubscription.user_id == User.id)
               .exists())
        .order_by(User.id)))


def still_visible(viewer: Viewer, report_ids: tuple[str, ...]) -> list[ReportDefinition]:
    """The subscribed reports the person may see today, in the catalogue's order."""
    wanted = set(report_ids)
    return [d for d in visible_reports(viewer) if d.id in wanted]
