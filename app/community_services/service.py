"""Starting P3 submission cycles and P4 applications, for the views, the demo and the tests."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Scope, Viewer, readable_person
from app.cases.service import NotAllowed, start_process_for
from app.db.models import ProcessInstance
from app.domain.calendar import add_months
from app.engine.runtime import Actor, Engine

P3_KEY = "p03_community_services"
P4_KEY = "p04_child_community_services"


class CommunityServiceError(ValueError):
    """A request about community services that cannot be carried out; the message says why."""


def month_period(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, add_months(first, 1) - timedelta(days=1)


def cycle_key(municipality_code: str, period_from: date) -> str:
    return f"P3-{municipality_code}-{period_from:%Y-%m}"


def start_submission_cycle(engine: Engine, session: Session, viewer: Viewer, municipality_code: str,
                           month: date) -> int:
    """Start (or find) the month's submission cycle of a municipality. A municipality's social
    service starts its own; the ministry may start any."""
    if not viewer.works_on_cases or (viewer.organisation_kind == "municipality"
                                     and viewer.municipality_code != municipality_code):
        raise NotAllowed("you cannot start a submission cycle for this municipality")
    return open_cycle(engine, session, municipality_code, month,
                      Actor(viewer.username, frozenset(viewer.groups)))


def open_cycle(engine: Engine, session: Session, municipality_code: str, month: date,
               actor: Actor) -> int:
    """The month's cycle of a municipality: the running one, or a new one (started once)."""
    period_from, period_to = month_period(month)
    key = cycle_key(municipality_code, period_from)
    existing = session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.process_key == P3_KEY, ProcessInstance.business_key == key))
    if existing is not None:
        return existing
    data: dict[str, Any] = {"case_number": key, "municipality_code": municipality_code,
                            "period_from": period_from.isoformat(),
                            "period_to": period_to.isoformat()}
    return engine.start(P3_KEY, data, business_key=key, actor=actor,
                        scope=Scope.for_process(P3_KEY, municipality_code=municipality_code))


def start_child_services(engine: Engine, session: Session, viewer: Viewer, person_id: int,
                         case_number: str) -> int:
    """Start P4 for a child the viewer works on; the child's personal code and birth date are
    what the rules and the VDEĀVK check need."""
    child = readable_person(session, viewer, person_id)
    if child is None:
        raise NotAllowed("no such person in your records")
    if not child.personal_code or child.birth_date is None:
        raise CommunityServiceError("the child needs a personal code and a birth date")
    data = {"case_number": case_number, "personal_code": child.personal_code,
            "child_birth_date": child.birth_date.isoformat(),
            "municipality_code": child.municipality_code or ""}
    return start_process_for(engine, session, viewer, person_id, P4_KEY, data,
                             business_key=case_number)
