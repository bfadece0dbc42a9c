"""The case file's section on a person's community services (P3): the accepted service records.
Records are read through ``records.visible_records`` so the panel adds no access rule of its own."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.cases.panels import Panel
from app.db.models import Person, ProcessInstance, ServiceRecord
from app.domain.service_types import service_type_name

from .records import visible_records

SHOWN = 50


@dataclass
class ServicesPanel:
    records: list[ServiceRecord]

    @staticmethod
    def service_name(code: str, lang: str) -> str:
        return service_type_name(code, lang)

    @property
    def total_cents(self) -> int:
        return sum(r.cost_cents for r in self.records)


def load(session: Session, viewer: Viewer, person: Person,
         instances: Sequence[ProcessInstance]) -> ServicesPanel | None:
    found = list(session.scalars(visible_records(viewer).where(
        ServiceRecord.person_id == person.id, ServiceRecord.status == "accepted")
        .order_by(ServiceRecord.period_from.desc(), ServiceRecord.id.desc()).limit(SHOWN)))
    return ServicesPanel(found) if found else None


PANELS = (Panel("community_services", "community_services/_panel.html", load, order=40),)
