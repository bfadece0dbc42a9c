"""P5 demo: persons in group homes in every state (waiting for placement, staying, a transfer
waiting for the receiving municipality, transferred, ended) and monthly reports waiting for the
municipality, for the ministry, returned and accepted. Seeds 63–71. Idempotent."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from app.access.scope import viewer_of
from app.cases.service import register_person, start_process_for
from app.db import transaction
from app.db.models import Person, ProcessInstance
from app.demo import valid_personal_code
from app.demo_steps import complete, run_workers
from app.engine.runtime import Actor
from app.services import Services

from . import service

SOCIAL = {"RIGA": Actor("soc", frozenset({"social_service"})),
          "JELGAVA": Actor("jelgava", frozenset({"social_service"}))}
MINISTRY = Actor("ministrija", frozenset({"ministry"}))

# seed, given name, family name, municipality, stage, group home
_PERSONS = (
    (63, "Andris", "Kļaviņš", "RIGA", "waiting", ""),
    (64, "Dace", "Zariņa", "RIGA", "staying", "GM-RIGA-1"),
    (65, "Guntis", "Pētersons", "RIGA", "staying", "GM-RIGA-2"),
    (66, "Ilze", "Vanaga", "RIGA", "transfer_waiting", "GM-RIGA-1"),
    (67, "Kārlis", "Krūmiņš", "RIGA", "transferred", "GM-RIGA-2"),
    (68, "Laura", "Siliņa", "JELGAVA", "staying", "GM-JELGAVA-1"),
    (69, "Māris", "Jansons", "RIGA", "ended", "GM-RIGA-1"),
)


def load_demo(services: Services, today: date) -> None:
    with services.sessions() as session:
        if session.scalar(select(Person.id).where(
                Person.personal_code == valid_personal_code(63))) is not None:
            return
    start = (today.replace(day=1) - timedelta(days=70)).replace(day=1)
    for seed, given, family, municipality, stage, home in _PERSONS:
        iid = _start(services, seed, given, family, municipality)
        if stage == "waiting":
            continue
        complete(services, iid, "place_person", SOCIAL[municipality],
                  {"group_home_code": home, "start_date": start.isoformat()})
        if stage in ("transfer_waiting", "transferred"):
            complete(services, iid, "group_home_stay", SOCIAL[municipality], {
                "stay_action": "TRANSFER", "target_group_home_code": "GM-JELGAVA-2",
                "transfer_date": (start + timedelta(days=40)).isoformat(),
                "transfer_reason": "Tuvāk ģimenei"})
        if stage == "transferred":
            complete(services, iid, "accept_transfer", SOCIAL["JELGAVA"],
                      {"transfer_accepted_by_receiver": True})
        if stage == "ended":
            complete(services, iid, "group_home_stay", SOCIAL[municipality],
                      {"stay_action": "END", "end_date": (start + timedelta(days=20)).isoformat()})
    # Reports: the month before last accepted (RIGA) and returned (JELGAVA); last month waiting.
    before_last = start.strftime("%Y-%m")
    last = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    for iid in service.start_monthly_reports(services.engine, services.sessions, before_last):
        run_workers(services)
        complete(services, iid, "submit_report", _social_of(services, iid), {"data_confirmed": True})
        code = _municipality_of(services, iid)
        decision: dict[str, Any] = ({"review_decision": "ACCEPT"} if code == "RIGA" else
                                    {"review_decision": "RETURN",
                                     "return_reason": "Lūdzu pārbaudīt uzturēšanās dienas"})
        complete(services, iid, "review_report", MINISTRY, decision)
    for iid in service.start_monthly_reports(services.engine, services.sessions, last):
        run_workers(services)
        if _municipality_of(services, iid) == "RIGA":
            complete(services, iid, "submit_report", SOCIAL["RIGA"], {"data_confirmed": True})


def _start(services: Services, seed: int, given: str, family: str, municipality: str) -> int:
    with transaction(services.sessions) as session:
        social = viewer_of(session, "demo-data", ["caseworker"], ["social_service"], municipality)
        person = register_person(session, social, given_name=given, family_name=family,
                                 personal_code=valid_personal_code(seed),
                                 municipality_code=municipality, address=municipality.title())
        person_id = person.id
    with services.sessions() as session:
        return start_process_for(services.engine, session, social, person_id,
                                 service.PLACEMENT_PROCESS, {"case_number": f"P5-DEMO-{seed}"},
                                 business_key=f"P5-DEMO-{seed}")


def _municipality_of(services: Services, iid: int) -> str:
    with services.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        return (instance.municipality_code if instance else None) or "RIGA"


def _social_of(services: Services, iid: int) -> Actor:
    return SOCIAL.get(_municipality_of(services, iid), SOCIAL["RIGA"])
