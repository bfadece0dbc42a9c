"""Starting a P1 needs assessment for a person, and what the case file shows of it."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, readable_person
from app.cases.service import start_process_for
from app.db.models import ProcessInstance
from app.engine.runtime import Engine

PROCESS_KEY = "p01_adult_needs_assessment"
# Messages the municipality's system (SOPA, through the integration bus) sends to a running P1.
VERSION_MESSAGE = "p01_iap_version"
CLOSING_MESSAGE = "p01_plan_closed"


class AssessmentError(ValueError):
    """An assessment cannot be started as asked; the message says why."""


def start_assessment(engine: Engine, session: Session, viewer: Viewer, person_id: int,
                     application_date: date, applicant: str = "") -> tuple[int, str]:
    """Start P1 for a person living in a long-term care institution; returns the instance id and
    the case reference (the business key SOPA's later versions are addressed to)."""
    person = readable_person(session, viewer, person_id)
    if person is None:
        raise AssessmentError("no such person in your records")
    if not person.personal_code:
        raise AssessmentError("the person has no personal code to check in the register")
    earlier = session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.person_id == person_id, ProcessInstance.process_key == PROCESS_KEY)) or 0
    reference = f"P1-{application_date.year}-{person_id:06d}-{earlier + 1}"
    data: dict[str, Any] = {
        "case_reference": reference, "personal_code": person.personal_code,
        "person_name": f"{person.given_name} {person.family_name}",
        "application_date": application_date.isoformat(),
        "municipality_code": person.municipality_code or "",
        "institution_code": person.institution_code or "", "applicant": applicant}
    instance_id = start_process_for(engine, session, viewer, person_id, PROCESS_KEY, data,
                                    business_key=reference)
    return instance_id, reference
