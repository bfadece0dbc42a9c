"""P7, money follows the client, end to end: the real engine and job runner, P8 recording the end
of the VSAC care, P3's accepted records, the VDEĀVK and SAIS simulators over HTTP, the rates from
the decision table, the report's PDF and CSV, the ministry's return and approval and the payment
instruction, in exact cents."""
from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import requests
from pypdf import PdfReader
from sqlalchemy import select

from app.access.scope import Viewer, viewer_of
from app.assessment.plans import store_plan_version
from app.cases.service import register_person, start_process_for
from app.co_payment.service import start_co_payment
from app.community_services.records import read_row, submit_batch, validate_pending
from app.db import transaction
from app.db.models import (
    CaseDocument,
    HumanTask,
    NskCompensation,
    NskEligibility,
    NskPayment,
    NskReport,
    ProcessInstance,
    ServiceRecord,
)
from app.demo import valid_personal_code
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.nsk import service
from app.services import Services
from tests.engine.helpers import deploy_processes, one_task_process
from workers.jobs import run_due_jobs

PERIOD = "2026-09"
FIRST, LAST = date(2026, 9, 1), date(2026, 9, 30)
PLAN_HOLDER = "p07_test_plan_holder"
VSAC = Actor("iestade", frozenset({"institution"}))
RIGA = Actor("soc", frozenset({"social_service"}))
MINISTRY = Actor("ministrija", frozenset({"ministry"}))


def run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def social(session: Any) -> Viewer:
    return viewer_of(session, "soc", ["caseworker"], ["social_service"], "RIGA")


def open_task(services: Services, iid: int) -> HumanTask:
    with services.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                         HumanTask.status == "open"))
        return task


def client(services: Services, seed: int, birth: date, admitted: date, discharged: date,
           planned: list[str]) -> int:
    """A VSAC resident (P8 through SAIS) discharged on ``discharged``, with a support plan."""
    with transaction(services.sessions) as session:
        staff = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        person = register_person(session, staff, given_name="Nauris", family_name=f"Kalns{seed}",
                                 personal_code=valid_personal_code(seed), birth_date=birth,
                                 municipality_code="RIGA", institution_code="VSAC-RIGA")
        person_id = person.id
    with services.sessions() as session:
        staff = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        p8, _ = start_co_payment(services.engine, session, staff, person_id, admitted)
    run_jobs(services)
    # P8 confirms every month since the admission (its timers for past months are due at once),
    # then waits for the next month or the discharge.
    while (task := open_task(services, p8)).element_id == "confirm_calculation":
        services.engine.complete_task(task.id, VSAC, {"decision": "CONFIRM"})
        run_jobs(services)
    services.engine.complete_task(task.id, VSAC, {"discharge_date": discharged.isoformat()})
    run_jobs(services)
    with services.sessions() as session:
        holder = start_process_for(services.engine, session, social(session), person_id,
                                   PLAN_HOLDER, {})
    with transaction(services.sessions) as session:
        instance = session.get(ProcessInstance, holder)
        assert instance is not None
        store_plan_version(session, instance, source="assessment", plan={
            "goals": ["Dzīvot patstāvīgi"],
            "services": [{"service_type": s, "hours_per_week": 10} for s in planned],
            "valid_from": "2026-01-01", "valid_to": "2026-12-31"})
    return person_id


def put_opinion(simulators: dict[str, Any], seed: int, group: str, severity: str,
                valid_from: str) -> None:
    url = f"{simulators['vdeavk'].url}/_control/persons/{valid_personal_code(seed)}"
    stored = requests.put(url, json={"opinions": [{
        "opinion_number": f"VDEAVK-{seed}", "disability_group": group, "severity": severity,
        "special_care_opinion": False, "valid_from": valid_from, "valid_to": None}]}, timeout=5)
    assert stored.status_code == 200, stored.text


def check(services: Services, person_id: int, on: date) -> NskEligibility:
    with services.sessions() as session:
        started = service.start_eligibility_check(services.engine, session, social(session),
                                                  person_id, on)
    run_jobs(services)
    with services.sessions() as session:
        instance = session.get(ProcessInstance, started.instance_id)
        assert instance is not None and instance.status == "completed"
        return session.scalars(select(NskEligibility).where(
            NskEligibility.instance_id == started.instance_id)).one()


def records(services: Services, rows: list[dict[str, Any]]) -> None:
    with transaction(services.sessions) as session:
        submit_batch(session, municipality_code="RIGA", period_from=FIRST, period_to=LAST,
                     source="PORTAL_CSV", rows=[read_row(r) for r in rows], submitted_by="soc")
        validate_pending(session, "RIGA", FIRST, LAST)
    with services.sessions() as session:
        statuses = [(r.status, r.errors) for r in session.scalars(select(ServiceRecord))]
    assert all(status == "accepted" for status, _ in statuses), statuses


def row(seed: int, service_type: str, volume: str, unit: str, cost: int,
        provider: str) -> dict[str, Any]:
    return {"personal_code": valid_personal_code(seed), "service_type": service_type,
            "provider_code": provider, "period_from": FIRST.isoformat(),
            "period_to": LAST.isoformat(), "volume": volume, "unit": unit,
            "cost_cents": str(cost)}


def reports(services: Services, iid: int) -> list[NskReport]:
    with services.sessions() as session:
        return list(session.scalars(select(NskReport).where(NskReport.instance_id == iid)
                                    .order_by(NskReport.version)))


def amounts(services: Services, report_id: int) -> dict[int | None, int]:
    with services.sessions() as session:
        return {line.person_id: line.amount_cents for line in session.scalars(
            select(NskCompensation).where(NskCompensation.report_id == report_id))}


def test_eligibility_monthly_report_return_correction_and_payment(
        services: Services, simulators: dict[str, Any]) -> None:
    deploy_processes(services)
    with transaction(services.sessions) as session:
        deploy_source(session, f"{PLAN_HOLDER}.bpmn",
                      one_task_process(PLAN_HOLDER, groups="social_service"), "test")
    # An adult discharged on 15.09: 15 of September's 30 days count.
    adult = client(services, 71, date(1980, 5, 5), date(2026, 8, 3), date(2026, 9, 15),
                   ["HOME_CARE"])
    # Discharged on 05.09 at 17, 18 on 10.09.2026, group II and severe from then: 6–30 September.
    grown = client(services, 72, date(2008, 9, 10), date(2026, 8, 3), date(2026, 9, 5),
                   ["DAY_CENTRE"])
    # Discharged on 05.09 at 17, 18 on 20.09.2026, checked as a child: 6–19 September count.
    turning = client(services, 73, date(2008, 9, 20), date(2026, 8, 3), date(2026, 9, 5),
                     ["HOME_CARE"])
    # Still in the VSAC: never eligible.
    staying = client(services, 74, date(1975, 1, 1), date(2026, 8, 3), date(2026, 12, 31),
                     ["HOME_CARE"])
    put_opinion(simulators, 72, "II", "SEVERE", "2026-09-10")

    adult_check = check(services, adult, date(2026, 9, 20))
    assert adult_check.eligible, adult_check.reasons
    grown_check = check(services, grown, date(2026, 9, 20))
    assert grown_check.eligible and grown_check.disability is not None
    assert grown_check.disability["disability_group"] == "II"
    turning_check = check(services, turning, date(2026, 9, 12))
    assert turning_check.eligible and turning_check.disability is None  # a child: not asked
    refused = check(services, staying, date(2026, 9, 20))
    assert not refused.eligible
    assert [r["code"] for r in refused.reasons if not r["met"]] == ["vsac_care"]

    records(services, [row(71, "HOME_CARE", "20", "HOURS", 30000, "SP-RIGA-APRUPE"),
                       row(72, "DAY_CENTRE", "12", "DAYS", 25000, "SP-RIGA-DARBNICA"),
                       row(73, "HOME_CARE", "10", "HOURS", 20000, "SP-RIGA-APRUPE"),
                       row(74, "HOME_CARE", "10", "HOURS", 20000, "SP-RIGA-APRUPE")])

    [iid] = service.start_monthly_reports(services.engine, services.sessions, PERIOD)
    assert service.start_monthly_reports(services.engine, services.sessions, PERIOD) == []
    run_jobs(services)
    [first] = reports(services, iid)
    # 850 × 20 × 15/30 = 8 500; 1 575 × 12 × 25/30 = 15 750; 850 × 10 × 14/30 = 3 966,67 → 3 967.
    assert amounts(services, first.id) == {adult: 8500, grown: 15750, turning: 3967}
    assert (first.total_cents, first.persons, first.status) == (28217, 3, "submitted")
    assert {(r["service_type"], r["unit"]): r["rate_cents"] for r in first.rates} == {
        ("HOME_CARE", "HOURS"): 850, ("DAY_CENTRE", "DAYS"): 1575}

    review = open_task(services, iid)
    assert (review.element_id, review.municipality_code) == ("review_report", "RIGA")
    services.engine.complete_task(review.id, MINISTRY, {
        "review_decision": "RETURN", "return_reason": "Pārbaudiet personas ar 18 gadu vecumu"})
    run_jobs(services)
    assert reports(services, iid)[0].status == "returned"
    assert reports(services, iid)[0].return_reason == "Pārbaudiet personas ar 18 gadu vecumu"
    correct = open_task(services, iid)
    assert correct.element_id == "correct_report"
    assert services.engine.task_data(correct.id)["return_reason"].startswith("Pārbaudiet")

    # The municipality has the grown-up checked again: VDEĀVK now gives group II from the birthday.
    put_opinion(simulators, 73, "II", "SEVERE", "2026-09-20")
    assert check(services, turning, date(2026, 9, 25)).eligible
    services.engine.complete_task(correct.id, RIGA, {"correction_notes": "Atkārtota pārbaude"})
    run_jobs(services)
    second = reports(services, iid)[1]
    # 850 × 10 × 25/30 = 7 083,33 → 7 083.
    assert amounts(services, second.id) == {adult: 8500, grown: 15750, turning: 7083}
    assert (second.version, second.total_cents) == (2, 31333)

    approve = open_task(services, iid)
    services.engine.complete_task(approve.id, MINISTRY, {"review_decision": "APPROVE"})
    run_jobs(services)
    with services.sessions() as session:
        [payment] = session.scalars(select(NskPayment)).all()
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.status == "completed"
        documents = session.scalars(select(CaseDocument).where(CaseDocument.instance_id == iid)
                                    .order_by(CaseDocument.version)).all()
        pdf = documents[1].content
    assert (payment.amount_cents, payment.reference, payment.approved_by) == (
        31333, "NSK-RIGA-2026-09-V2", "ministrija")
    assert payment.municipality_code == "RIGA"
    assert reports(services, iid)[1].status == "approved"
    assert [d.version for d in documents] == [1, 2]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "313,33 €" in text and "70,83 €" in text and "2/2" not in text
    csv_text = service.report_csv(documents[1].data)
    assert csv_text.splitlines()[-1].split(";")[11] == "313,33"
    assert ";85,00;" in csv_text and ";157,50;" in csv_text and ";70,83;" in csv_text


def test_a_month_without_eligible_persons_starts_no_report(
        services: Services, simulators: dict[str, Any]) -> None:
    deploy_processes(services)
    assert service.start_monthly_reports(services.engine, services.sessions, PERIOD) == []
    last_month = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert service.start_monthly_reports(services.engine, services.sessions, last_month) == []
