"""P9 demo: children in VSAC «Rīga» — one whose report is overdue, one whose report is due within
14 days, one with a report delivered to the orphan court and the social service, one placed by
NPAIS waiting for the institution to register the placement. Seeds 91–94. Idempotent."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.access.scope import viewer_of
from app.cases.service import register_person
from app.db import transaction
from app.db.models import Person
from app.demo import valid_personal_code
from app.demo_steps import complete, run_workers
from app.domain.calendar import add_months
from app.engine.runtime import Actor
from app.services import Services

from . import service

INSTITUTION = Actor("iestade", frozenset({"institution"}))
NPAIS = Actor("npais")
TEXT = "Regulāra saskarsme; bērns attīstās atbilstoši vecumam."


def load_demo(services: Services, today: date) -> None:
    with services.sessions() as session:
        if session.scalar(select(Person.id).where(
                Person.personal_code == valid_personal_code(91))) is not None:
            return
    # seed, given name, family name, birth date, placement date, source
    children = (
        (91, "Elza", "Ozoliņa", today - timedelta(days=500), add_months(today, -4), "institution"),
        (92, "Roberts", "Liepiņš", today - timedelta(days=300),
         add_months(today + timedelta(days=10), -3), "institution"),
        (93, "Marta", "Kalniņa", today - timedelta(days=1900), add_months(today, -5),
         "institution"),
        (94, "Toms", "Sproģis", today - timedelta(days=700), today - timedelta(days=2), "npais"),
    )
    for seed, given, family, born, placed, source in children:
        child = _register(services, seed, given, family, born)
        iid = service.start_placement(
            services, person_id=child, placement_date=placed, institution_code="VSAC-RIGA",
            orphan_court_code="RIGA-BT", actor=INSTITUTION if source == "institution" else NPAIS,
            source=source, decision_reference=f"BT-DEMO-{seed}")
        run_workers(services)
        if seed == 93:
            report = {"report_date": (today - timedelta(days=20)).isoformat(),
                      "contact_with_parents": TEXT, "contact_with_siblings": TEXT,
                      "contact_with_others": TEXT, "cooperation": TEXT,
                      "physical_development": TEXT, "psychosocial_development": TEXT,
                      "care_ended": False}
            complete(services, iid, service.REPORT_TASK, INSTITUTION, report)


def _register(services: Services, seed: int, given: str, family: str, born: date) -> int:
    with transaction(services.sessions) as session:
        staff = viewer_of(session, "demo-data", ["caseworker"], ["institution"], "VSAC-RIGA")
        person = register_person(session, staff, given_name=given, family_name=family,
                                 personal_code=valid_personal_code(seed), birth_date=born,
                                 municipality_code="RIGA", institution_code="VSAC-RIGA")
        return int(person.id)
