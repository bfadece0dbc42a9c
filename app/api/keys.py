"""Per-organisation API keys: making one, revoking it, and finding the key a request presents.

A key reads ``dicase_<prefix>_<secret>``: the prefix finds the row, the SHA-256 of the whole
key is compared in constant time. The secrets are 256 random bits, so a plain SHA-256 cannot be
brute-forced and a slow password hash would only cost time on every call.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.access.scope import WORKING_ROLES, Viewer, viewer_of
from app.db.models import Organisation, utcnow
from app.db.models.api_keys import ApiKey

KEY_PREFIX = "dicase_"
USERNAME_PREFIX = "api:"
_KEY = re.compile(r"^dicase_([0-9a-f]{12})_([0-9a-f]{64})$")
_NAME = re.compile(r"^[\w][\w .()-]{0,99}$")
# Roles a key may carry; admin is left out: administration is done by people.
KEY_ROLES = frozenset(WORKING_ROLES | {"auditor", "process_owner"})
# last_used_at is written at most this often, so busy clients do not write on every call.
_USE_RECORDED_EVERY = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """A key that cannot be made or revoked; the message says why."""


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once, never stored


def create_key(session: Session, *, organisation_code: str, name: str, roles: list[str],
               groups: list[str], created_by: str) -> NewKey:
    """Make a key; the caller commits and shows ``secret`` once."""
    name = name.strip()
    if not _NAME.match(name):
        raise ApiKeyError("a key's name is 1-100 letters, digits, spaces or . ( ) - _")
    organisation = session.get(Organisation, organisation_code)
    if organisation is None or not organisation.active:
        raise ApiKeyError(f"no active organisation with the code {organisation_code!r}")
    unknown = sorted(set(roles) - KEY_ROLES)
    if unknown:
        raise ApiKeyError(f"unknown role(s) {', '.join(unknown)}; "
                          f"choose from {', '.join(sorted(KEY_ROLES))}")
    if not roles:
        raise ApiKeyError("a key needs at least one role")
    if any(not group or any(c.isspace() for c in group) for group in groups):
        raise ApiKeyError("a candidate group is one word")
    if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise ApiKeyError(f"a key named {name!r} exists already (names are never reused)")
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_hex(32)}"
    key = ApiKey(organisation_code=organisation_code, name=name, prefix=prefix,
                 secret_sha256=_sha256(secret), roles=sorted(set(roles)),
                 groups=sorted(set(groups)), created_by=created_by, created_at=utcnow())
    session.add(key)
    session.flush()
    return NewKey(key, secret)


def revoke_key(session: Session, key_id: int) -> ApiKey:
    """Revoke a key at once; a revoked key stays for the history and is refused from now on."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise ApiKeyError(f"no API key with the id {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.organisation_code, ApiKey.name)))


def find_active_key(session: Session, presented: str) -> ApiKey | None:
    """The unrevoked key whose secret this is, or None (unknown, malformed or revoked alike)."""
    match = _KEY.match(presented.strip())
    if match is None:
        return None
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == match.group(1))).first()
    if key is None or not hmac.compare_digest(key.secret_sha256, _sha256(presented.strip())):
        return None
    if key.revoked_at is not None:
        return None
    return key


def record_use(session: Session, key: ApiKey, now: datetime) -> None:
    """Note when the key was last used (at most once a minute); the caller commits."""
    if key.last_used_at is not None and now - key.last_used_at < _USE_RECORDED_EVERY:
        return
    session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))


def username_of(key: ApiKey) -> str:
    return USERNAME_PREFIX + key.name


def viewer_of_key(session: Session, key: ApiKey) -> Viewer:
    """The key as a viewer: ``api:<name>`` in its organisation, with its roles and groups."""
    return viewer_of(session, username_of(key), key.roles or (), key.groups or (),
                     key.organisation_code)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
