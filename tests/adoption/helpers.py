"""Building adoption-register data through the same services the app uses."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, viewer_of
from app.adoption import service
from app.cases.service import register_person
from app.db import transaction
from app.db.models import HumanTask
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.engine.runtime import Actor
from app.services import Services
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers

SPECIALIST = Actor("marta", frozenset({"adoption_register"}))


def unit(session: Session, roles: tuple[str, ...] = ("caseworker",),
         username: str = "marta") -> Viewer:
    return viewer_of(session, username, roles, ["adoption_register"], "LM-ADOPT")


def make_child(services: Services, seed: int, *, born: date, sex: str = "F",
               given: str = "Līga", **card: Any) -> int:
    """A child in the person register (as the orphan court registers it) and their card."""
    with transaction(services.sessions) as session:
        court = viewer_of(session, "bt", ["caseworker"], ["orphan_court"], "RIGA-BT")
        person = register_person(session, court, given_name=given, family_name=f"Bērns{seed}",
                                 personal_code=valid_personal_code(seed), birth_date=born,
                                 sex=sex, municipality_code="RIGA", institution_code="VSAC-RIGA",
                                 orphan_court_code="RIGA-BT")
        session.flush()
        card.setdefault("free_for_adoption_on", today_in_latvia() - timedelta(days=60))
        return service.register_child(session, unit(session), person_id=person.id, **card).id


def make_adopter(services: Services, name: str, *, registered_days_ago: int = 400,
                 valid_days: int = 365, abroad: bool = False, **prefs: Any) -> int:
    today = today_in_latvia()
    with transaction(services.sessions) as session:
        prefs.setdefault("children_max", 1)
        prefs.setdefault("age_min", 0)
        prefs.setdefault("age_max", 10)
        return service.register_adopter(
            session, unit(session), applicants=[{"given_name": name, "family_name": "Kalna",
                                                 "personal_code": valid_personal_code(900 + len(name))}],
            suitability_court_code="RIGA-BT",
            suitability_decision_on=today - timedelta(days=registered_days_ago + 5),
            suitability_until=today + timedelta(days=valid_days),
            registered_on=today - timedelta(days=registered_days_ago), abroad=abroad,
            country="DE" if abroad else "LV", address="Brīvības iela 1, Rīga",
            email=f"{name.lower()}@adopters.example", **prefs).id


def run_all(services: Services) -> None:
    while run_due_jobs(services, "w1") or fire_due_timers(services, "t1"):
        pass


def open_task(services: Services, instance_id: int) -> HumanTask | None:
    with services.sessions() as session:
        found: HumanTask | None = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")).first()
        return found


def complete(services: Services, instance_id: int, element: str, data: dict[str, Any]) -> None:
    task = open_task(services, instance_id)
    assert task is not None and task.element_id == element, (task and task.element_id, element)
    services.engine.complete_task(task.id, SPECIALIST, data)
    run_all(services)
