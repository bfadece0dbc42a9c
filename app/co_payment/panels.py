"""The case file's co-payment section of a VSAC resident (P8): the months, the running case, and
the button that registers the admission."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.cases.panels import Panel
from app.db.models import CoPaymentMonth, Person, ProcessInstance

from .admission import may_register
from .service import PROCESS_KEY, months_of


@dataclass(frozen=True)
class CoPaymentPanel:
    months: list[CoPaymentMonth]
    cases: list[ProcessInstance]
    may_start: bool


def _load(session: Session, viewer: Viewer, person: Person,
          instances: Sequence[ProcessInstance]) -> CoPaymentPanel | None:
    # the instances are those the viewer may read; the months are read by their ids only
    cases = [i for i in instances if i.process_key == PROCESS_KEY]
    months = months_of(session, [i.id for i in cases])
    may_start = (may_register(viewer) and person.institution_code == viewer.organisation_code
                 and bool(person.personal_code)
                 and not any(i.status == "active" for i in cases))
    if not (months or cases or may_start):
        return None
    return CoPaymentPanel(months, cases, may_start)


PANELS = (Panel("co_payment_months", "co_payment/_months_panel.html", _load, order=45),)
