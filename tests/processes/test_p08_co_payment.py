"""P8 through the real engine, job runner and the SAIS simulator over HTTP: admission noticed,
the month's payments fetched, the allowance and co-payment computed to the cent, confirmed or
corrected, stored with a statement PDF; a SAIS correction recalculates the month; discharge
noticed."""
from __future__ import annotations

import io
from datetime import date
from typing import Any

import requests
from pypdf import PdfReader
from sqlalchemy import select

from app.access.scope import viewer_of
from app.cases.service import register_person
from app.co_payment.service import report_correction, start_co_payment
from app.db import transaction
from app.db.models import CaseDocument, HumanTask, Incident, ProcessInstance
from app.db.models.co_payments import CoPaymentMonth
from app.demo import valid_personal_code
from app.domain.co_payment import minimum_allowance_cents
from app.engine.runtime import Actor
from app.forms import service as forms
from app.services import Services
from tests.engine.helpers import deploy_processes
from workers.jobs import run_due_jobs

STAFF = Actor("iestade", frozenset({"institution"}))
SEED = 83
ADMITTED = date(2026, 10, 5)
# What SAIS paid in October 2026: amounts whose 15 % has a fraction of a cent.
OCTOBER = [{"kind": "PENSION", "amount_cents": 41234, "paid_on": "2026-10-09", "period": "2026-10",
            "reference": "VSAA-P-1"},
           {"kind": "SUPPLEMENT", "amount_cents": 1001, "paid_on": "2026-10-09",
            "period": "2026-10", "reference": "VSAA-S-1"}]


def put_payments(sais: Any, payments: list[dict[str, Any]]) -> None:
    code = valid_personal_code(SEED)
    current = requests.get(f"{sais.url}/_control/persons/{code}", timeout=5)
    assert current.status_code == 200, current.text
    record = current.json()
    record["payments"] = payments
    stored = requests.put(f"{sais.url}/_control/persons/{code}", json=record, timeout=5)
    assert stored.status_code == 200, stored.text


def run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def open_task(services: Services, iid: int) -> HumanTask:
    with services.sessions() as session:
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == iid,
                                                       HumanTask.status == "open")
                               .order_by(HumanTask.id)).all()[-1]


def admit(services: Services) -> int:
    deploy_processes(services)
    with transaction(services.sessions) as session:
        staff = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        person = register_person(session, staff, given_name="Ilmārs", family_name="Kalns",
                                 personal_code=valid_personal_code(SEED), municipality_code="RIGA",
                                 institution_code="VSAC-RIGA")
        person_id = person.id
    with services.sessions() as session:
        staff = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        iid, _reference = start_co_payment(services.engine, session, staff, person_id, ADMITTED)
    run_jobs(services)
    return iid


def test_a_month_is_computed_to_the_cent_confirmed_and_printed(
        services: Services, simulators: dict[str, Any]) -> None:
    sais = simulators["sais"]
    put_payments(sais, OCTOBER)
    iid = admit(services)
    notices = requests.get(f"{sais.url}/_control/received/admissions", timeout=5).json()
    assert len(notices) == 1
    task = open_task(services, iid)
    assert task.element_id == "confirm_calculation" and task.institution_code == "VSAC-RIGA"
    total = 41234 + 1001
    minimum = minimum_allowance_cents(total, "2026-10")
    assert minimum == 6336  # 15 % of 422,35 € is 63,3525 €: rounded up to the cent
    services.engine.complete_task(task.id, STAFF, {"period": "2026-10", "total_cents": total,
                                                   "decision": "CONFIRM"})
    run_jobs(services)
    with services.sessions() as session:
        [month] = session.scalars(select(CoPaymentMonth).where(
            CoPaymentMonth.instance_id == iid)).all()
        assert (month.period, month.total_cents, month.allowance_cents, month.co_payment_cents) \
            == ("2026-10", total, 6336, total - 6336)
        [statement] = session.scalars(select(CaseDocument).where(
            CaseDocument.instance_id == iid)).all()
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(statement.content)).pages)
        assert "422,35 €" in text and "63,36 €" in text and "358,99 €" in text
        assert session.scalars(select(Incident)).all() == []
    assert open_task(services, iid).element_id == "await_next_month"


def test_a_correction_below_the_minimum_is_refused_and_a_sais_correction_recalculates(
        services: Services, simulators: dict[str, Any]) -> None:
    sais = simulators["sais"]
    put_payments(sais, OCTOBER)
    iid = admit(services)
    total = 41234 + 1001
    # The form refuses an allowance under the legal minimum on its field, before the task ends.
    schema = forms.load_schema(services.settings.forms_dir, "p08_confirm_calculation.json")
    refused = forms.validate(schema, {"period": "2026-10", "total_cents": total,
                                      "decision": "CORRECT", "allowance_cents": 6335,
                                      "correction_reason": "Mazāk"}, lang="lv")
    assert list(refused) == ["allowance_cents"] and "29" in refused["allowance_cents"][0]
    assert forms.validate(schema, {"period": "2026-10", "total_cents": total,
                                   "decision": "CORRECT", "allowance_cents": 6336,
                                   "correction_reason": "Pēc personas lūguma"}, lang="lv") == {}
    task = open_task(services, iid)
    # Confirmed properly, then SAIS reports a late payment for October: the month is recalculated.
    services.engine.complete_task(task.id, STAFF, {"period": "2026-10", "total_cents": total,
                                                   "decision": "CONFIRM"})
    run_jobs(services)
    put_payments(sais, [*OCTOBER, {"kind": "COMPENSATION", "amount_cents": 5000,
                                   "paid_on": "2026-10-28", "period": "2026-10",
                                   "reference": "VSAA-C-1"}])
    with services.sessions() as session:
        reference = session.get(ProcessInstance, iid).business_key  # type: ignore[union-attr]
    report_correction(services.engine, str(reference), "2026-10", Actor("api:sais"))
    run_jobs(services)
    again = open_task(services, iid)
    assert again.element_id == "confirm_calculation"
    services.engine.complete_task(again.id, STAFF, {"period": "2026-10",
                                                    "total_cents": total + 5000,
                                                    "decision": "CONFIRM"})
    run_jobs(services)
    with services.sessions() as session:
        months = session.scalars(select(CoPaymentMonth).where(CoPaymentMonth.instance_id == iid)
                                 .order_by(CoPaymentMonth.id)).all()
    assert [m.total_cents for m in months][-1] == total + 5000
    assert months[-1].allowance_cents == minimum_allowance_cents(total + 5000, "2026-10")


def test_discharge_notices_sais_and_ends_the_case(services: Services,
                                                  simulators: dict[str, Any]) -> None:
    sais = simulators["sais"]
    put_payments(sais, OCTOBER)
    iid = admit(services)
    task = open_task(services, iid)
    services.engine.complete_task(task.id, STAFF, {"period": "2026-10", "total_cents": 42235,
                                                   "decision": "CONFIRM"})
    run_jobs(services)
    waiting = open_task(services, iid)
    assert waiting.element_id == "await_next_month"
    services.engine.complete_task(waiting.id, STAFF, {"discharge_date": "2026-11-20"})
    run_jobs(services)
    discharges = requests.get(f"{sais.url}/_control/received/discharges", timeout=5).json()
    assert len(discharges) == 1
    with services.sessions() as session:
        assert session.get(ProcessInstance, iid).status == "completed"  # type: ignore[union-attr]
