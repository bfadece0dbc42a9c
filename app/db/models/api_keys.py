from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class ApiKey(Base):
    """A key a municipal system or a service provider's software calls ``/api/v1`` with.

    Only the SHA-256 of the secret is kept: the secret is shown once, when the key is made. The
    key acts in its organisation as the user ``api:<name>`` with the roles and candidate groups
    stored here, through the same record scope as a person (``app.access.scope``).
    """

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_code: Mapped[str] = mapped_column(ForeignKey("organisation.code"), index=True)
    # Unique for ever (revoked keys included): ``api:<name>`` is who completed a task in the
    # history, so a name is never given to a second key.
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # The public part of the secret, to find the row without scanning hashes.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
