"""P10 demo: two orphan-court decisions of the Riga orphan court as NPAIS delivers them.
Emīlija (PMLP fixture seed 13) was separated five days ago and placed in VSAC «Rīga» the same
day: her P9 case runs and the family survey waits for the social worker. Gatis (seed 14) was
separated nine days ago, placed, the family surveyed, and returned to the family three days
ago: both cases have ended. Idempotent (the decision ids are applied once)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from app.access.scope import viewer_of
from app.db.models import ChildProtectionDecision
from app.demo import valid_personal_code
from app.demo_steps import complete, external_systems_reachable, run_workers
from app.engine.runtime import Actor
from app.services import Services

from . import inbound

SOCIAL_WORKER = Actor("soc", frozenset({"social_service"}))
FIRST = "DEMO-RIGA-BT-0001"


def _decision(decision_id: str, kind: str, seed: int, given: str, family: str, day: date,
              **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "decision_id": decision_id, "kind": kind, "orphan_court_code": "RIGA-BT",
        "decision_date": day.isoformat(),
        "child": {"personal_code": valid_personal_code(seed), "given_name": given,
                  "family_name": family}}
    body.update(more)
    return body


def load_demo(services: Services, today: date) -> None:
    with services.sessions() as session:
        if session.scalar(select(ChildProtectionDecision.id).where(
                ChildProtectionDecision.npais_decision_id == FIRST)) is not None:
            return
        npais = viewer_of(session, "api:NPAIS", ["caseworker"], ["npais"], "LM")
    scope = {"municipality_code": "RIGA", "institution_code": "VSAC-RIGA"}
    separated = today - timedelta(days=5)
    inbound.deliver(services.engine, services.sessions, npais, _decision(
        FIRST, "SEPARATION", 13, "Emīlija", "Celmiņa", separated,
        placement_date=separated.isoformat(), **scope,
        reason="Policija konstatēja, ka bērns atstāts bez uzraudzības."))
    run_workers(services)
    earlier = today - timedelta(days=9)
    second = inbound.deliver(services.engine, services.sessions, npais, _decision(
        "DEMO-RIGA-BT-0002", "SEPARATION", 14, "Gatis", "Jansons", earlier, **scope,
        reason="Vardarbība ģimenē; bērns uz laiku nošķirts no ģimenes."))
    if not external_systems_reachable(services) or second.instance_id is None:
        return
    complete(services, second.instance_id, "place_child", SOCIAL_WORKER, {
        "placement_institution_code": "VSAC-RIGA", "placement_date": earlier.isoformat()})
    complete(services, second.instance_id, "survey_family", SOCIAL_WORKER, {
        "survey_date": (earlier + timedelta(days=4)).isoformat(),
        "household": "Māte, patēvs un vecmāmiņa.",
        "living_conditions": "Sakārtots dzīvoklis, bērnam sava istaba.",
        "parents_cooperation": "Māte apmeklē atbalsta grupu un sadarbojas.",
        "risks": "Patēvs pārcēlies dzīvot citur; risks mazinājies.",
        "support_offered": "Ģimenes asistents, psihologa konsultācijas.",
        "recommendation": "RETURN_WITH_SUPPORT"})
    inbound.deliver(services.engine, services.sessions, npais, _decision(
        "DEMO-RIGA-BT-0003", "RETURN", 14, "Gatis", "Jansons", today - timedelta(days=3),
        separation_decision_id="DEMO-RIGA-BT-0002",
        reason="Apstākļi ģimenē novērsti; bērns atgriežas ģimenē."))
    run_workers(services)
