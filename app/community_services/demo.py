"""Demo persons for P3 and P4 (seeds 45..62 of app.demo.valid_personal_code, which the simulators
know), idempotent: nothing happens once a P3 or P4 case exists.

P3: adults with an IAP (a municipality version on a P1 case) and three submission cycles: last
month's accepted, this month's back for correction, Jelgava's still to submit. P4: children in
every state: waiting for the application, back for correction (too many representative services;
no special-care opinion), waiting for the decision, granted with its PDF, withdrawn. Steps that
need jobs go on only when the simulators are configured; otherwise the case waits at that step."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from app.access.scope import viewer_of
from app.assessment.plans import store_plan_version
from app.assessment.service import start_assessment
from app.cases.service import register_person
from app.db import transaction
from app.db.models import Person, ProcessInstance
from app.demo import valid_personal_code
from app.demo_steps import complete, run_workers
from app.domain.calendar import add_months
from app.engine.runtime import Actor
from app.services import Services

from .records import submit_batch
from .service import P3_KEY, P4_KEY, month_period, start_child_services, start_submission_cycle

SOCIAL = {"RIGA": Actor("soc", frozenset({"social_service"})),
          "JELGAVA": Actor("jelgava", frozenset({"social_service"}))}

Planned = tuple[tuple[str, int | None], ...]

# seed, given, family, municipality, planned services (type, hours a week)
_ADULTS: tuple[tuple[int, str, str, str, Planned], ...] = (
    (45, "Jānis", "Ozols", "RIGA", (("HOME_CARE", 10), ("SPECIALIST_SUPPORT", 2))),
    (46, "Ilze", "Krūmiņa", "RIGA", (("DAY_CENTRE", 20),)),
    (47, "Andris", "Liepa", "RIGA", (("WORKSHOP", 15), ("SUPPORT_GROUP", 2))),
    (49, "Dace", "Kalēja", "RIGA", (("GROUP_APARTMENT", None),)),
    (50, "Māris", "Zariņš", "RIGA", (("HOME_CARE", 6),)),
    (51, "Sarmīte", "Priede", "RIGA", (("DAY_CENTRE", 30), ("SPECIALIST_SUPPORT", 1))),
    (52, "Edgars", "Lapiņš", "JELGAVA", (("DAY_CENTRE", 20),)),
    (53, "Vija", "Strazda", "JELGAVA", (("HOME_CARE", 8),)),
    (61, "Guntis", "Siliņš", "RIGA", (("SHORT_TERM_CARE", None),)),
    (62, "Aija", "Vanaga", "RIGA", (("SUPPORT_GROUP", 3),)),
)
_PROVIDER = {"RIGA": {"HOME_CARE": "SP-RIGA-APRUPE", "SHORT_TERM_CARE": "SP-RIGA-APRUPE",
                      "DAY_CENTRE": "SP-ATBALSTS", "SPECIALIST_SUPPORT": "SP-ATBALSTS",
                      "SUPPORT_GROUP": "SP-ATBALSTS", "WORKSHOP": "SP-RIGA-DARBNICA",
                      "GROUP_APARTMENT": "SP-RIGA-GRUPU"},
             "JELGAVA": {"DAY_CENTRE": "SP-JELGAVA-CENTRS", "HOME_CARE": "SP-JELGAVA-APRUPE"}}

# seed, given, family, municipality, age in months, what happens
_CHILDREN = (
    (48, "Marta", "Bērziņa", "RIGA", 30, "granted"),      # VDEĀVK: special-care opinion, open-ended
    (54, "Kristaps", "Jansons", "RIGA", 40, "deciding"),  # VDEĀVK: opinion until 30.06.2027
    (55, "Paula", "Ozola", "RIGA", 24, "registering"),
    (56, "Ralfs", "Kļaviņš", "RIGA", 36, "no_opinion"),   # VDEĀVK: no special-care opinion
    (57, "Estere", "Grīnberga", "RIGA", 70, "too_many"),
    (58, "Daniels", "Bērziņš", "RIGA", 90, "refused"),
    (59, "Alise", "Kalniņa", "RIGA", 50, "withdrawn"),
    (60, "Oskars", "Eglītis", "JELGAVA", 20, "registering"),
)


def load_demo(services: Services, today: date) -> None:
    with services.sessions() as session:
        if session.scalar(select(ProcessInstance.id).where(
                ProcessInstance.process_key.in_((P3_KEY, P4_KEY))).limit(1)) is not None:
            return
    codes = {seed: _adult(services, seed, given, family, municipality, planned, today)
             for seed, given, family, municipality, planned in _ADULTS}
    _cycles(services, today, codes)
    for number, (seed, given, family, municipality, months, stage) in enumerate(_CHILDREN, start=1):
        _child_case(services, today, number, seed, given, family, municipality, months, stage)


def _register(services: Services, seed: int, given: str, family: str, municipality: str,
              birth_date: date) -> int:
    code = valid_personal_code(seed)
    with transaction(services.sessions) as session:
        registrar = viewer_of(session, "demo-data", ["caseworker"], ["social_service"], municipality)
        person = session.scalars(select(Person).where(Person.personal_code == code)).first()
        if person is None:
            person = register_person(session, registrar, given_name=given, family_name=family,
                                     personal_code=code, birth_date=birth_date,
                                     municipality_code=municipality, address=municipality.title())
        return person.id


def _adult(services: Services, seed: int, given: str, family: str, municipality: str,
           planned: Planned, today: date) -> str:
    """An adult with an IAP: a P1 case (started like any assessment) carries a version from the
    municipality, valid from three months ago for a year."""
    person_id = _register(services, seed, given, family, municipality, date(1970 + seed % 20, 4, 12))
    with services.sessions() as session:
        registrar = viewer_of(session, "demo-data", ["caseworker"], ["social_service"], municipality)
        iid, reference = start_assessment(services.engine, session, registrar, person_id,
                                          add_months(today, -4))
    with transaction(services.sessions) as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        store_plan_version(session, instance, source="municipality", created_by="demo-data",
                           external_reference=f"SOPA-DEMO-{reference}", plan={
                               "goals": ["Dzīvot patstāvīgi sabiedrībā"],
                               "services": [{"service_type": kind, "hours_per_week": hours,
                                             "frequency": None if hours else "daily"}
                                            for kind, hours in planned],
                               "valid_from": add_months(today, -3).replace(day=1).isoformat(),
                               "valid_to": add_months(today, 8).isoformat(),
                               "responsible_municipality": municipality})
    return valid_personal_code(seed)


def _rows(municipality: str, period_from: date, period_to: date,
          adults: list[tuple[str, Planned]]) -> list[dict[str, Any]]:
    rows = []
    weeks = ((period_to - period_from).days + 1) / 7
    for code, planned in adults:
        for kind, hours in planned:
            if hours:
                volume, unit = int(hours * weeks), "HOURS"
            else:
                volume, unit = 10, "DAYS"
            rows.append({"personal_code": code, "service_type": kind,
                         "provider_code": _PROVIDER[municipality][kind], "period_from": period_from,
                         "period_to": period_to, "volume": volume, "unit": unit,
                         "cost_cents": volume * 850, "external_id": None})
    return rows


def _cycles(services: Services, today: date, codes: dict[int, str]) -> None:
    planned = {seed: p for seed, _g, _f, _m, p in _ADULTS}
    riga = [(codes[s], planned[s]) for s, _g, _f, m, _p in _ADULTS if m == "RIGA"]
    jelgava = [(codes[s], planned[s]) for s, _g, _f, m, _p in _ADULTS if m == "JELGAVA"]
    last_from, last_to = month_period(add_months(today, -1))
    this_from, this_to = month_period(today)
    # Last month, Riga: submitted, all accepted.
    _cycle(services, "RIGA", last_from, _rows("RIGA", last_from, last_to, riga), submit=True)
    # This month, Riga: two records wrong (an unregistered provider, too many hours): to correct.
    wrong = _rows("RIGA", this_from, this_to, riga[:4])
    wrong[0] = dict(wrong[0], volume=wrong[0]["volume"] * 5)
    wrong[1] = dict(wrong[1], provider_code="SP-NEZINAMS")
    _cycle(services, "RIGA", this_from, wrong, submit=True)
    # This month, Jelgava: records uploaded, the month not yet submitted.
    _cycle(services, "JELGAVA", this_from, _rows("JELGAVA", this_from, this_to, jelgava), submit=False)


def _cycle(services: Services, municipality: str, period_from: date, rows: list[dict[str, Any]],
           *, submit: bool) -> None:
    with services.sessions() as session:
        viewer = viewer_of(session, SOCIAL[municipality].username, ["caseworker"],
                           ["social_service"], municipality)
        iid = start_submission_cycle(services.engine, session, viewer, municipality, period_from)
    _, period_to = month_period(period_from)
    with transaction(services.sessions) as session:
        submit_batch(session, municipality_code=municipality, period_from=period_from,
                     period_to=period_to, source="PORTAL_CSV", rows=rows,
                     submitted_by=SOCIAL[municipality].username, instance_id=iid)
    if submit:
        complete(services, iid, "submit_records", SOCIAL[municipality],
                  {"source": "PORTAL", "records_complete": True})
        run_workers(services)


def _child_case(services: Services, today: date, number: int, seed: int, given: str, family: str,
                municipality: str, months: int, stage: str) -> None:
    born = add_months(today, -months)
    person_id = _register(services, seed, given, family, municipality, born)
    case_number = f"P4-{today.year}-{number:04d}"
    with services.sessions() as session:
        registrar = viewer_of(session, "demo-data", ["caseworker"], ["social_service"], municipality)
        iid = start_child_services(services.engine, session, registrar, person_id, case_number)
    if stage == "registering":
        return
    actor = SOCIAL[municipality]
    start = today + timedelta(days=14)
    application: dict[str, Any] = {
        "application_date": (today - timedelta(days=number)).isoformat(),
        "service_start_date": start.isoformat(), "care_service": False, "respite_service": True,
        "respite_days": 10, "child_rehabilitation": ["SPEECH_THERAPIST", "HIPPOTHERAPY"],
        "representative_rehabilitation": ["PSYCHOLOGIST"]}
    if stage in ("granted", "deciding", "no_opinion"):
        application.update(care_service=True, care_hours_per_week=40 if stage == "granted" else 50)
    if stage == "too_many":
        application["representative_rehabilitation"] = ["PSYCHOLOGIST", "PHYSIOTHERAPY",
                                                        "REHABILITOLOGIST"]
    if stage == "withdrawn":
        application["representative_rehabilitation"] = ["HIPPOTHERAPY"]
    complete(services, iid, "register_application", actor, application)
    run_workers(services)
    if stage == "withdrawn":
        complete(services, iid, "correct_application", actor,
                  dict(application, application_withdrawn=True))
    elif stage in ("granted", "refused"):
        decision = {"decision": "GRANTED" if stage == "granted" else "REFUSED",
                    "decision_date": today.isoformat()}
        if stage == "refused":
            decision["decision_reason"] = "Pakalpojumi pieejami pašvaldības programmā."
        if complete(services, iid, "decide_application", actor, decision):
            run_workers(services)
