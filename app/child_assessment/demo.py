"""Demo children for P2, one in each state of the process (idempotent: nothing happens when a P2
case already exists). Persons are the PMLP simulator's fixture persons of seeds 35..44, so the
register check finds them; a step that needs an external call goes on only when the jobs can run
(the simulators are configured), otherwise the case waits at that step."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from app.access.scope import viewer_of
from app.cases.service import register_person
from app.db import transaction
from app.db.models import Person, ProcessInstance
from app.demo import valid_personal_code
from app.demo_steps import open_task_id, run_workers
from app.engine.runtime import Actor
from app.services import Services

from .service import PROCESS_KEY, start_assessment

SOCIAL = {"RIGA": Actor("soc", frozenset({"social_service"})),
          "JELGAVA": Actor("jelgava", frozenset({"social_service"}))}
EXPERT = Actor("regions", frozenset({"planning_region_expert"}))
SUPERVISOR = Actor("regvad", frozenset({"planning_region_expert", "planning_region_supervisor"}))

# seed, given name, family name, municipality, institution, child group, how far the case goes
_CHILDREN = (
    (35, "Līga", "Bērziņa", "RIGA", None, "FAMILY", "referral"),
    (36, "Artūrs", "Vītols", "RIGA", None, "FAMILY", "interview"),
    (37, "Rūta", "Balode", "RIGA", None, "FAMILY", "register_check"),  # deceased in the register
    (38, "Gatis", "Jansons", "RIGA", "VSAC-RIGA", "INSTITUTION", "needs"),
    (39, "Laura", "Vītola", "RIGA", None, "FAMILY", "review"),
    (40, "Roberts", "Kalniņš", "JELGAVA", None, "FAMILY", "interview"),
    (41, "Zane", "Eglīte", "RIGA", "VSAC-RIGA", "INSTITUTION", "returned"),
    (42, "Kārlis", "Balodis", "RIGA", None, "FAMILY", "completed"),
    (43, "Emīlija", "Celmiņa", "RIGA", "VSAC-RIGA", "INSTITUTION", "completed"),
    (44, "Toms", "Siliņš", "JELGAVA", None, "FAMILY", "review"),
)
_STAGES = ("referral", "register_check", "interview", "needs", "review", "returned", "completed")

NEEDS = {
    "FAMILY": {"services_needed": ["CARE_SERVICE", "RESPITE", "REHAB_SPEECH_THERAPIST"],
               "education": "PRESCHOOL", "has_disability": True,
               "summary": "Bērnam nepieciešama aprūpe mājās, logopēda nodarbības un atelpas brīdis vecākiem.",
               "recommendations": "Pārskatīt pēc sešiem mēnešiem."},
    "INSTITUTION": {"services_needed": ["FOSTER_FAMILY", "SOCIAL_REHABILITATION"],
                    "education": "SCHOOL", "has_disability": False,
                    "summary": "Bērnam piemērota audžuģimene; nepieciešama sociālā rehabilitācija."},
}


def load_demo(services: Services, today: date) -> None:
    with services.sessions() as session:
        if session.scalar(select(ProcessInstance.id).where(
                ProcessInstance.process_key == PROCESS_KEY).limit(1)) is not None:
            return
    for number, (seed, given, family, municipality, institution, group, stage) in enumerate(_CHILDREN):
        iid = _start(services, seed, given, family, municipality, institution,
                     f"P2-{today.year}-{number + 1:04d}")
        _advance(services, iid, municipality, group, stage, today - timedelta(days=20 - number))


def _start(services: Services, seed: int, given: str, family: str, municipality: str,
           institution: str | None, case_number: str) -> int:
    code = valid_personal_code(seed)
    with transaction(services.sessions) as session:
        registrar = viewer_of(session, "demo-data", ["caseworker"], ["social_service"], municipality)
        person = session.scalars(select(Person).where(Person.personal_code == code)).first()
        if person is None:
            person = register_person(session, registrar, given_name=given, family_name=family,
                                     personal_code=code, municipality_code=municipality,
                                     institution_code=institution, address=municipality.title())
        person_id = person.id
    with services.sessions() as session:
        found = session.get(Person, person_id)
        assert found is not None
        return start_assessment(services.engine, session, registrar, found, case_number)


def _advance(services: Services, iid: int, municipality: str, group: str, stage: str,
             referred: date) -> None:
    reached = _STAGES.index(stage)
    steps: list[tuple[str, Actor, dict[str, Any]]] = []
    if reached >= 1:
        steps.append(("refer_child", SOCIAL[municipality], {
            "child_group": group, "referral_date": referred.isoformat(),
            "referral_reason": "Novērtējums deinstitucionalizācijas plāna ietvaros."}))
    if reached >= 3:
        steps.append(("interview", EXPERT, {
            "interview_date": (referred + timedelta(days=7)).isoformat(),
            "interview_place": "Bērna dzīvesvietā",
            "daily_life": "Bērns dienas pavada mājās kopā ar māti; patīk zīmēt un klausīties mūziku.",
            "health_and_development": "Runas attīstības aizkavēšanās; regulāri apmeklē ārstu.",
            "family_and_relations": "Tuvas attiecības ar vecmāmiņu; tēvs strādā ārzemēs.",
            "education_and_play": "Apmeklē pirmsskolas grupu trīs dienas nedēļā.",
            "child_views": "Gribētu vairāk draugu un iet uz peldbaseinu."}))
    needs_task = "record_needs_family" if group == "FAMILY" else "record_needs_institution"
    if reached >= 4:
        steps.append((needs_task, EXPERT, NEEDS[group]))
    if stage == "returned":
        steps.append(("review", SUPERVISOR, {"decision": "RETURN",
                                             "review_comment": "Lūdzu, precizējiet pakalpojumu apjomu."}))
    if stage == "completed":
        steps.append(("review", SUPERVISOR, {"decision": "APPROVE"}))
    for element_id, actor, data in steps:
        task_id = open_task_id(services, iid, element_id)
        if task_id is None:
            return  # waiting for an external call the demo cannot make now
        services.engine.complete_task(task_id, actor, data)
    run_workers(services)
