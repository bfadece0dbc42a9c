"""The case file's section on a child's needs assessments: child group, services needed, state."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.cases.panels import Panel
from app.db.models import Person, ProcessInstance
from app.domain.child_assessment import child_group_name, service_name

from .service import AssessmentFacts, assessment_facts, p2_instances


@dataclass(frozen=True)
class AssessmentRow:
    instance: ProcessInstance
    facts: AssessmentFacts

    def group_name(self, lang: str) -> str:
        return child_group_name(self.facts.child_group, lang) if self.facts.child_group else ""

    def service_names(self, lang: str) -> str:
        return "; ".join(service_name(code, lang) for code in self.facts.services_needed)


def _assessments(session: Session, viewer: Viewer, person: Person,
                 instances: Sequence[ProcessInstance]) -> list[AssessmentRow] | None:
    mine = p2_instances(session, instances)
    if not mine:
        return None
    facts = assessment_facts(session, [i.id for i in mine])
    return [AssessmentRow(i, facts[i.id]) for i in sorted(mine, key=lambda i: i.id, reverse=True)]


PANELS = (Panel("child_assessment", "child_assessment/_panel.html", _assessments, order=30),)
