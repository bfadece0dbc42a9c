"""The case file's co-payment months of a VSAC resident (P8)."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.cases.panels import Panel
from app.db.models import CoPaymentMonth, Person, ProcessInstance

from .service import PROCESS_KEY, months_of


def _months(session: Session, viewer: Viewer, person: Person,
            instances: Sequence[ProcessInstance]) -> list[CoPaymentMonth] | None:
    # the instances are those the viewer may read; the months are read by their ids only
    return months_of(session, [i.id for i in instances if i.process_key == PROCESS_KEY]) or None


PANELS = (Panel("co_payment_months", "co_payment/_months_panel.html", _months, order=45),)
