"""P11 demo: the adoption register of the unit «LM-ADOPT». Three children free for adoption in
VSAC «Rīga» (seeds 176–178): Alise alone, and the siblings Kārlis and Laura, whom the orphan court
decided to keep together. Five adopters: two couples in Latvia (one takes siblings), a single
adopter in Latvia, a couple abroad (Germany) and one whose suitability decision expired last
month. A match for Alise is in progress: the ranked list is computed and the proposal to the
first adopter waits in the unit's inbox. Idempotent."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from app.access.scope import viewer_of
from app.cases.service import register_person
from app.db import transaction
from app.db.models import AdoptionChild, Person
from app.demo import valid_personal_code
from app.demo_steps import external_systems_reachable, run_workers
from app.services import Services

from . import service

UNIT = ("adopcija", ("caseworker",), ("adoption_register",), "LM-ADOPT")
CHILDREN = (
    (176, "Alise", "Kalniņa", "F", 4 * 365, None, ""),
    (177, "Kārlis", "Ozoliņš", "M", 7 * 365, "OZOLINI", "chronic_illness"),
    (178, "Laura", "Ozoliņa", "F", 5 * 365, "OZOLINI", ""),
)


def _adopters(today: date) -> list[dict[str, Any]]:
    def person(given: str, family: str, seed: int) -> dict[str, str]:
        return {"given_name": given, "family_name": family,
                "personal_code": valid_personal_code(seed)}

    common = {"suitability_court_code": "RIGA-BT"}
    return [
        dict(common, applicants=[person("Jānis", "Bērziņš", 181), person("Ilze", "Bērziņa", 182)],
             registered_on=today - timedelta(days=900), children_max=1, age_min=0, age_max=6,
             email="berzini@adoptetaji.example", address="Rīga, Brīvības iela 100"),
        dict(common, applicants=[person("Andris", "Liepa", 183), person("Dace", "Liepa", 184)],
             registered_on=today - timedelta(days=600), children_max=2, age_min=2, age_max=10,
             siblings_accepted=True, health_accepted=["chronic_illness"],
             email="liepas@adoptetaji.example", address="Jelgava, Lielā iela 5"),
        dict(common, applicants=[person("Inese", "Kļava", 185)],
             registered_on=today - timedelta(days=300), children_max=1, age_min=3, age_max=12,
             sex_preference="F", email="inese.klava@adoptetaji.example"),
        dict(common, applicants=[person("Thomas", "Müller", 186), person("Anna", "Müller", 187)],
             registered_on=today - timedelta(days=1200), children_max=2, age_min=0, age_max=8,
             siblings_accepted=True, abroad=True, country="DE",
             email="mueller@adopters.example", address="Berlin"),
        dict(common, applicants=[person("Pēteris", "Zariņš", 188)],
             registered_on=today - timedelta(days=1500), children_max=1, age_min=0, age_max=10,
             suitability_until=today - timedelta(days=20), email="zarins@adoptetaji.example"),
    ]


def load_demo(services: Services, today: date) -> None:
    with services.sessions() as session:
        if session.scalar(select(Person.id).where(
                Person.personal_code == valid_personal_code(CHILDREN[0][0]))) is not None:
            return
    with transaction(services.sessions) as session:
        court = viewer_of(session, "baritiesa", ["caseworker"], ["orphan_court"], "RIGA-BT")
        unit = viewer_of(session, *UNIT)
        head = viewer_of(session, "adopcija", ["caseworker", "supervisor"],
                         ["adoption_register"], "LM-ADOPT")
        cards = []
        for seed, given, family, sex, age_days, group, health in CHILDREN:
            person = register_person(
                session, court, given_name=given, family_name=family,
                personal_code=valid_personal_code(seed), birth_date=today - timedelta(days=age_days),
                sex=sex, municipality_code="RIGA", institution_code="VSAC-RIGA",
                orphan_court_code="RIGA-BT")
            session.flush()
            cards.append(service.register_child(
                session, head, person_id=person.id,
                free_for_adoption_on=today - timedelta(days=90), sibling_group=group,
                siblings_together=bool(group), health_conditions=[health] if health else [],
                special_needs="Logopēda nodarbības." if seed == 177 else "",
                parents_info="Vecākiem atņemtas aizgādības tiesības (bāriņtiesas lēmums)."))
        for values in _adopters(today):
            values.setdefault("suitability_until", today + timedelta(days=400))
            values["suitability_decision_on"] = values["registered_on"] - timedelta(days=10)
            service.register_adopter(session, unit, **values)
        first_child = cards[0].id
    with services.sessions() as session:
        unit = viewer_of(session, *UNIT)
        if session.get(AdoptionChild, first_child) is None:
            return
    service.start_match(services, unit, [first_child], today)
    if external_systems_reachable(services):
        run_workers(services)
