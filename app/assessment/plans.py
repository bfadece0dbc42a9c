"""A person's individual support plan (IAP) versions: which one is in force, and what changed
between two of them."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models.support_plans import SupportPlanVersion


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
