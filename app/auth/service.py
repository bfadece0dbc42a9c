"""Accounts: creating local ones, checking a password, keeping the accounts of people who sign in
through the identity provider, and the signed-in person the web layer keeps.

No Flask here: the web layer turns a ``User`` row into a ``SignedInUser`` and hands it to
flask-login, which only needs the four attributes below.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.password_policy import check_password
from app.auth.passwords import hash_password, verify_password
from app.db.models import User


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


def load_user(session: Session, user_id: str) -> SignedInUser | None:
    """The signed-in user for a session cookie's id; None once the account is deactivated."""
    try:
        key = int(user_id)
    except ValueError:
        return None
    user = session.get(User, key)
    if user is None or not user.active:
        return None
    return SignedInUser.of(user)


def display_name_of(session: Session, username: str) -> str:
    """The name a person is shown by to colleagues; the username if there is no such account."""
    name = session.scalar(select(User.display_name).where(User.username == username))
    return name or username


@lru_cache(maxsize=1)
def _unknown_user_hash() -> str:
    return hash_password("no such user")
