"""A person's individual support plan (IAP) versions: which one is in force, and what changed
between two of them."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import ProcessInstance
from app.db.models.support_plans import SupportPlanVersion
from app.domain.calendar import parse_date
from app.domain.needs_assessment import plan_problems


def current_plan(session: Session, person_id: int, on_date: date) -> SupportPlanVersion | None:
    """The IAP version valid on ``on_date``: the latest version (highest number) whose
    ``valid_from`` ≤ day and whose ``valid_to`` is empty or ≥ day; None when none is."""
    return session.scalars(
        select(SupportPlanVersion)
        .where(SupportPlanVersion.person_id == person_id,
               SupportPlanVersion.valid_from <= on_date,
               (SupportPlanVersion.valid_to.is_(None)) | (SupportPlanVersion.valid_to >= on_date))
        .order_by(SupportPlanVersion.version.desc())
        .limit(1)).first()


def plan_versions(session: Session, person_id: int) -> list[SupportPlanVersion]:
    return list(session.scalars(
        select(SupportPlanVersion).where(SupportPlanVersion.person_id == person_id)
        .order_by(SupportPlanVersion.version)))


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed from plan content ``old`` to ``new``: goals added/removed, services (by
    service type) added/removed/changed with the fields that changed."""
    old_goals = [str(g) for g in old.get("goals") or []]
    new_goals = [str(g) for g in new.get("goals") or []]
    old_services = {s.get("service_type"): s for s in old.get("services") or []}
    new_services = {s.get("service_type"): s for s in new.get("services") or []}
    changed = []
    for code in new_services.keys() & old_services.keys():
        before, after = old_services[code], new_services[code]
        fields = {key: (before.get(key), after.get(key))
                  for key in sorted(set(before) | set(after))
                  if key != "service_type" and before.get(key) != after.get(key)}
        if fields:
            changed.append({"service_type": code, "fields": fields})
    return {
        "goals_added": [g for g in new_goals if g not in old_goals],
        "goals_removed": [g for g in old_goals if g not in new_goals],
        "services_added": [new_services[c] for c in new_services if c not in old_services],
        "services_removed": [old_services[c] for c in old_services if c not in new_services],
        "services_changed": sorted(changed, key=lambda item: str(item["service_type"])),
        "municipality_changed": (old.get("responsible_municipality"),
                                 new.get("responsible_municipality"))
        if old.get("responsible_municipality") != new.get("responsible_municipality") else None,
    }


class PlanError(ValueError):
    """A plan version cannot be stored as given; the message says why."""


SOURCES = ("assessment", "municipality")


def store_plan_version(session: Session, instance: ProcessInstance, *, source: str,
                       plan: dict[str, Any], external_reference: str | None = None,
                       idempotency_key: str | None = None,
                       created_by: str = "system") -> tuple[SupportPlanVersion, bool]:
    """Store the person's next IAP version; returns it and whether it was there already (the same
    job retried, or the same SOPA reference delivered again). The caller commits."""
    if source not in SOURCES:
        raise PlanError(f"source must be one of {', '.join(SOURCES)}, not '{source}'")
    for column, value in ((SupportPlanVersion.idempotency_key, idempotency_key),
                          (SupportPlanVersion.external_reference, external_reference)):
        if value:
            earlier = session.scalars(select(SupportPlanVersion).where(column == value)).first()
            if earlier is not None:
                return earlier, True
    if instance.person_id is None:
        raise PlanError("the instance is about no person")
    problems = plan_problems(plan)
    if problems:
        raise PlanError("; ".join(problems))
    number = (session.scalar(select(func.max(SupportPlanVersion.version)).where(
        SupportPlanVersion.person_id == instance.person_id)) or 0) + 1
    content = {"goals": [str(g) for g in plan.get("goals") or []],
               "services": [_service(s) for s in plan.get("services") or []],
               "responsible_municipality": plan.get("responsible_municipality")
               or instance.municipality_code, "notes": str(plan.get("notes") or "")}
    version = SupportPlanVersion(
        instance_id=instance.id, version=number, source=source,
        valid_from=parse_date(plan["valid_from"]),
        valid_to=parse_date(plan["valid_to"]) if plan.get("valid_to") else None,
        content=content, external_reference=external_reference,
        idempotency_key=idempotency_key, created_by=created_by,
        person_id=instance.person_id, record_kind=instance.record_kind,
        municipality_code=instance.municipality_code, institution_code=instance.institution_code,
        orphan_court_code=instance.orphan_court_code, confidential=instance.confidential)
    session.add(version)
    session.flush()
    return version, False


def _service(service: dict[str, Any]) -> dict[str, Any]:
    return {"service_type": service.get("service_type"),
            "hours_per_week": service.get("hours_per_week"),
            "frequency": service.get("frequency") or None, "notes": service.get("notes") or None}


def version_result(version: SupportPlanVersion, duplicate: bool) -> dict[str, Any]:
    """What the storing service task puts into the process data (plain JSON)."""
    return {"plan_version_id": version.id, "version": version.version, "source": version.source,
            "valid_from": version.valid_from.isoformat(),
            "valid_to": version.valid_to.isoformat() if version.valid_to else None,
            "content": version.content, "duplicate": duplicate}
