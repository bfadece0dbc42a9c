"""A later IAP version from the municipality (SOPA, through the state integration bus), checked
and handed to the P1 instance waiting for it. The instance's worker stores it (app/assessment/
operations.py), so the API answers "accepted" and the version appears once the job has run."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, record_filter
from app.db.models import ProcessInstance
from app.db.models.support_plans import SupportPlanVersion
from app.domain.needs_assessment import plan_problems
from app.engine.errors import MessageNotCorrelated
from app.engine.runtime import Actor, Engine

from .service import PROCESS_KEY, VERSION_MESSAGE


class UnknownCase(LookupError):
    """No P1 case with this reference that the caller may address."""


class InvalidVersion(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("the version is malformed")
        self.fields = fields


class CaseNotWaiting(RuntimeError):
    """The case is not waiting for versions (its plan is not approved yet, or it has ended)."""


@dataclass(frozen=True)
class Delivery:
    status: str  # "accepted" | "duplicate"
    case_reference: str
    instance_id: int
    version: int | None = None


def check_version(body: Any) -> dict[str, Any]:
    """The message payload, or InvalidVersion naming each wrong field."""
    fields: dict[str, list[str]] = {}
    if not isinstance(body, dict):
        raise InvalidVersion({"": ["the body must be a JSON object"]})
    reference = body.get("sopa_reference")
    if not isinstance(reference, str) or not 1 <= len(reference.strip()) <= 120:
        fields["sopa_reference"] = ["required: SOPA's reference of this version (1–120 characters)"]
    number = body.get("plan_version")
    if not isinstance(number, int) or isinstance(number, bool) or number < 2:
        fields["plan_version"] = ["required: the version number in SOPA, 2 or more"]
    plan = body.get("plan")
    if not isinstance(plan, dict):
        fields["plan"] = ["required: an object with goals, services, valid_from, valid_to"]
    else:
        for key in ("valid_from", "valid_to"):
            value = plan.get(key)
            if value is None and key == "valid_to":
                continue
            try:
                date.fromisoformat(str(value))
            except ValueError:
                fields[f"plan.{key}"] = ["must be a date YYYY-MM-DD"]
        if not isinstance(plan.get("goals"), list) or not isinstance(plan.get("services"), list):
            fields["plan"] = ["goals and services must be lists"]
        elif not fields:
            problems = plan_problems(plan)
            if problems:
                fields["plan"] = problems
    if fields:
        raise InvalidVersion(fields)
    return {"sopa_reference": reference.strip(), "plan_version": number,  # type: ignore[union-attr]
            "received_at": str(body.get("received_at") or ""),
            "plan": {"goals": [str(g) for g in plan["goals"]],  # type: ignore[index]
                     "services": plan["services"],  # type: ignore[index]
                     "responsible_municipality": plan.get("responsible_municipality"),  # type: ignore[union-attr]
                     "valid_from": plan["valid_from"], "valid_to": plan.get("valid_to"),  # type: ignore[index,union-attr]
                     "notes": str(plan.get("notes") or "")}}  # type: ignore[union-attr]


def find_case(session: Session, viewer: Viewer, case_reference: str) -> ProcessInstance:
    found = session.scalars(select(ProcessInstance).where(
        ProcessInstance.business_key == case_reference,
        ProcessInstance.process_key == PROCESS_KEY,
        record_filter(viewer, ProcessInstance)).order_by(ProcessInstance.id.desc())).first()
    if found is None:
        raise UnknownCase(case_reference)
    return found


def deliver_version(engine: Engine, session: Session, viewer: Viewer, case_reference: str,
                    body: Any) -> Delivery:
    """Check the version, find the case, and deliver the version to it (or say it came before)."""
    instance = find_case(session, viewer, case_reference)
    payload = check_version(body)
    earlier = session.scalars(select(SupportPlanVersion).where(
        SupportPlanVersion.external_reference == payload["sopa_reference"])).first()
    if earlier is not None:
        if earlier.instance_id != instance.id:
            raise InvalidVersion({"sopa_reference": ["already used for another case"]})
        return Delivery("duplicate", case_reference, instance.id, earlier.version)
    try:
        engine.correlate(VERSION_MESSAGE, payload, business_key=case_reference,
                         actor=Actor(viewer.username, frozenset(viewer.groups)))
    except MessageNotCorrelated:
        raise CaseNotWaiting(case_reference) from None
    return Delivery("accepted", case_reference, instance.id)
