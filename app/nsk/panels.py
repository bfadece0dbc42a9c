"""The case file's NSK section (P7): the person's eligibility checks with their reasons and the
compensation lines of the monthly reports."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, record_filter
from app.cases.panels import Panel
from app.db.models import NskCompensation, NskEligibility, NskReport, Person, ProcessInstance

from .service import CO_PAYMENT_PROCESS


@dataclass(frozen=True)
class NskPanel:
    person_id: int
    checks: list[NskEligibility]
    lines: list[tuple[NskCompensation, NskReport]]
    can_check: bool


def _nsk(session: Session, viewer: Viewer, person: Person,
         instances: Sequence[ProcessInstance]) -> NskPanel | None:
    checks = list(session.scalars(select(NskEligibility).where(
        NskEligibility.person_id == person.id, record_filter(viewer, NskEligibility))
        .order_by(NskEligibility.checked_on.desc(), NskEligibility.id.desc())))
    lines = [(line, report) for line, report in session.execute(
        select(NskCompensation, NskReport).join(NskReport, NskReport.id == NskCompensation.report_id)
        .where(NskCompensation.person_id == person.id, record_filter(viewer, NskCompensation))
        .order_by(NskReport.period.desc(), NskReport.version.desc(), NskCompensation.id))]
    # NSK is for former VSAC residents: the section (and its check button) shows for a person
    # P8 has had in a VSAC, or once there is something to show.
    was_in_vsac = any(i.process_key == CO_PAYMENT_PROCESS for i in instances)
    if not checks and not lines and not (viewer.works_on_cases and was_in_vsac):
        return None
    can_check = viewer.works_on_cases and bool(person.personal_code)
    return NskPanel(person.id, checks, lines, can_check)


PANELS = (Panel("nsk", "nsk/_panel.html", _nsk, order=47),)
