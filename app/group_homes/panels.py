"""The case file's group-home stays of a person (P5): every stay with its dates and home."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, record_filter
from app.cases.panels import Panel
from app.db.models import GroupHomeStay, Person, ProcessInstance
from app.domain import group_homes as rules

from .service import PLACEMENT_PROCESS


@dataclass(frozen=True)
class StayRow:
    stay: GroupHomeStay
    home: rules.GroupHome


def _stays(session: Session, viewer: Viewer, person: Person,
           instances: Sequence[ProcessInstance]) -> list[StayRow] | None:
    ids = [i.id for i in instances if i.process_key == PLACEMENT_PROCESS]
    if not ids:
        return None
    rows = session.scalars(select(GroupHomeStay).where(
        GroupHomeStay.instance_id.in_(ids), record_filter(viewer, GroupHomeStay))
        .order_by(GroupHomeStay.start_date, GroupHomeStay.id))
    register = rules.register()
    found = [StayRow(stay, register[stay.group_home_code]) for stay in rows
             if stay.group_home_code in register]
    return found or None


PANELS = (Panel("group_home_stays", "group_homes/_stays_panel.html", _stays, order=40),)
