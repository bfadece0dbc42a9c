"""``POST /api/v1/co-payment-corrections``: SAIS (or the ministry's integration key) reports that
a month it paid has changed; the case fetches the month again through the real engine, job
runner and SAIS simulator, and the confirmed recalculation is a new version of the month. Applied
once per correction id; wrong keys, malformed bodies and unknown cases change nothing."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from app.access.scope import viewer_of
from app.co_payment.service import start_co_payment
from app.db.models import Event, Job
from app.db.models.co_payments import CoPaymentMonth
from app.demo import valid_personal_code
from app.domain.co_payment import minimum_allowance_cents
from app.engine.runtime import Actor
from app.services import Services

from .conftest import (
    Api,
    admission_day,
    error_of,
    open_steps,
    put_payments,
    resident,
    run_jobs,
)

STAFF = Actor("iestade", frozenset({"institution"}))
PATH = "/co-payment-corrections"
SEED = 79


@pytest.fixture
def sais_key(api_as: Callable[..., Api]) -> Api:
    """SAIS's key: made in the ministry's organisation, as docs/processes/P8.md says."""
    return api_as("sais-corrections", organisation="LM", groups=("sais",))


def confirmed_case(services: Services, sais: Any, seed: int = SEED) -> tuple[int, int, str]:
    """A resident admitted this month whose first month is confirmed: (person, instance,
    reference); the case waits at ``await_next_month``."""
    day = admission_day()
    put_payments(sais, seed, [41234], day)
    person_id = resident(services, seed)
    with services.sessions() as session:
        staff = viewer_of(session, "iestade", ["caseworker"], ["institution"], "VSAC-RIGA")
        iid, reference = start_co_payment(services.engine, session, staff, person_id, day)
    run_jobs(services)
    [task] = open_steps(services, iid)
    assert task.element_id == "confirm_calculation"
    services.engine.complete_task(task.id, STAFF, {"period": day.strftime("%Y-%m"),
                                                   "total_cents": 41234, "decision": "CONFIRM"})
    run_jobs(services)
    assert [t.element_id for t in open_steps(services, iid)] == ["await_next_month"]
    return person_id, iid, reference


def months(services: Services, iid: int) -> list[tuple[str, int, int]]:
    with services.sessions() as session:
        return [(m.period, m.version, m.total_cents) for m in session.scalars(
            select(CoPaymentMonth).where(CoPaymentMonth.instance_id == iid)
            .order_by(CoPaymentMonth.id))]


def footprint(services: Services) -> tuple[int, int]:
    """Events and jobs: a refused correction adds to neither."""
    with services.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Event)) or 0,
                session.scalar(select(func.count()).select_from(Job)) or 0)


def test_a_correction_recalculates_the_month_as_a_new_version(
        web_services: Services, simulators: dict[str, Any], sais_key: Api) -> None:
    sais = simulators["sais"]
    _person, iid, reference = confirmed_case(web_services, sais)
    period = admission_day().strftime("%Y-%m")
    assert months(web_services, iid) == [(period, 1, 41234)]
    put_payments(sais, SEED, [41234, 5000], admission_day())  # a late compensation
    body = {"correction_id": "VSAA-K-1", "case_reference": reference, "period": period,
            "reason": "Vēlāk izmaksāta kompensācija"}
    answer = sais_key.post(PATH, json=body)
    assert answer.status_code == 202, answer.text
    assert answer.get_json() == {"status": "accepted", "correction_id": "VSAA-K-1",
                                 "case_reference": reference, "period": period}
    run_jobs(web_services)
    [again] = open_steps(web_services, iid)
    assert again.element_id == "confirm_calculation"
    assert web_services.engine.task_data(again.id)["total_cents"] == 46234
    # Delivered again while the month is being confirmed: a duplicate, nothing changes.
    before = footprint(web_services)
    repeat = sais_key.post(PATH, json=body)
    assert repeat.status_code == 200 and repeat.get_json()["status"] == "duplicate"
    assert footprint(web_services) == before
    web_services.engine.complete_task(again.id, STAFF, {"period": period, "total_cents": 46234,
                                                        "decision": "CONFIRM"})
    run_jobs(web_services)
    assert months(web_services, iid) == [(period, 1, 41234), (period, 2, 46234)]
    with web_services.sessions() as session:
        latest = session.scalars(select(CoPaymentMonth).where(
            CoPaymentMonth.instance_id == iid, CoPaymentMonth.version == 2)).one()
        assert latest.allowance_cents == minimum_allowance_cents(46234, period)
    # Once more after the recalculation: still a duplicate, no third version.
    assert sais_key.post(PATH, json=body).get_json()["status"] == "duplicate"
    run_jobs(web_services)
    assert len(months(web_services, iid)) == 2
    # The same id for another month is refused.
    other = sais_key.post(PATH, json=dict(body, period="2020-01"))
    assert other.status_code == 409 and error_of(other)["code"] == "conflicting_duplicate"


def test_the_case_is_found_by_personal_code_and_institution(
        web_services: Services, simulators: dict[str, Any],
        api_as: Callable[..., Api]) -> None:
    _person, iid, reference = confirmed_case(web_services, simulators["sais"])
    ministry = api_as("lm-integration", organisation="LM", groups=("integration",))
    period = admission_day().strftime("%Y-%m")
    answer = ministry.post(PATH, json={"correction_id": "VSAA-K-2", "period": period,
                                       "personal_code": valid_personal_code(SEED),
                                       "institution_code": "VSAC-RIGA"})
    assert answer.status_code == 202, answer.text
    assert answer.get_json()["case_reference"] == reference
    run_jobs(web_services)
    assert [t.element_id for t in open_steps(web_services, iid)] == ["confirm_calculation"]
    # A correction while the month waits for the caseworker: not now, nothing changes.
    before = footprint(web_services)
    busy = ministry.post(PATH, json={"correction_id": "VSAA-K-3", "period": period,
                                     "case_reference": reference})
    assert busy.status_code == 409 and error_of(busy)["code"] == "case_not_waiting"
    assert footprint(web_services) == before


def test_only_sais_or_the_ministry_may_report(
        web_services: Services, simulators: dict[str, Any], api_as: Callable[..., Api],
        app: Any) -> None:
    _person, iid, reference = confirmed_case(web_services, simulators["sais"])
    body = {"correction_id": "VSAA-K-4", "case_reference": reference,
            "period": admission_day().strftime("%Y-%m")}
    before = footprint(web_services)
    vsac = api_as("vsac-riga-sync")  # the resident's own institution, still not SAIS
    refused = vsac.post(PATH, json=body)
    assert refused.status_code == 403 and error_of(refused)["code"] == "outside_scope"
    # A ministry employee's own key is not the integration link either.
    employee = api_as("lm-analyst", organisation="LM", groups=("ministry",))
    refused = employee.post(PATH, json=body)
    assert refused.status_code == 403 and error_of(refused)["code"] == "outside_scope"
    auditor = api_as("lm-audit", organisation="LM", roles=("auditor",), groups=())
    read_only = auditor.post(PATH, json=body)
    assert read_only.status_code == 403 and error_of(read_only)["code"] == "read_only"
    nobody = Api(app.test_client(), "dicase_000000000000_" + "0" * 64)
    assert nobody.post(PATH, json=body).status_code == 401
    assert Api(app.test_client(), None).post(PATH, json=body).status_code == 401
    assert footprint(web_services)[1] == before[1]  # no job; only the key's use was noted
    assert [t.element_id for t in open_steps(web_services, iid)] == ["await_next_month"]


@pytest.mark.parametrize(("body", "field"), [
    ({"case_reference": "P8-X", "period": "2026-10"}, "correction_id"),
    ({"correction_id": "K", "case_reference": "P8-X", "period": "2026-13"}, "period"),
    ({"correction_id": "K", "case_reference": "P8-X", "period": "10.2026"}, "period"),
    ({"correction_id": "K", "period": "2026-10"}, "case_reference"),
    ({"correction_id": "K", "period": "2026-10", "personal_code": "320000-00000"},
     "case_reference"),
    ({"correction_id": "K", "period": "2026-10", "personal_code": "010101-12345",
      "institution_code": "VSAC-RIGA"}, "personal_code"),
    ({"correction_id": "K", "case_reference": "P8-X", "period": "2026-10", "amount": 5},
     "body"),
    ({"correction_id": "", "case_reference": "P8-X", "period": "2026-10"}, "correction_id"),
])
def test_malformed_bodies_are_refused_with_their_field(
        web_services: Services, sais_key: Api, body: dict[str, Any], field: str) -> None:
    before = footprint(web_services)
    answer = sais_key.post(PATH, json=body, headers={"Accept-Language": "lv"})
    assert answer.status_code == 422, answer.text
    error = error_of(answer)
    assert error["code"] == "invalid_data" and field in error["fields"], error
    assert footprint(web_services) == before


def test_not_json_and_unknown_cases(web_services: Services, simulators: dict[str, Any],
                                    sais_key: Api) -> None:
    _person, iid, reference = confirmed_case(web_services, simulators["sais"])
    before = footprint(web_services)
    broken = sais_key.post(PATH, data="{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and error_of(broken)["code"] == "invalid_json"
    period = admission_day().strftime("%Y-%m")
    for body in ({"correction_id": "K", "period": period, "case_reference": "P8-2001-01-01-000001"},
                 {"correction_id": "K", "period": period,
                  "personal_code": valid_personal_code(SEED), "institution_code": "VSAC-LATGALE"},
                 {"correction_id": "K", "period": period,
                  "personal_code": valid_personal_code(78), "institution_code": "VSAC-RIGA"}):
        unknown = sais_key.post(PATH, json=body)
        assert unknown.status_code == 404, body
        assert error_of(unknown)["code"] == "unknown_case"
    # A month the case never calculated (before the admission) is refused on its field.
    early = sais_key.post(PATH, json={"correction_id": "K", "period": "2019-12",
                                      "case_reference": reference})
    assert early.status_code == 422 and "period" in error_of(early)["fields"]
    later = sais_key.post(PATH, json={"correction_id": "K", "period": f"{admission_day().year + 1}-01",
                                      "case_reference": reference},
                          headers={"Accept-Language": "en"})
    assert later.status_code == 422
    assert "there is no calculation for" in error_of(later)["fields"]["period"][0]
    assert footprint(web_services)[1] == before[1]
    assert [t.element_id for t in open_steps(web_services, iid)] == ["await_next_month"]
