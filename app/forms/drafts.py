"""Drafts of task forms, and forms that arrive after a person's sign-in has ended.

A draft is what a person entered, saved without validation to finish later: one per task and
person, shown instead of the task's data when they open the task again, deleted when the task is
completed.

A form posted after the sign-in ended (an idle timeout in the middle of a long report) is not
lost: it is kept for a few hours under a random token that only that browser holds, and when the
person signs in again there it becomes their draft, provided they may still work on the task.
Nobody can read a kept form before that; a form kept for a task the person may not work on is
dropped.

No Flask here.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, actionable_filter
from app.db.models import FormDraft, HumanTask, KeptForm
from app.forms import service as forms

KEEP_FOR = timedelta(hours=12)
# A kept form is written before anyone has signed in, so what can be kept is capped: the size of
# one (a real form is far smaller) and how many wait at once.
MAX_KEPT_CHARS = 256 * 1024
MAX_KEPT_FORMS = 1000


# --- drafts --------------------------------------------------------------------------------------


def load_draft(session: Session, task_id: int, username: str) -> FormDraft | None:
    return session.scalars(select(FormDraft).where(FormDraft.task_id == task_id,
                                                   FormDraft.username == username)).first()


def save_draft(session: Session, task_id: int, username: str, values: Mapping[str, Any],
               now: datetime) -> FormDraft:
    """Keep ``values`` (the entries as typed) as this person's draft of the task, replacing the
    one before. The caller commits."""
    draft = load_draft(session, task_id, username)
    if draft is None:
        draft = FormDraft(task_id=task_id, username=username)
        session.add(draft)
    draft.data = dict(values)
    draft.saved_at = now
    session.flush()
    return draft


def delete_draft(session: Session, task_id: int, username: str) -> bool:
    result = session.execute(delete(FormDraft).where(FormDraft.task_id == task_id,
                                                     FormDraft.username == username))
    return bool(getattr(result, "rowcount", 0))


def forget_task_forms(session: Session, task_id: int) -> None:
    """A completed task needs no drafts and no kept forms, whoever made them."""
    session.execute(delete(FormDraft).where(FormDraft.task_id == task_id))
    session.execute(delete(KeptForm).where(KeptForm.task_id == task_id))


# --- forms kept while nobody is signed in --------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def keep_form(session: Session, token: str, task_id: int, fields: Mapping[str, list[str]],
              now: datetime) -> bool:
    """Keep the fields posted for a task under ``token``; False (nothing kept) if the task is not
    open, the form is implausibly large or too many forms are waiting already. Replaces what this token kept for the task before,
    and drops every kept form older than ``KEEP_FOR``. The caller commits."""
    clean = {name: [str(v) for v in values] for name, values in fields.items()}
    if len(json.dumps(clean, ensure_ascii=False)) > MAX_KEPT_CHARS:
        return False
    status = session.scalar(select(HumanTask.status).where(HumanTask.id == task_id))
    if status != "open":
        return False
    session.execute(delete(KeptForm).where(KeptForm.kept_at < now - KEEP_FOR))
    digest = _digest(token)
    session.execute(delete(KeptForm).where(KeptForm.token_sha256 == digest,
                                           KeptForm.task_id == task_id))
    if (session.scalar(select(func.count()).select_from(KeptForm)) or 0) >= MAX_KEPT_FORMS:
        return False
    session.add(KeptForm(token_sha256=digest, task_id=task_id, fields=clean, kept_at=now))
    session.flush()
    return True


@dataclass(frozen=True)
class Restored:
    task_id: int
    element_name: str


def restore_kept_forms(session: Session, token: str, viewer: Viewer, forms_dir: Path,
                       now: datetime) -> list[Restored]:
    """Turn what ``token`` kept into drafts of ``viewer``, for the tasks they may work on now;
    everything the token kept is deleted either way. Called right after a person signs in.
    The caller commits."""
    digest = _digest(token)
    kept = list(session.scalars(select(KeptForm).where(KeptForm.token_sha256 == digest,
                                                       KeptForm.kept_at >= now - KEEP_FOR)
                                .order_by(KeptForm.kept_at)))
    session.execute(delete(KeptForm).where(KeptForm.token_sha256 == digest))
    restored: list[Restored] = []
    for row in kept:
        task = session.scalars(select(HumanTask).where(HumanTask.id == row.task_id,
                                                       actionable_filter(viewer))).first()
        if task is None or not task.form_key:
            continue
        try:
            schema = forms.load_schema(forms_dir, task.form_key)
        except forms.FormNotFound:
            continue
        values = forms.posted_values(schema, _Posted(row.fields))
        save_draft(session, task.id, viewer.username, values, now)
        restored.append(Restored(task.id, task.element_name))
    return restored


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class _Posted(dict[str, list[str]]):
    """Kept fields read back like the posted form they were."""

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        values = super().get(key)
        return values[0] if values else default

    def getlist(self, key: str) -> list[str]:
        return list(super().get(key) or [])
