"""Fixtures of the P8 screen and endpoint tests: the real app and API keys of tests/api, a VSAC
resident registered through the case service, and the SAIS simulator's payments set over HTTP.

Dates are counted from today in Latvia, so the admission is never in the future and the next
month's fetch never already due."""
from __future__ import annotations

from datetime import date
from typing import Any

import requests
from sqlalchemy import select

from app.access.scope import viewer_of
from app.cases.service import register_person
from app.db import transaction
from app.db.models import HumanTask, ProcessInstance
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.services import Services
from tests.api.conftest import (  # noqa: F401 - fixtures
    Api,
    api_as,
    app,
    error_of,
    make_key,
    make_user,
    web_services,
    web_settings,
)
from tests.web.conftest import PASSWORD, csrf_from, login  # noqa: F401
from workers.jobs import run_due_jobs

P8 = "p08_co_payment"
BIRTH = date(1950, 3, 14)


def admission_day() -> date:
    """The first of this month: the stay's first month is the current one."""
    return today_in_latvia().replace(day=1)


def resident(services: Services, seed: int, institution: str = "VSAC-RIGA",
             given: str = "Ilga", family: str = "Ozola") -> int:
    with transaction(services.sessions) as session:
        staff = viewer_of(session, "registrar", ["caseworker"], ["institution"], institution)
        return register_person(session, staff, given_name=given, family_name=family,
                               personal_code=valid_personal_code(seed), municipality_code="RIGA",
                               institution_code=institution, birth_date=BIRTH).id


def put_payments(sais: Any, seed: int, amounts: list[int], day: date) -> None:
    """SAIS's payments of ``day``'s month for the person of ``seed``."""
    code = valid_personal_code(seed)
    current = requests.get(f"{sais.url}/_control/persons/{code}", timeout=5)
    record = current.json() if current.status_code == 200 else {}
    record["payments"] = [{"kind": "PENSION", "amount_cents": amount, "paid_on": day.isoformat(),
                           "period": day.strftime("%Y-%m"), "reference": f"VSAA-{seed}-{n}"}
                          for n, amount in enumerate(amounts)]
    stored = requests.put(f"{sais.url}/_control/persons/{code}", json=record, timeout=5)
    assert stored.status_code == 200, stored.text


def run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def cases_of(services: Services, person_id: int) -> list[ProcessInstance]:
    with services.sessions() as session:
        return list(session.scalars(select(ProcessInstance).where(
            ProcessInstance.process_key == P8, ProcessInstance.person_id == person_id)))


def open_steps(services: Services, instance_id: int) -> list[HumanTask]:
    with services.sessions() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")
            .order_by(HumanTask.id)))
