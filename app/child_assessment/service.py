"""Starting a child's needs assessment and reading what its tasks recorded. No Flask here.

What the people working a P2 case submitted is kept by the engine in the ``task_completed``
events (the same source the case file's form summaries read), so the child group and the
services needed are read from there: nothing is copied into a table of its own.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.cases.service import start_process_for
from app.db.models import Event, Person, ProcessInstance
from app.engine.runtime import Engine

PROCESS_KEY = "p02_child_needs_assessment"
# The tasks whose answers make up the structured result of an assessment.
REFERRAL_TASK = "refer_child"
NEEDS_TASKS = ("record_needs_family", "record_needs_institution")


def start_data(person: Person, case_number: str) -> dict[str, Any]:
    """The start data of a P2 instance about ``person``: what the service tasks need."""
    return {"case_number": case_number, "personal_code": person.personal_code,
            "municipality_code": person.municipality_code}


def start_assessment(engine: Engine, session: Session, viewer: Viewer, person: Person,
                     case_number: str) -> int:
    """Start P2 for a person the viewer works on; the referral task waits for the social service."""
    return start_process_for(engine, session, viewer, person.id, PROCESS_KEY,
                             start_data(person, case_number), business_key=case_number)


@dataclass
class AssessmentFacts:
    """The structured part of one assessment, as its tasks last submitted it."""

    instance_id: int
    child_group: str | None = None
    referral_date: date | None = None
    interview_date: date | None = None
    services_needed: list[str] = field(default_factory=list)
    decision: str | None = None
    corrections: int = 0
    last_submitted_at: datetime | None = None


def assessment_facts(session: Session, instance_ids: Iterable[int]) -> dict[int, AssessmentFacts]:
    """The facts of each instance (the caller has checked the viewer may read them)."""
    ids = sorted(set(instance_ids))
    facts = {iid: AssessmentFacts(iid) for iid in ids}
    if not ids:
        return facts
    rows = session.execute(
        select(Event.instance_id, Event.element_id, Event.detail, Event.occurred_at)
        .where(Event.instance_id.in_(ids), Event.kind == "task_completed")
        .order_by(Event.instance_id, Event.seq))
    for instance_id, element_id, detail, occurred_at in rows:
        data = detail.get("data") if isinstance(detail, Mapping) else None
        if not isinstance(data, Mapping) or instance_id is None:
            continue
        one = facts[instance_id]
        one.last_submitted_at = occurred_at
        if element_id == REFERRAL_TASK:
            one.child_group = _text(data.get("child_group"))
            one.referral_date = _date(data.get("referral_date"))
        elif element_id == "interview":
            one.interview_date = _date(data.get("interview_date"))
        elif element_id in NEEDS_TASKS:
            services = data.get("services_needed")
            one.services_needed = [str(s) for s in services] if isinstance(services, list) else []
        elif element_id == "review":
            one.decision = _text(data.get("decision"))
            if one.decision == "RETURN":
                one.corrections += 1
    return facts


def p2_instances(session: Session, person_instances: Iterable[ProcessInstance]
                 ) -> list[ProcessInstance]:
    return [i for i in person_instances if i.process_key == PROCESS_KEY]


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
