"""The case file's section on a person's needs assessment (P1): the IAP versions, the link to
compare two of them, the needs levels by life domain, and the button that starts an assessment."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, record_filter
from app.cases.panels import Panel
from app.db.models import Event, Person, ProcessInstance
from app.db.models.support_plans import SupportPlanVersion
from app.domain.needs_assessment import needs_levels_by_domain
from app.domain.service_types import service_type_name

from .questionnaire import domain_titles, level_titles
from .service import PROCESS_KEY

# Who may start an assessment from the case file: the person's institution or social service.
STARTING_GROUPS = frozenset({"institution", "social_service"})


@dataclass(frozen=True)
class NeedsRow:
    key: str
    level: int


@dataclass
class AssessmentPanel:
    versions: list[SupportPlanVersion]
    instances: list[ProcessInstance]
    needs: list[NeedsRow] = field(default_factory=list)
    may_start: bool = False

    def domain_title(self, key: str, lang: str) -> str:
        return domain_titles(lang).get(key, key)

    def level_title(self, level: int, lang: str) -> str:
        return level_titles(lang).get(level, str(level))

    def service_label(self, code: str, lang: str) -> str:
        return service_type_name(str(code), lang)


def visible_versions(session: Session, viewer: Viewer, person_id: int) -> list[SupportPlanVersion]:
    return list(session.scalars(select(SupportPlanVersion).where(
        SupportPlanVersion.person_id == person_id, record_filter(viewer, SupportPlanVersion))
        .order_by(SupportPlanVersion.version)))


def latest_needs(session: Session, instance_ids: Sequence[int]) -> dict[str, int]:
    """The needs levels of the latest interview completed in these instances."""
    if not instance_ids:
        return {}
    detail = session.scalars(select(Event.detail).where(
        Event.instance_id.in_(instance_ids), Event.kind == "task_completed",
        Event.element_id == "interview").order_by(Event.occurred_at.desc(), Event.seq.desc())
        .limit(1)).first()
    data = detail.get("data") if isinstance(detail, Mapping) else None
    needs: Any = data.get("needs") if isinstance(data, Mapping) else None
    try:
        return needs_levels_by_domain(needs if isinstance(needs, dict) else None)
    except ValueError:
        return {}


def _load(session: Session, viewer: Viewer, person: Person,
          instances: Sequence[ProcessInstance]) -> AssessmentPanel | None:
    mine = [i for i in instances if i.process_key == PROCESS_KEY]
    versions = visible_versions(session, viewer, person.id)
    may_start = (viewer.works_on_cases and bool(STARTING_GROUPS & set(viewer.groups))
                 and bool(person.institution_code))
    if not mine and not versions and not may_start:
        return None
    order = list(domain_titles("lv"))
    levels = latest_needs(session, [i.id for i in mine])
    needs = [NeedsRow(key, levels[key]) for key in order if key in levels]
    return AssessmentPanel(versions=versions, instances=sorted(mine, key=lambda i: -i.id),
                           needs=needs, may_start=may_start)


PANELS = (Panel("adult_assessment", "assessment/_panel.html", _load, order=20),)
