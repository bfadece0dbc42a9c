"""The case file's out-of-family care section (P9): each placement with its dates, the next
report's due date, and every report with the orphan court's and the social service's receipts."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import SERVICE_PROVIDER, VSAC, Viewer, record_filter
from app.cases.panels import Panel
from app.db.models import (
    ChildPlacement,
    HumanTask,
    PeriodicReportDelivery,
    Person,
    ProcessInstance,
)
from app.domain.calendar import RIGA, today_in_latvia

from . import service

DUE_SOON_DAYS = 14


@dataclass
class PlacementRow:
    instance: ProcessInstance
    placement: ChildPlacement | None
    next_report: HumanTask | None
    today: date
    can_end: bool = False
    reports: list[PeriodicReportDelivery] = field(default_factory=list)

    @property
    def due(self) -> date | None:
        """The report's due day (``due_at`` is when it has passed: the next midnight in Riga)."""
        due_at = self.next_report.due_at if self.next_report else None
        return due_at.astimezone(RIGA).date() - timedelta(days=1) if due_at else None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < self.today

    @property
    def due_soon(self) -> bool:
        return (self.due is not None and not self.overdue
                and (self.due - self.today).days <= DUE_SOON_DAYS)


def _placements(session: Session, viewer: Viewer, person: Person,
                instances: Sequence[ProcessInstance]) -> list[PlacementRow] | None:
    mine = sorted((i for i in instances if i.process_key == service.PROCESS_KEY),
                  key=lambda i: i.id, reverse=True)
    if not mine:
        return None
    ids = [i.id for i in mine]
    placements = {p.instance_id: p for p in session.scalars(select(ChildPlacement).where(
        ChildPlacement.instance_id.in_(ids), record_filter(viewer, ChildPlacement)))}
    tasks = service.open_report_tasks(session, ids)
    today = today_in_latvia()
    # The institution ends a placement from here; the others read (the form checks again).
    can_end = viewer.works_on_cases and viewer.organisation_kind in (VSAC, SERVICE_PROVIDER)
    rows = {i.id: PlacementRow(i, placements.get(i.id), tasks.get(i.id), today,
                               can_end and i.status == "active") for i in mine}
    for report in session.scalars(select(PeriodicReportDelivery).where(
            PeriodicReportDelivery.instance_id.in_(ids),
            record_filter(viewer, PeriodicReportDelivery))
            .order_by(PeriodicReportDelivery.report_date.desc(), PeriodicReportDelivery.id.desc())):
        rows[report.instance_id].reports.append(report)
    return list(rows.values())


PANELS = (Panel("out_of_family_care", "out_of_family_care/_placements_panel.html", _placements,
                order=45),)
