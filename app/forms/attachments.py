"""Files attached to task forms: checked by their content, stored as database blobs.

No Flask here: the web layer hands over the uploaded bytes (read up to the limit) and the name
the browser gave. A file is refused when it is too big, empty, or not one of the types the field
accepts, judged by its first bytes and never by its name or the browser's claim.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Attachment

# What can be attached, recognised by the signature its format starts with.
ALLOWED_TYPES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg,.jpeg"}
TYPE_NAMES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass(frozen=True)
class Upload:
    """A file as posted: the field, the name the browser gave, and the bytes read (at most one
    more than the limit, so an oversized file is recognised without reading it all)."""

    field_name: str
    file_name: str
    content: bytes


class AttachmentRefused(Exception):
    """An upload that is not stored. ``reason`` is too_large, empty or wrong_type."""

    def __init__(self, field_name: str, reason: str) -> None:
        self.field_name = field_name
        self.reason = reason
        super().__init__(f"attachment for {field_name} refused: {reason}")


def sniff(content: bytes) -> str | None:
    """The content type the bytes start like, among the allowed ones; None for anything else."""
    for content_type, signatures in ALLOWED_TYPES.items():
        if any(content.startswith(signature) for signature in signatures):
            return content_type
    return None


def check_upload(upload: Upload, accepted: Iterable[str], max_bytes: int) -> str:
    """The content type of an acceptable upload; raises ``AttachmentRefused`` otherwise."""
    if len(upload.content) > max_bytes:
        raise AttachmentRefused(upload.field_name, "too_large")
    if not upload.content:
        raise AttachmentRefused(upload.field_name, "empty")
    content_type = sniff(upload.content)
    if content_type is None or content_type not in set(accepted):
        raise AttachmentRefused(upload.field_name, "wrong_type")
    return content_type


def clean_file_name(name: str) -> str:
    """The last part of the name the browser sent, without control characters or path signs,
    at most 255 characters; "pielikums" if nothing is left."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" .")
    if len(base) > 255:
        stem, dot, extension = base.rpartition(".")
        base = (stem[:250 - len(extension)] + dot + extension) if dot and len(extension) < 10 \
            else base[:255]
    return base or "pielikums"


def store_uploads(session: Session, uploads: Mapping[str, tuple[Upload, str]], *,
                  instance_id: int, task_id: int, username: str) -> dict[str, Attachment]:
    """Store checked uploads (field name → upload and its content type) in one transaction the
    caller commits; the new rows by field name."""
    stored: dict[str, Attachment] = {}
    for field_name, (upload, content_type) in uploads.items():
        row = Attachment(instance_id=instance_id, task_id=task_id, field_name=field_name,
                         file_name=clean_file_name(upload.file_name), content_type=content_type,
                         size=len(upload.content),
                         sha256=hashlib.sha256(upload.content).hexdigest(),
                         content=upload.content, uploaded_by=username)
        session.add(row)
        stored[field_name] = row
    session.flush()
    return stored


def task_attachments(session: Session, task_id: int, ids: Iterable[str]) -> dict[str, Attachment]:
    """The attachments of this task among ``ids`` (as posted or stored in the data), by id as
    text; an id of another task's attachment is not among them, so a form cannot claim it."""
    wanted = {int(i) for i in ids if str(i).isdigit()}
    if not wanted:
        return {}
    rows = session.scalars(select(Attachment).where(Attachment.task_id == task_id,
                                                    Attachment.id.in_(wanted)))
    return {str(row.id): row for row in rows}


def attachments_by_id(session: Session, instance_id: int, ids: Iterable[Any]) -> dict[str, Attachment]:
    """The attachments of this instance among ``ids``, by id as text."""
    wanted = {int(i) for i in ids if str(i).isdigit()}
    if not wanted:
        return {}
    rows = session.scalars(select(Attachment).where(Attachment.instance_id == instance_id,
                                                    Attachment.id.in_(wanted)))
    return {str(row.id): row for row in rows}


def format_size(size: int, lang: str) -> str:
    """120 KB, 2,4 MB (decimal comma in Latvian)."""
    if size < 1024:
        text = f"{size} B"
    elif size < 1024 * 1024:
        text = f"{round(size / 1024)} KB"
    else:
        text = f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return text.replace(".", ",") if lang == "lv" else text
