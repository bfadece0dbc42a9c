"""Demo persons for P1, in every state of the process (idempotent: nothing happens when a P1 case
already exists). Persons are the PMLP simulator's fixture persons of seeds 20..34, living in
VSAC «Rīga», so the register check finds them, plus seed 79 (the register has her as deceased)
and seed 81 (not in the register); a step that needs an external call goes on only when the jobs
can run (the simulators are configured), otherwise the case waits at that step."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from app.access.scope import viewer_of
from app.cases.service import register_person
from app.db import transaction
from app.db.models import Person, ProcessInstance
from app.demo import valid_personal_code
from app.demo_steps import external_systems_reachable, open_task_id, run_workers
from app.engine.errors import EngineError
from app.engine.runtime import Actor
from app.services import Services

from .questionnaire import load_questionnaire
from .service import CLOSING_MESSAGE, PROCESS_KEY, VERSION_MESSAGE, start_assessment

EXPERT = Actor("regions", frozenset({"planning_region_expert"}))
SUPERVISOR = Actor("regvad", frozenset({"planning_region_expert", "planning_region_supervisor"}))
SOPA = Actor("api:sopa", frozenset())

# seed, given name, family name (as the PMLP fixture has them), municipality, days since the
# application, how far the case goes
_PERSONS = (
    (20, "Mārtiņš", "Krūmiņš", "RIGA", 3, "interview"),
    (21, "Agnese", "Siliņa", "RIGA", 12, "interview"),
    (22, "Roberts", "Kalniņš", "RIGA", 15, "draft"),
    (23, "Anna", "Kalniņa", "RIGA", 18, "approval"),
    (24, "Artūrs", "Vītols", "RIGA", 21, "returned"),
    (25, "Agnese", "Siliņa", "RIGA", 25, "approved"),
    (26, "Toms", "Siliņš", "RIGA", 60, "version_2"),
    (27, "Elza", "Ozoliņa", "RIGA", 90, "version_3"),
    (28, "Valdis", "Lapiņš", "RIGA", 120, "closed"),
    (29, "Kristīne", "Zariņa", "JELGAVA", 5, "interview"),
    (30, "Pēteris", "Liepiņš", "RIGA", 10, "approval"),
    (31, "Agnese", "Siliņa", "RIGA", 28, "approved"),
    (32, "Toms", "Siliņš", "JELGAVA", 14, "draft"),
    (33, "Sanita", "Kļaviņa", "RIGA", 45, "version_2"),
    (34, "Edgars", "Zariņš", "RIGA", 40, "interview"),  # the interview is overdue: escalated
    # The register's answers that stop an application: she has died (the case ends with the
    # reason), and a code the register does not know (the application goes back for correction).
    (79, "Evelīna", "Strazda", "RIGA", 6, "interview"),
    (81, "Jānis", "Bērziņš", "RIGA", 2, "interview"),
)
_STAGES = ("interview", "draft", "approval", "returned", "approved", "version_2", "version_3",
           "closed")
_LEVELS = (1, 2, 3, 0, 1, 2, 4, 3, 1, 0)


def load_demo(services: Services, today: date) -> None:
    with services.sessions() as session:
        if session.scalar(select(ProcessInstance.id).where(
                ProcessInstance.process_key == PROCESS_KEY).limit(1)) is not None:
            return
    for seed, given, family, municipality, days_ago, stage in _PERSONS:
        applied = today - timedelta(days=days_ago)
        iid, reference = _start(services, seed, given, family, municipality, applied)
        try:
            _advance(services, iid, reference, municipality, stage, applied, seed)
        except EngineError:
            continue  # a demo case that cannot go on stays where it is


def _start(services: Services, seed: int, given: str, family: str, municipality: str,
           applied: date) -> tuple[int, str]:
    code = valid_personal_code(seed)
    with transaction(services.sessions) as session:
        registrar = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        person = session.scalars(select(Person).where(Person.personal_code == code)).first()
        if person is None:
            person = register_person(session, registrar, given_name=given, family_name=family,
                                     personal_code=code, municipality_code=municipality,
                                     institution_code="VSAC-RIGA", address="VSAC «Rīga»")
        person_id = person.id
    with services.sessions() as session:
        return start_assessment(services.engine, session, registrar, person_id, applied,
                                applicant="iestade")


def _interview(applied: date, seed: int) -> dict[str, Any]:
    domains = [d["key"] for d in load_questionnaire()["domains"]]
    return {"interview_date": (applied + timedelta(days=2)).isoformat(),
            "interview_place": "INSTITUTION",
            "needs": {key: {"level": (_LEVELS[i] + seed) % 5, "q1": "Runāts ar klientu.",
                            "notes": "Novērtēts kopā ar mentoru."}
                      for i, key in enumerate(domains)}}


def _plan(applied: date, municipality: str, hours: int) -> dict[str, Any]:
    start = applied + timedelta(days=7)
    return {"goals": [{"goal": "Pārcelties uz dzīvi sabiedrībā grupu dzīvoklī"},
                      {"goal": "Apgūt ēdiena gatavošanu un iepirkšanos"}],
            "services": [{"service_type": "GROUP_APARTMENT", "frequency": "pastāvīgi"},
                         {"service_type": "DAY_CENTRE", "hours_per_week": hours},
                         {"service_type": "SPECIALIST_SUPPORT", "frequency": "2 reizes mēnesī"}],
            "responsible_municipality": municipality, "valid_from": start.isoformat(),
            "valid_to": (start + timedelta(days=360)).isoformat()}


def _advance(services: Services, iid: int, reference: str, municipality: str, stage: str,
             applied: date, seed: int) -> None:
    reached = _STAGES.index(stage)
    steps: list[tuple[str, Actor, dict[str, Any]]] = []
    if reached >= 1:
        steps.append(("interview", EXPERT, _interview(applied, seed)))
        steps.append(("draft_iap", EXPERT, _plan(applied, municipality, 20)))
    if stage == "returned":
        steps.append(("approve_iap", SUPERVISOR, {
            "decision": "RETURN", "return_reason": "Lūdzu, precizējiet dienas centra stundas."}))
    elif reached >= 2 and stage != "approval" and stage != "draft":
        steps.append(("approve_iap", SUPERVISOR, {"decision": "APPROVE"}))
    if stage == "draft":
        steps = steps[:1]
    for element_id, actor, data in steps:
        task_id = open_task_id(services, iid, element_id)
        if task_id is None:
            return  # waiting for an external call the demo cannot make now
        services.engine.complete_task(task_id, actor, data)
    run_workers(services)
    if reached < _STAGES.index("version_2") or not external_systems_reachable(services):
        return
    for number in range(2, 4 if reached >= _STAGES.index("version_3") else 3):
        start = applied + timedelta(days=30 * number)
        services.engine.correlate(VERSION_MESSAGE, {
            "sopa_reference": f"SOPA-{reference}-{number}", "plan_version": number,
            "received_at": start.isoformat(),
            "plan": {"goals": ["Pārcelties uz dzīvi sabiedrībā grupu dzīvoklī",
                               "Strādāt specializētajā darbnīcā"],
                     "services": [{"service_type": "GROUP_APARTMENT", "frequency": "pastāvīgi"},
                                  {"service_type": "DAY_CENTRE", "hours_per_week": 20 - 4 * number},
                                  {"service_type": "WORKSHOP", "hours_per_week": 4 * number}],
                     "responsible_municipality": municipality, "valid_from": start.isoformat(),
                     "valid_to": (start + timedelta(days=300)).isoformat()}},
            business_key=reference, actor=SOPA)
        run_workers(services)
    if stage == "closed":
        services.engine.correlate(CLOSING_MESSAGE, {"reason": "Persona pārcēlusies uz citu "
                                                    "pašvaldību"}, business_key=reference,
                                  actor=SOPA)
