"""The access log: every view of a person's file, every download, and every refused look.

One row per event, written in its own short transaction so a page view is logged even when the
page then fails. Only ids and usernames go in; no personal codes or names.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.db import transaction
from app.db.models import AccessLogEntry

from .scope import Viewer

VIEW = "view"
DOWNLOAD = "download"
SEARCH = "search"
EXPORT = "export"
DENIED = "denied"


def record_access(sessions: sessionmaker[Session], viewer: Viewer, action: str, record_type: str,
                  record_id: int | None, path: str = "") -> None:
    with transaction(sessions) as session:
        session.add(AccessLogEntry(username=viewer.username,
                                   organisation_code=viewer.organisation_code, action=action,
                                   record_type=record_type, record_id=record_id,
                                   path=path[:500]))


def who_viewed(session: Session, record_type: str, record_id: int) -> list[AccessLogEntry]:
    """Answers "who looked at this child's file", newest first."""
    return list(session.scalars(
        select(AccessLogEntry)
        .where(AccessLogEntry.record_type == record_type, AccessLogEntry.record_id == record_id)
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())))
