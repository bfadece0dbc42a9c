"""P7 demo: three former VSAC «Rīga» residents (seeds 77, 78 and 80) discharged last month, two in Rīga
and one in Jelgava, with support plans and last month's accepted home-care records; each checked
eligible, and last month's report of each municipality waiting for the ministry. Needs the
simulators (SAIS for P8's discharge); without them the cases wait. Idempotent."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.access.scope import viewer_of
from app.assessment.plans import store_plan_version
from app.cases.service import register_person
from app.co_payment.service import start_co_payment
from app.community_services.records import read_row, submit_batch, validate_pending
from app.db import transaction
from app.db.models import Person, ProcessInstance
from app.demo import valid_personal_code
from app.demo_steps import complete, external_systems_reachable, open_task_id, run_workers
from app.domain import nsk as rules
from app.engine.runtime import Actor
from app.services import Services

from . import service

STAFF = Actor("iestade", frozenset({"institution"}))
# seed, given, family, municipality, provider
_CLIENTS = (
    (77, "Edgars", "Priede", "RIGA", "SP-RIGA-APRUPE"),
    (78, "Gunta", "Bērziņa", "RIGA", "SP-RIGA-APRUPE"),
    (80, "Haralds", "Egle", "JELGAVA", "SP-JELGAVA-APRUPE"),
)


def load_demo(services: Services, today: date) -> None:
    with services.sessions() as session:
        if session.scalar(select(Person.id).where(
                Person.personal_code == valid_personal_code(77))) is not None:
            return
    period = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    first, last = rules.period_bounds(period)
    reachable = external_systems_reachable(services) and bool(services.settings.sais_url)
    for seed, given, family, municipality, provider in _CLIENTS:
        with transaction(services.sessions) as session:
            staff = viewer_of(session, "demo-data", ["caseworker"], ["institution"], "VSAC-RIGA")
            person = register_person(session, staff, given_name=given, family_name=family,
                                     personal_code=valid_personal_code(seed),
                                     birth_date=date(1970 + seed % 20, 3, seed % 27 + 1),
                                     municipality_code=municipality, institution_code="VSAC-RIGA",
                                     address=municipality.title())
            person_id = person.id
        with services.sessions() as session:
            p8, _ = start_co_payment(services.engine, session, staff, person_id,
                                     first - timedelta(days=20))
        if not reachable:
            continue
        while complete(services, p8, "confirm_calculation", STAFF, {"decision": "CONFIRM"},
                       timers=True):
            pass
        complete(services, p8, "await_next_month", STAFF,
                 {"discharge_date": (first + timedelta(days=seed % 10)).isoformat()})
        with transaction(services.sessions) as session:
            instance = session.get(ProcessInstance, p8)
            assert instance is not None
            # The IAP agreed for life after the VSAC (in real use it comes from P1 or SOPA).
            store_plan_version(session, instance, source="assessment", plan={
                "goals": ["Dzīvot patstāvīgi"],
                "services": [{"service_type": "HOME_CARE", "hours_per_week": 8}],
                "valid_from": first.isoformat(),
                "valid_to": (last + timedelta(days=300)).isoformat()})
            submit_batch(session, municipality_code=municipality, period_from=first,
                         period_to=last, source="PORTAL_FORM", submitted_by="demo-data", rows=[
                             read_row({"personal_code": valid_personal_code(seed),
                                       "service_type": "HOME_CARE", "provider_code": provider,
                                       "period_from": first.isoformat(),
                                       "period_to": last.isoformat(),
                                       "volume": str(12 + seed % 5), "unit": "HOURS",
                                       "cost_cents": str(18000 + 500 * (seed % 7))})])
            validate_pending(session, municipality, first, last)
        with services.sessions() as session:
            social = viewer_of(session, "demo-data", ["caseworker"], ["social_service"],
                               municipality)
            service.start_eligibility_check(services.engine, session, social, person_id, last)
        run_workers(services)
    if reachable:
        for iid in service.start_monthly_reports(services.engine, services.sessions, period):
            run_workers(services)
            open_task_id(services, iid, "review_report")
