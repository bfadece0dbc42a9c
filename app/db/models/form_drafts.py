from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime, utcnow


class FormDraft(Base):
    """A partly filled task form a person saved to finish later: one per task and person.

    ``data`` holds the entries as typed (not validated), so the form shows them again as they
    were; completing the task deletes the task's drafts.
    """

    __tablename__ = "form_draft"
    __table_args__ = (UniqueConstraint("task_id", "username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), index=True)
    username: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeptForm(Base):
    """A task form posted after the person's sign-in had ended, kept for a few hours until they
    sign in again in the same browser and it becomes their draft.

    Nobody is signed in when it arrives, so it is found only by the SHA-256 of a random token
    kept in that browser's signed session cookie, and nobody can read it before it is a draft of
    a person who may work on the task. Kept here, beside the drafts it turns into.
    """

    __tablename__ = "kept_form"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), index=True)
    # The posted fields as they came: field name → list of values.
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
