"""The case file's child-protection section (P10): the orphan court's decisions, the parties
notified and how far each notice got, the survey of the biological family, the placement and
the state of the child's P9 case, in one place."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.cases.panels import Panel
from app.db.models import Person, ProcessInstance

from .service import CaseFacts, case_facts


def _cases(session: Session, viewer: Viewer, person: Person,
           instances: Sequence[ProcessInstance]) -> list[CaseFacts] | None:
    # ``instances`` are the ones the viewer may read; the rest is read by their ids only
    return case_facts(session, instances) or None


PANELS = (Panel("child_protection_cases", "child_protection/_case_panel.html", _cases, order=35),)
