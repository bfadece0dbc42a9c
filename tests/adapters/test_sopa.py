"""The SOPA adapter against its simulator over real HTTP (zeep -> werkzeug on 127.0.0.1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from adapters import registry
from adapters.registry import AdapterError, CallContext
from adapters.simulators import RunningSimulator, start_simulator
from adapters.sopa import operations
from adapters.sopa.simulator import create_app
from app.demo import valid_personal_code
from tests.adapters.simulator_client import (
    assert_malformed_answer_is_retryable,
    assert_server_fault_is_retryable,
    assert_timeout_is_retryable_and_the_retry_counts_once,
    control,
)

PLAN: dict[str, Any] = {
    "municipality_code": "RIGA",
    "case_reference": "P4-2026-0007",
    "plan_version": 2,
    "plan": {
        "goals": ["Dzīvot patstāvīgi grupu dzīvoklī", "Strādāt darbnīcā"],
        "services": [
            {"service_type": "HOME_CARE", "hours_per_week": 12.5, "frequency": None},
            {"service_type": "WORKSHOP", "hours_per_week": None, "frequency": "3 reizes nedēļā"},
        ],
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
    },
}
ASSESSMENT: dict[str, Any] = {
    "municipality_code": "JURMALA",
    "case_reference": "P2-2026-0003",
    "child_group": "FAMILY",
    "services_needed": ["SPECIALIST_SUPPORT", "Atelpas brīža pakalpojums"],
    "summary": "Bērnam nepieciešams atbalsts ģimenē.",
}
PLACEMENT: dict[str, Any] = {
    "municipality_codes": ["RIGA", "OGRE"],
    "case_reference": "P5-2026-0011",
    "change": "GROUP_HOME_TRANSFER",
    "from_group_home": "GM-RIGA-01",
    "to_group_home": "GM-OGRE-02",
    "effective_date": "2026-02-01",
}
REPORT: dict[str, Any] = {
    "municipality_code": "RIGA",
    "case_reference": "P9-2026-0004",
    "report_period_end": "2026-04-10",
    "contact_with_parents": "Māte apmeklē bērnu reizi nedēļā.",
    "contact_with_siblings": "Brālis zvana katru svētdienu.",
    "contact_with_others": "Vecmāmiņa apmeklēja svētkos.",
    "cooperation": "Māte sadarbojas ar iestādes sociālo darbinieku.",
    "physical_development": "Attīstība atbilst vecumam.",
    "psychosocial_development": "Bērns iejuties grupā.",
}
RECORD: dict[str, Any] = {
    "external_id": "TEST-1",
    "personal_code": valid_personal_code(12),
    "service_type": "DAY_CENTRE",
    "provider_code": "OGRES-DC",
    "period_from": "2026-04-01",
    "period_to": "2026-04-30",
    "volume": 20,
    "unit": "DAYS",
    "cost_cents": 56000,
}


@pytest.fixture(scope="module")
def sopa() -> Iterator[RunningSimulator]:
    with start_simulator(create_app()) as sim:
        yield sim


@pytest.fixture(autouse=True)
def fresh_simulator(sopa: RunningSimulator) -> Iterator[None]:
    control(sopa, "reset")
    yield
    control(sopa, "reset")


def call(sim: RunningSimulator, key: str | None = None, timeout: float = 5.0) -> CallContext:
    return CallContext(key or uuid.uuid4().hex, {"sopa_url": sim.url}, timeout)


# Happy paths; what SOPA received is readable through the control API


def test_send_support_plan_is_accepted_and_received(sopa: RunningSimulator) -> None:
    result = operations.send_support_plan(PLAN, call(sopa, "plan-1"))

    assert result["status"] == "ACCEPTED"
    assert result["duplicate"] is False
    assert result["sopa_reference"].startswith("P-")
    assert result["received_at"].endswith("+00:00")
    [plan] = control(sopa, "received/plans")
    assert plan["idempotency_key"] == "plan-1"
    assert plan["sopa_reference"] == result["sopa_reference"]
    assert plan["municipality_code"] == "RIGA"
    assert plan["plan_version"] == "2"
    assert plan["plan"]["goals"] == PLAN["plan"]["goals"]
    assert plan["plan"]["services"] == [
        {"service_type": "HOME_CARE", "hours_per_week": "12.5"},
        {"service_type": "WORKSHOP", "frequency": "3 reizes nedēļā"},
    ]


def test_plan_without_goals_or_services(sopa: RunningSimulator) -> None:
    params = {**PLAN, "plan": {**PLAN["plan"], "goals": [], "services": []}}
    assert operations.send_support_plan(params, call(sopa))["status"] == "ACCEPTED"
    [plan] = control(sopa, "received/plans")
    assert plan["plan"]["goals"] == [] and plan["plan"]["services"] == []


def test_send_child_assessment_is_accepted_and_received(sopa: RunningSimulator) -> None:
    result = operations.send_child_assessment(ASSESSMENT, call(sopa))

    assert (result["status"], result["duplicate"]) == ("ACCEPTED", False)
    [received] = control(sopa, "received/assessments")
    assert received["child_group"] == "FAMILY"
    assert received["services_needed"] == ASSESSMENT["services_needed"]
    assert received["summary"] == ASSESSMENT["summary"]


def test_periodic_report_is_accepted_with_a_receipt_and_received(sopa: RunningSimulator) -> None:
    result = operations.deliver_periodic_report(REPORT, call(sopa))

    assert (result["status"], result["duplicate"]) == ("ACCEPTED", False)
    assert result["sopa_reference"].startswith("R") and result["received_at"]
    [received] = control(sopa, "received/reports")
    assert received["sopa_reference"] == result["sopa_reference"]
    assert received["municipality_code"] == "RIGA"
    assert received["report_period_end"] == "2026-04-10"
    assert received["contact_with_siblings"] == REPORT["contact_with_siblings"]
    assert received["psychosocial_development"] == REPORT["psychosocial_development"]


def test_placement_change_gives_one_reference_per_municipality(sopa: RunningSimulator) -> None:
    result = operations.notify_placement_change(PLACEMENT, call(sopa))

    assert result["status"] == "ACCEPTED"
    assert [ref.rsplit("-", 1)[1] for ref in result["sopa_references"]] == ["RIGA", "OGRE"]
    [notice] = control(sopa, "received/notices")
    assert notice["municipality_codes"] == ["RIGA", "OGRE"]
    assert notice["change"] == "GROUP_HOME_TRANSFER"
    assert notice["effective_date"] == "2026-02-01"


def test_placement_end_needs_only_the_group_home_left(sopa: RunningSimulator) -> None:
    params = {**PLACEMENT, "change": "GROUP_HOME_END", "to_group_home": None,
              "municipality_codes": ["RIGA"]}
    result = operations.notify_placement_change(params, call(sopa))

    assert len(result["sopa_references"]) == 1
    [notice] = control(sopa, "received/notices")
    assert "to_group_home" not in notice


def test_fetch_service_records_returns_the_batch_for_the_period(sopa: RunningSimulator) -> None:
    result = operations.fetch_service_records(
        {"municipality_code": "RIGA", "period_from": "2026-02-01", "period_to": "2026-02-28"},
        call(sopa),
    )

    records = result["records"]
    assert records and all(r["period_from"] == "2026-02-01" for r in records)
    assert all(isinstance(r["cost_cents"], int) for r in records)
    assert {r["unit"] for r in records} <= {"HOURS", "DAYS", "SESSIONS"}


def test_a_test_can_add_records_to_a_batch(sopa: RunningSimulator) -> None:
    period = {"municipality_code": "OGRE", "period_from": "2026-04-01", "period_to": "2026-06-30"}
    assert operations.fetch_service_records(period, call(sopa)) == {"records": []}

    added = control(sopa, "service-records/OGRE", {"records": [RECORD, {**RECORD,
                    "external_id": "TEST-2", "volume": 1.5, "unit": "HOURS"}]})
    assert added == {"added": 2, "total": 2}

    records = operations.fetch_service_records(period, call(sopa))["records"]
    assert records[0] == RECORD
    assert records[1]["volume"] == 1.5
    # Outside the period asked for:
    march = {**period, "period_from": "2026-03-01", "period_to": "2026-03-31"}
    assert operations.fetch_service_records(march, call(sopa)) == {"records": []}


def test_control_refuses_a_bad_service_record(sopa: RunningSimulator) -> None:
    response = requests.post(
        f"{sopa.url}/_control/service-records/OGRE",
        json={"records": [{**RECORD, "service_type": "MASSAGE"}]},
        timeout=5,
    )
    assert response.status_code == 400
    assert "service_type" in response.json()["error"]


def test_unknown_municipality_is_a_permanent_error(sopa: RunningSimulator) -> None:
    with pytest.raises(AdapterError) as caught:
        operations.send_support_plan({**PLAN, "municipality_code": "ATLANTIS"}, call(sopa))

    assert caught.value.retryable is False
    assert "Unknown municipality code 'ATLANTIS' [UNKNOWN_MUNICIPALITY]" in str(caught.value)


# Idempotency


@pytest.mark.parametrize(
    ("send", "params"),
    [
        (operations.send_support_plan, PLAN),
        (operations.send_child_assessment, ASSESSMENT),
        (operations.notify_placement_change, PLACEMENT),
        (operations.deliver_periodic_report, REPORT),
    ],
)
def test_a_repeated_key_is_applied_once(
    sopa: RunningSimulator, send: registry.Operation, params: dict[str, Any]
) -> None:
    first = send(params, call(sopa, "same-key"))
    second = send(params, call(sopa, "same-key"))

    assert second == {**first, "duplicate": True}
    assert control(sopa, "applied") == {"applied": {"same-key": 1}, "received": {"same-key": 2}}
    assert len(control(sopa, "received")) == 1


def test_a_key_reused_for_another_plan_version_is_refused(sopa: RunningSimulator) -> None:
    operations.send_support_plan(PLAN, call(sopa, "plan-key"))
    with pytest.raises(AdapterError) as caught:
        operations.send_support_plan({**PLAN, "plan_version": 3}, call(sopa, "plan-key"))

    assert caught.value.retryable is False
    assert "IDEMPOTENCY_CONFLICT" in str(caught.value)


# Faults


def test_timeout_is_retryable_and_the_retry_applies_once(sopa: RunningSimulator) -> None:
    assert_timeout_is_retryable_and_the_retry_counts_once(
        sopa, "SOPA", lambda key, timeout: operations.send_support_plan(
            PLAN, call(sopa, key, timeout))
    )
    assert len(control(sopa, "received/plans")) == 1


def test_soap_fault_is_retryable_with_a_clear_message(sopa: RunningSimulator) -> None:
    assert_server_fault_is_retryable(
        sopa, "SOPA", lambda: operations.send_child_assessment(ASSESSMENT, call(sopa))
    )


def test_malformed_answer_is_retryable(sopa: RunningSimulator) -> None:
    assert_malformed_answer_is_retryable(
        sopa, "SOPA", lambda: operations.notify_placement_change(PLACEMENT, call(sopa))
    )


def test_periodic_report_timeout_is_retryable_and_the_retry_applies_once(
    sopa: RunningSimulator,
) -> None:
    assert_timeout_is_retryable_and_the_retry_counts_once(
        sopa, "SOPA", lambda key, timeout: operations.deliver_periodic_report(
            REPORT, call(sopa, key, timeout))
    )
    assert len(control(sopa, "received/reports")) == 1


def test_periodic_report_fault_is_retryable(sopa: RunningSimulator) -> None:
    assert_server_fault_is_retryable(
        sopa, "SOPA", lambda: operations.deliver_periodic_report(REPORT, call(sopa))
    )


def test_periodic_report_malformed_answer_is_retryable(sopa: RunningSimulator) -> None:
    assert_malformed_answer_is_retryable(
        sopa, "SOPA", lambda: operations.deliver_periodic_report(REPORT, call(sopa))
    )


def test_fetch_timeout_is_retryable(sopa: RunningSimulator) -> None:
    period = {"municipality_code": "RIGA", "period_from": "2026-01-01", "period_to": "2026-01-31"}
    assert_timeout_is_retryable_and_the_retry_counts_once(
        sopa, "SOPA", lambda key, timeout: operations.fetch_service_records(
            period, call(sopa, key, timeout))
    )


@pytest.mark.parametrize(
    ("send", "params", "message"),
    [
        (operations.send_support_plan, {**PLAN, "plan_version": 0}, "'plan_version' must be"),
        (operations.send_support_plan, {**PLAN, "plan_version": "2"}, "'plan_version' must be"),
        (operations.send_support_plan, {**PLAN, "case_reference": "320000-00016"},
         "looks like a personal code"),
        (operations.send_support_plan, {**PLAN, "plan": {**PLAN["plan"], "valid_to": "2025-12-31"}},
         "'plan.valid_to' is before"),
        (operations.send_support_plan,
         {**PLAN, "plan": {**PLAN["plan"], "services": [{"service_type": "SPA"}]}},
         "'plan.services[0].service_type' must be one of"),
        (operations.send_support_plan,
         {**PLAN, "plan": {**PLAN["plan"], "services": [{"service_type": "HOME_CARE",
                                                         "hours_per_week": 200}]}},
         "'plan.services[0].hours_per_week'"),
        (operations.send_support_plan, {**PLAN, "plan": {**PLAN["plan"], "owner": "x"}},
         "unknown field(s) in 'plan': owner"),
        (operations.send_child_assessment, {**ASSESSMENT, "child_group": "STREET"},
         "'child_group' must be one of"),
        (operations.send_child_assessment, {**ASSESSMENT, "services_needed": "HOME_CARE"},
         "'services_needed' must be a list"),
        (operations.notify_placement_change, {**PLACEMENT, "to_group_home": None},
         "'to_group_home' is required"),
        (operations.notify_placement_change, {**PLACEMENT, "municipality_codes": []},
         "non-empty list"),
        (operations.notify_placement_change, {**PLACEMENT, "change": "MOVE"},
         "'change' must be one of"),
        (operations.deliver_periodic_report, {**REPORT, "cooperation": " "}, "'cooperation'"),
        (operations.deliver_periodic_report, {**REPORT, "physical_development": "x" * 4001},
         "'physical_development'"),
        (operations.deliver_periodic_report, {**REPORT, "report_period_end": "10.04.2026"},
         "'report_period_end'"),
        (operations.deliver_periodic_report, {**REPORT, "child_name": "Jānis"},
         "child_name"),
        (operations.fetch_service_records,
         {"municipality_code": "RIGA", "period_from": "2026-02-01", "period_to": "2026-01-01"},
         "'period_to' is before"),
        (operations.fetch_service_records, {"municipality_code": "riga",
                                            "period_from": "2026-02-01",
                                            "period_to": "2026-03-01"}, "municipality_code"),
    ],
)
def test_bad_parameters_are_permanent_errors(
    sopa: RunningSimulator, send: registry.Operation, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(AdapterError) as caught:
        send(params, call(sopa))

    assert caught.value.retryable is False
    assert message in str(caught.value)
    assert control(sopa, "applied")["received"] == {}


def test_registry_finds_the_operations() -> None:
    assert registry.lookup("sopa.send_support_plan") is operations.send_support_plan
    assert registry.lookup("sopa.send_child_assessment") is operations.send_child_assessment
    assert registry.lookup("sopa.notify_placement_change") is operations.notify_placement_change
    assert registry.lookup("sopa.fetch_service_records") is operations.fetch_service_records
    assert registry.lookup("sopa.deliver_periodic_report") is operations.deliver_periodic_report
