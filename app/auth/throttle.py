"""Throttling of password sign-in: after too many failures for one username, or from one
address, within a window, further attempts are refused without checking the password until
the failures age out of the window.

Only failures count. Attempts refused by the throttle itself are recorded but do not count,
so someone hammering an account cannot keep it locked forever; a successful sign-in clears
the username's failures (not the address's, or one valid account would unlock an address
that guesses at others). Usernames are stored as a keyed hash, so the table names no one.
No Flask here.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from app.db.models import LoginAttempt

FAILED = "failed"
SUCCEEDED = "succeeded"
REFUSED = "refused"

# Rows are kept this long for whoever investigates an attack, then pruned.
KEEP_ATTEMPTS = timedelta(days=7)


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures_per_username: int
    max_failures_per_address: int  # 0: no limit per address
    window: timedelta
    # Keys the username hash, so the table cannot be matched against a list of names.
    secret: str


def username_key(username: str, secret: str) -> str:
    """How a typed username is stored: HMAC-SHA-256 of its trimmed, case-folded form."""
    normalised = username.strip().casefold().encode()
    return hmac.new(secret.encode(), normalised, hashlib.sha256).hexdigest()


def refused_until(session: Session, policy: ThrottlePolicy, username: str, address: str,
                  now: datetime) -> datetime | None:
    """When password sign-in for ``username`` from ``address`` is allowed again, or None if it
    is allowed now."""
    since = now - policy.window
    key = username_key(username, policy.secret)
    last_success = session.scalar(
        select(func.max(LoginAttempt.attempted_at))
        .where(LoginAttempt.username_key == key, LoginAttempt.outcome == SUCCEEDED,
               LoginAttempt.attempted_at > since))
    user_since = max(since, last_success) if last_success else since
    candidates = [
        _reopens_at(session, LoginAttempt.username_key == key, user_since,
                    policy.max_failures_per_username, policy.window),
    ]
    if policy.max_failures_per_address > 0:
        candidates.append(_reopens_at(session, LoginAttempt.ip_address == _address(address), since,
                                      policy.max_failures_per_address, policy.window))
    blocked = [moment for moment in candidates if moment is not None and moment > now]
    return max(blocked) if blocked else None


def record_attempt(session: Session, policy: ThrottlePolicy, username: str, address: str,
                   outcome: str, now: datetime) -> None:
    """Record one attempt and prune rows older than :data:`KEEP_ATTEMPTS`; the caller commits."""
    session.add(LoginAttempt(attempted_at=now, username_key=username_key(username, policy.secret),
                             ip_address=_address(address), outcome=outcome))
    session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < now - KEEP_ATTEMPTS))


def _reopens_at(session: Session, matches: ColumnElement[bool], since: datetime, limit: int,
                window: timedelta) -> datetime | None:
    # With ``limit`` failures in the window, attempts reopen when the oldest of the latest
    # ``limit`` failures leaves it.
    if limit <= 0:
        return None
    times = session.scalars(
        select(LoginAttempt.attempted_at)
        .where(matches, LoginAttempt.outcome == FAILED, LoginAttempt.attempted_at > since)
        .order_by(LoginAttempt.attempted_at.desc())
        .limit(limit)).all()
    if len(times) < limit:
        return None
    return times[-1] + window


def _address(address: str) -> str:
    return (address or "unknown")[:45]
