"""P10's decisions and cases, written and read. No Flask here.

A separation decision starts a case (``p10_child_protection``) whose business key is the case
number; the decision's row then records what the case did with the child (the P9 placement and
its end). A return decision is delivered to that case as the message ``p10_child_returned``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, record_filter
from app.db.models import (
    ChildProtectionDecision,
    Event,
    HumanTask,
    Organisation,
    Person,
    ProcessInstance,
)
from app.domain.calendar import parse_date
from app.domain.child_protection import RETURN, SEPARATION

PROCESS_KEY = "p10_child_protection"
RETURN_MESSAGE = "p10_child_returned"
P9_KEY = "p09_out_of_family_care"
SURVEY_TASK = "survey_family"
PLACEMENT_TASK = "place_child"
SYSTEM_ACTOR = "system:p10"


def separation_of(session: Session, instance_id: int) -> ChildProtectionDecision | None:
    """The separation decision that started the case ``instance_id``."""
    return session.scalars(select(ChildProtectionDecision).where(
        ChildProtectionDecision.instance_id == instance_id,
        ChildProtectionDecision.kind == SEPARATION)).first()


def return_of(session: Session, separation_id: int) -> ChildProtectionDecision | None:
    return session.scalars(select(ChildProtectionDecision).where(
        ChildProtectionDecision.separation_id == separation_id,
        ChildProtectionDecision.kind == RETURN)).first()


def visible_decisions(session: Session, viewer: Viewer, *, kind: str | None = None,
                      limit: int = 200) -> list[ChildProtectionDecision]:
    """The decisions in the viewer's scope, newest first (the decisions page)."""
    query = select(ChildProtectionDecision).where(
        record_filter(viewer, ChildProtectionDecision))
    if kind:
        query = query.where(ChildProtectionDecision.kind == kind)
    return list(session.scalars(query.order_by(ChildProtectionDecision.decision_date.desc(),
                                               ChildProtectionDecision.id.desc()).limit(limit)))


def organisation_names(session: Session, codes: Sequence[str | None]) -> dict[str, str]:
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    return {row.code: row.name_lv for row in session.scalars(
        select(Organisation).where(Organisation.code.in_(wanted)))}


@dataclass
class CaseFacts:
    """Everything the case file shows about one child-protection case."""

    instance: ProcessInstance
    separation: ChildProtectionDecision
    returned: ChildProtectionDecision | None = None
    survey: dict[str, Any] | None = None
    survey_by: str | None = None
    survey_at: datetime | None = None
    notices: list[dict[str, Any]] = field(default_factory=list)
    placement: ProcessInstance | None = None
    names: dict[str, str] = field(default_factory=dict)

    @property
    def survey_date(self) -> date | None:
        value = (self.survey or {}).get("survey_date")
        try:
            return parse_date(str(value)) if value else None
        except ValueError:
            return None

    @property
    def survey_due(self) -> date | None:
        from app.domain.child_protection import survey_due

        return survey_due(self.separation.decision_date)


def case_facts(session: Session, instances: Sequence[ProcessInstance]) -> list[CaseFacts]:
    """The P10 cases among ``instances`` (the ones the viewer may read), each with its
    decisions, survey, notices and P9 placement, newest first."""
    cases = [i for i in instances if i.process_key == PROCESS_KEY]
    found: list[CaseFacts] = []
    for instance in sorted(cases, key=lambda i: i.id, reverse=True):
        separation = separation_of(session, instance.id)
        if separation is None:
            continue
        facts = CaseFacts(instance, separation, return_of(session, separation.id))
        _add_survey(session, facts)
        facts.notices = notices_of(session, instance.id)
        if separation.placement_instance_id is not None:
            facts.placement = session.get(ProcessInstance, separation.placement_instance_id)
        facts.names = organisation_names(session, [
            separation.orphan_court_code, separation.municipality_code,
            separation.institution_code, separation.placed_institution_code])
        found.append(facts)
    return found


def _add_survey(session: Session, facts: CaseFacts) -> None:
    # The survey is kept where the engine keeps every submission: the task_completed event.
    row = session.execute(select(Event.detail, Event.actor, Event.occurred_at).where(
        Event.instance_id == facts.instance.id, Event.kind == "task_completed",
        Event.element_id == SURVEY_TASK).order_by(Event.seq.desc()).limit(1)).first()
    if row is None:
        return
    detail, actor, occurred_at = row
    data = detail.get("data") if isinstance(detail, dict) else None
    if isinstance(data, dict):
        facts.survey, facts.survey_by, facts.survey_at = data, actor, occurred_at


def notices_of(session: Session, instance_id: int) -> list[dict[str, Any]]:
    """The outbox rows the case queued (I1): to whom, how, about what, and how far it got."""
    try:
        from app.db.models.outbox import OutboxMessage
    except ImportError:  # the outbox area is not installed: nothing was queued
        return []
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.instance_id == instance_id)
                           .order_by(OutboxMessage.id))
    return [{"role": row.recipient_role, "name": row.recipient_name, "channel": row.channel,
             "topic": row.topic, "status": row.status, "reason": row.last_error,
             "created_at": row.created_at, "sent_at": row.sent_at,
             "acknowledged_at": row.acknowledged_at} for row in rows]


@dataclass
class DecisionRow:
    """A line of the decisions page."""

    decision: ChildProtectionDecision
    person: Person | None
    case: ProcessInstance | None
    survey_done: bool

    @property
    def survey_due(self) -> date:
        from app.domain.child_protection import survey_due

        return survey_due(self.decision.decision_date)


def decision_rows(session: Session, viewer: Viewer, limit: int = 200) -> list[DecisionRow]:
    """The decisions in the viewer's scope with their child, case and survey state."""
    decisions = visible_decisions(session, viewer, limit=limit)
    person_ids = {d.person_id for d in decisions if d.person_id is not None}
    case_ids = {d.instance_id for d in decisions if d.instance_id is not None}
    persons = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    cases = {i.id: i for i in session.scalars(select(ProcessInstance).where(
        ProcessInstance.id.in_(case_ids)))}
    surveyed = set(session.scalars(select(HumanTask.instance_id).where(
        HumanTask.instance_id.in_(case_ids), HumanTask.element_id == SURVEY_TASK,
        HumanTask.status == "completed")))
    return [DecisionRow(d, persons.get(d.person_id) if d.person_id else None,
                        cases.get(d.instance_id) if d.instance_id else None,
                        d.instance_id in surveyed) for d in decisions]
