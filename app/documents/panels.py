"""The case file's list of generated documents."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, record_filter
from app.cases.panels import Panel
from app.db.models import CaseDocument, Person, ProcessInstance


def _documents(session: Session, viewer: Viewer, person: Person,
               instances: Sequence[ProcessInstance]) -> list[CaseDocument] | None:
    ids = [instance.id for instance in instances]
    if not ids:
        return None
    found = list(session.scalars(
        select(CaseDocument).where(CaseDocument.instance_id.in_(ids),
                                   record_filter(viewer, CaseDocument))
        .order_by(CaseDocument.created_at.desc(), CaseDocument.id.desc())))
    return found or None


PANELS = (Panel("documents", "documents/_panel.html", _documents, order=50),)
