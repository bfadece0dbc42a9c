"""P7 data for the web and browser tests, made the way it is made in real use: the person's VSAC
stay and discharge through P8 (the SAIS simulator), a support plan, the municipality's accepted
P3 records, an eligibility check through P7's process and the month's report through the engine
and the job runner. Nothing is written into P7's tables directly."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.scope import Viewer, viewer_of
from app.assessment.plans import store_plan_version
from app.auth.service import create_user
from app.cases.service import register_person
from app.co_payment.service import start_co_payment
from app.community_services.records import read_row, submit_batch, validate_pending
from app.db import transaction
from app.db.models import HumanTask, NskReport, ProcessInstance
from app.demo import valid_personal_code
from app.engine.runtime import Actor
from app.nsk import service
from app.services import Services
from workers.jobs import run_due_jobs

PERIOD = "2026-09"
FIRST, LAST = date(2026, 9, 1), date(2026, 9, 30)
VSAC = Actor("iestade", frozenset({"institution"}))
MINISTRY = Actor("ministrija", frozenset({"ministry"}))
PROVIDERS = {"RIGA": "SP-RIGA-APRUPE", "JELGAVA": "SP-JELGAVA-APRUPE"}
PASSWORD = "correct horse battery staple"  # the web tests' password (tests/web/conftest.py)


def run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def social(session: Session, municipality: str) -> Viewer:
    return viewer_of(session, f"soc-{municipality.lower()}", ["caseworker"], ["social_service"],
                     municipality)


def open_task(services: Services, iid: int) -> HumanTask:
    with services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                         HumanTask.status == "open"))
        return task


def add_user(services: Services, username: str, full_name: str, groups: list[str],
             organisation: str, locale: str = "lv") -> None:
    with transaction(services.sessions) as session:
        create_user(session, username, full_name, PASSWORD, ["caseworker"], groups, organisation,
                    locale=locale)


def former_resident(services: Services, seed: int, municipality: str, discharged: date,
                    family_name: str) -> int:
    """An adult discharged from VSAC «Rīga» on ``discharged`` (P8 through SAIS), whose support
    plan lists home care for the whole year. Returns the person's id."""
    with transaction(services.sessions) as session:
        staff = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        person_id = register_person(session, staff, given_name="Nauris", family_name=family_name,
                                    personal_code=valid_personal_code(seed),
                                    birth_date=date(1980, 5, 5), municipality_code=municipality,
                                    institution_code="VSAC-RIGA").id
    with services.sessions() as session:
        staff = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        p8, _ = start_co_payment(services.engine, session, staff, person_id, date(2026, 8, 3))
    run_jobs(services)
    while (task := open_task(services, p8)).element_id == "confirm_calculation":
        services.engine.complete_task(task.id, VSAC, {"decision": "CONFIRM"})
        run_jobs(services)
    services.engine.complete_task(task.id, VSAC, {"discharge_date": discharged.isoformat()})
    run_jobs(services)
    with transaction(services.sessions) as session:
        instance = session.get(ProcessInstance, p8)
        assert instance is not None
        store_plan_version(session, instance, source="assessment", plan={
            "goals": ["Dzīvot patstāvīgi"],
            "services": [{"service_type": "HOME_CARE", "hours_per_week": 8}],
            "valid_from": "2026-01-01", "valid_to": "2026-12-31"})
    return person_id


def home_care(services: Services, seed: int, municipality: str, hours: str, cost: int) -> None:
    """September's accepted home-care record of the person."""
    with transaction(services.sessions) as session:
        submit_batch(session, municipality_code=municipality, period_from=FIRST, period_to=LAST,
                     source="PORTAL_FORM", submitted_by="soc", rows=[read_row({
                         "personal_code": valid_personal_code(seed), "service_type": "HOME_CARE",
                         "provider_code": PROVIDERS[municipality],
                         "period_from": FIRST.isoformat(), "period_to": LAST.isoformat(),
                         "volume": hours, "unit": "HOURS", "cost_cents": str(cost)})])
        validate_pending(session, municipality, FIRST, LAST)


def check(services: Services, person_id: int, municipality: str, on: date) -> int:
    """P7's eligibility check of the person, run to its end. Returns the instance id."""
    with services.sessions() as session:
        started = service.start_eligibility_check(services.engine, session,
                                                  social(session, municipality), person_id, on)
    run_jobs(services)
    return started.instance_id


@dataclass(frozen=True)
class World:
    persons: dict[str, int]   # municipality → the person
    reports: dict[str, int]   # municipality → the September report's instance


def september(services: Services, municipalities: tuple[str, ...] = ("RIGA", "JELGAVA")) -> World:
    """One former resident per municipality, eligible, and September's report of each waiting
    for the ministry. Rīga: discharged 15.09, 20 h at 8,50 € for 15 of 30 days = 85,00 €.
    Jelgava: discharged 10.09, 12 h for 20 of 30 days = 68,00 €."""
    facts = {"RIGA": (71, date(2026, 9, 15), "20", 30000, "Rīdzinieks"),
             "JELGAVA": (73, date(2026, 9, 10), "12", 20000, "Jelgavnieks")}
    persons = {}
    for code in municipalities:
        seed, discharged, hours, cost, family = facts[code]
        persons[code] = former_resident(services, seed, code, discharged, family)
        home_care(services, seed, code, hours, cost)
        check(services, persons[code], code, date(2026, 9, 20))
    started = service.start_monthly_reports(services.engine, services.sessions, PERIOD,
                                            list(municipalities))
    run_jobs(services)
    with services.sessions() as session:
        keys = {i.id: i.municipality_code for i in session.scalars(
            select(ProcessInstance).where(ProcessInstance.id.in_(started)))}
    reports = {str(code): iid for iid, code in keys.items()}
    for iid in started:
        assert open_task(services, iid).element_id == "review_report"
    return World(persons, reports)


def latest(services: Services, iid: int) -> NskReport:
    with services.sessions() as session:
        report = service.latest_report(session, iid)
        assert report is not None
        return report
