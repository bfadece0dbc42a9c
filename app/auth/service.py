"""Accounts: creating local ones, checking a password, keeping the accounts of people who sign in
through the identity provider, the signed-in person the web layer keeps, and the server's record
of each signed-in browser session (``signed_in_session``), which is what lets a session be ended
before its limits.

No Flask here: the web layer turns a ``User`` row into a ``SignedInUser`` and hands it to
flask-login, which only needs the four attributes below.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.auth.password_policy import check_password
from app.auth.passwords import hash_password, verify_password
from app.db.models import SignedInSession, User, utcnow

# A session's row is deleted this long after it started (at some later sign-in): long enough for
# whoever looks into an incident, since a session lasts hours at most.
KEEP_SIGNED_IN_SESSIONS = timedelta(days=90)


class SessionEnd(Enum):
    """Why a signed-in session ended, as ``signed_in_session.end_reason`` records it."""

    SIGNED_OUT = "signed_out"
    IDLE = "idle"
    MAX_AGE = "max_age"
    ENDED_BY_ADMIN = "ended_by_admin"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    # The same browser signed in again, so its earlier session cannot be taken up by a copy.
    REPLACED = "replaced"


class NoSuchAccount(LookupError):
    """No account has this username."""


@dataclass(frozen=True)
class SignedInUser:
    """What a request knows about the person signed in; a plain copy, so no session is held open."""

    id: int
    username: str
    display_name: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    organisation_code: str | None
    locale: str

    # flask-login's protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def of(cls, user: User) -> SignedInUser:
        return cls(id=user.id, username=user.username, display_name=user.display_name,
                   roles=tuple(user.roles or ()), groups=tuple(user.groups or ()),
                   organisation_code=user.organisation_code, locale=user.locale or "lv")


def create_user(session: Session, username: str, display_name: str, password: str,
                roles: Iterable[str] = (), groups: Iterable[str] = (),
                organisation_code: str | None = None, *, locale: str = "lv",
                active: bool = True, enforce_policy: bool = True) -> User:
    """Add a local account with an argon2 hash of ``password``; the caller commits.

    The password must pass the policy (``WeakPassword`` otherwise); an empty one makes an
    account that cannot sign in with a password at all. ``enforce_policy=False`` is for the
    demo accounts only, whose passwords are published in the README."""
    if password and enforce_policy:
        check_password(username, password)
    user = User(username=username.strip(), display_name=display_name,
                password_hash=hash_password(password) if password else "", roles=list(roles),
                groups=list(groups), organisation_code=organisation_code, locale=locale,
                active=active)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None whatever the reason,
    so the login page cannot tell who has an account."""
    user = session.scalars(select(User).where(User.username == username.strip())).first()
    if user is None:
        # Spend the same time as a real check, so the answer's timing does not tell either.
        verify_password(_unknown_user_hash(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    return user


def provision_federated_user(session: Session, username: str, display_name: str,
                             roles: Iterable[str], groups: Iterable[str],
                             organisation_code: str | None, locale: str | None) -> User | None:
    """The account of a person the identity provider vouched for, created on their first
    sign-in (without a password) and brought up to date with the provider on every sign-in:
    the provider is the source of their name, roles, groups and organisation. None if the
    account was deactivated here. The caller commits."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = User(username=username, display_name=display_name, password_hash="",
                    roles=list(roles), groups=list(groups), organisation_code=organisation_code,
                    locale=locale or "lv", active=True)
        session.add(user)
        session.flush()
        return user
    if not user.active:
        return None
    user.display_name = display_name
    user.roles = list(roles)
    user.groups = list(groups)
    user.organisation_code = organisation_code
    session.flush()
    return user


def account_id_of(session: Session, username: str) -> int:
    """The id of the account with this username; ``NoSuchAccount`` if there is none."""
    found = session.scalar(select(User.id).where(User.username == username.strip()))
    if found is None:
        raise NoSuchAccount(username)
    return found


# --- signed-in sessions --------------------------------------------------------------------------


def token_digest(token: str) -> str:
    """What the database keeps of a session's token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def record_sign_in(session: Session, user_id: int, method: str, now: datetime) -> str:
    """Record a new signed-in session of ``user_id`` and return its token, for the browser's
    cookie only. Rows older than :data:`KEEP_SIGNED_IN_SESSIONS` are deleted on the way (there is
    no periodic clean-up; an indexed range delete at each sign-in is cheap). The caller commits."""
    token = secrets.token_urlsafe(32)
    session.add(SignedInSession(token_sha256=token_digest(token), user_id=user_id, method=method,
                                started_at=now, last_seen_at=now))
    session.execute(delete(SignedInSession)
                    .where(SignedInSession.started_at < now - KEEP_SIGNED_IN_SESSIONS))
    return token


def signed_in_session(session: Session, user_id: str,
                      token: str) -> tuple[User, SignedInSession] | None:
    """The account and the session row a cookie names, read together in one query; None if
    the database has no such session of this account. The row may be ended, the account
    deactivated: the caller decides."""
    try:
        key = int(user_id)
    except ValueError:
        return None
    found = session.execute(
        select(User, SignedInSession)
        .join(SignedInSession, SignedInSession.user_id == User.id)
        .where(SignedInSession.token_sha256 == token_digest(token), User.id == key)).first()
    return None if found is None else (found[0], found[1])


def touch_signed_in_session(session: Session, session_id: int, now: datetime) -> None:
    """Note that the session was used at ``now``. The caller commits."""
    session.execute(update(SignedInSession)
                    .where(SignedInSession.id == session_id, SignedInSession.ended_at.is_(None))
                    .values(last_seen_at=now))


def end_signed_in_session(session: Session, token: str, reason: SessionEnd,
                          now: datetime) -> bool:
    """End the session of this token, if it is open; whether it was. The caller commits."""
    ended = session.execute(update(SignedInSession)
                            .where(SignedInSession.token_sha256 == token_digest(token),
                                   SignedInSession.ended_at.is_(None))
                            .values(ended_at=now, end_reason=reason.value))
    return bool(ended.rowcount)  # type: ignore[attr-defined]


def end_sessions_of(session: Session, user_id: int, reason: SessionEnd,
                    now: datetime | None = None) -> int:
    """End every open signed-in session of ``user_id``: each is refused at its next request.
    Bearer tokens of the API are not sessions and are not affected. How many were open; the
    caller commits."""
    ended = session.execute(update(SignedInSession)
                            .where(SignedInSession.user_id == user_id,
                                   SignedInSession.ended_at.is_(None))
                            .values(ended_at=now or utcnow(), end_reason=reason.value))
    return int(ended.rowcount)  # type: ignore[attr-defined]


def display_name_of(session: Session, username: str) -> str:
    """The name a person is shown by to colleagues; the username if there is no such account."""
    name = session.scalar(select(User.display_name).where(User.username == username))
    return name or username


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    return hash_password("no such user")
