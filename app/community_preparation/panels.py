"""The case file's progress view of P6: self-care assessments over time per skill area."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.cases.panels import Panel
from app.db.models import Person, ProcessInstance

from . import service


def _progress(session: Session, viewer: Viewer, person: Person,
              instances: Sequence[ProcessInstance]) -> service.Progress | None:
    ids = [i.id for i in instances if i.process_key == service.PROCESS_KEY]
    return service.progress_of(service.assessments_of(session, ids))


PANELS = (Panel("self_care_progress", "community_preparation/_progress_panel.html", _progress,
                order=40),)
