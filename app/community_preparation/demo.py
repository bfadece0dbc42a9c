"""P6 demo: VSAC residents waiting for their first self-care assessment, assessed once, assessed
twice (progress to compare), with mentor's log entries, and one handed over to the municipality
(P1 started). Seeds 72–80. Idempotent."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.access.scope import viewer_of
from app.cases.service import register_person, start_process_for
from app.db import transaction
from app.db.models import Person
from app.demo import valid_personal_code
from app.demo_steps import complete
from app.domain.calendar import add_months
from app.engine.runtime import Actor
from app.services import Services

from . import service

STAFF = Actor("iestade", frozenset({"institution"}))

# seed, given name, family name, assessments made, handed over
_RESIDENTS = (
    (72, "Ojārs", "Lapiņš", 0, False),
    (73, "Rasma", "Eglīte", 1, False),
    (74, "Sandris", "Kārkliņš", 2, False),
    (75, "Tija", "Ābele", 2, False),
    (76, "Uldis", "Mednis", 1, True),
)
_LEVELS = {"personal_hygiene": 2, "dressing": 3, "eating_and_cooking": 1, "housekeeping": 1,
           "money_management": 1, "medication": 2, "transport": 1, "communication": 2,
           "social_contacts": 2, "daily_routine": 2}
_ACTIVITIES = (("Ēdiena gatavošana", 60, 2), ("Iepirkšanās veikalā", 45, 3),
               ("Brauciens ar autobusu", 30, 2), ("Veļas mazgāšana", 40, 3))


def load_demo(services: Services, today: date) -> None:
    with services.sessions() as session:
        if session.scalar(select(Person.id).where(
                Person.personal_code == valid_personal_code(72))) is not None:
            return
    for seed, given, family, assessments, handed_over in _RESIDENTS:
        with transaction(services.sessions) as session:
            staff = viewer_of(session, "demo-data", ["caseworker"], ["institution"], "VSAC-RIGA")
            person = register_person(session, staff, given_name=given, family_name=family,
                                     personal_code=valid_personal_code(seed),
                                     municipality_code="RIGA", institution_code="VSAC-RIGA",
                                     address="VSAC «Rīga»")
            person_id = person.id
        with services.sessions() as session:
            iid = start_process_for(services.engine, session, staff, person_id,
                                    service.PROCESS_KEY, {}, business_key=f"P6-DEMO-{seed}")
        for k in range(assessments):
            # Two assessments: the first 7 months ago (so the second is already due), then today.
            day = add_months(today, -7) if assessments == 2 and k == 0 else today
            better = {"eating_and_cooking": 1 + 2 * k, "transport": 1 + k, "money_management": 1 + k}
            complete(services, iid, "assess_self_care", STAFF,
                      dict(_LEVELS, **better, assessment_date=day.isoformat(), notes=""))
        with transaction(services.sessions) as session:
            mentor = viewer_of(session, "mentors", ["caseworker"], ["institution", "vsac_mentor"],
                               "VSAC-RIGA")
            resident = session.get(Person, person_id)
            assert resident is not None
            for days_ago, (activity, minutes, level) in enumerate(_ACTIVITIES):
                service.add_log_entry(session, mentor, resident,
                                      entry_date=today - timedelta(days=days_ago), today=today,
                                      activity=activity, duration_minutes=minutes,
                                      independence_level=level)
        if handed_over:
            complete(services, iid, "hand_over", STAFF, {
                "leaving_date": today.isoformat(), "receiving_municipality_code": "RIGA",
                "start_needs_assessment": True, "community_services": ["DAY_CENTRE", "WORKSHOP"],
                "handover_notes": "Dzīvos dzīvoklī ar atbalstu"})
