"""P8 demo: residents of VSAC «Rīga» (seeds 82–90) admitted on different days; with the SAIS
simulator reachable their first month is fetched and waits for (or has) the caseworker's
confirmation. Idempotent."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.access.scope import viewer_of
from app.cases.service import register_person
from app.db import transaction
from app.db.models import Person
from app.demo import valid_personal_code
from app.demo_steps import complete, external_systems_reachable, open_task_id
from app.engine.runtime import Actor
from app.services import Services

from . import service

STAFF = Actor("iestade", frozenset({"institution"}))

# seed, given name, family name, days since admission, what the caseworker did
_RESIDENTS = (
    (82, "Aina", "Kalniņa", 3, None),
    (83, "Bruno", "Liepa", 20, "CONFIRM"),
    (84, "Cilda", "Zariņa", 40, "CORRECT"),
    (85, "Dainis", "Vītols", 60, "DISCHARGE"),
)


def load_demo(services: Services, today: date) -> None:
    with services.sessions() as session:
        if session.scalar(select(Person.id).where(
                Person.personal_code == valid_personal_code(82))) is not None:
            return
    # SAIS calls only run with the SAIS simulator configured; otherwise the cases wait for it.
    sais = external_systems_reachable(services) and bool(getattr(services.settings, "sais_url",
                                                                 None))
    for seed, given, family, days, action in _RESIDENTS:
        with transaction(services.sessions) as session:
            staff = viewer_of(session, "demo-data", ["caseworker"], ["institution"], "VSAC-RIGA")
            person = register_person(session, staff, given_name=given, family_name=family,
                                     personal_code=valid_personal_code(seed),
                                     municipality_code="RIGA", institution_code="VSAC-RIGA",
                                     address="VSAC «Rīga»")
            person_id = person.id
        with services.sessions() as session:
            iid, _ = service.start_co_payment(services.engine, session, staff, person_id,
                                              today - timedelta(days=days))
        if not sais or action is None:
            continue
        decision: dict[str, object] = {"decision": "CONFIRM"}
        if action == "CORRECT":
            # Twenty euro more than the legal minimum the calculation found (never below it).
            task_id = open_task_id(services, iid, "confirm_calculation")
            known = services.engine.task_data(task_id) if task_id is not None else {}
            allowance = min(int(known.get("total_cents", 0)),
                            int(known.get("allowance_cents", 0)) + 2000)
            decision = {"decision": "CORRECT", "allowance_cents": allowance,
                        "correction_reason": "Papildu izdevumi par medikamentiem"}
        complete(services, iid, "confirm_calculation", STAFF, decision)
        if action == "DISCHARGE":
            complete(services, iid, "await_next_month", STAFF,
                     {"discharge_date": today.isoformat()})
