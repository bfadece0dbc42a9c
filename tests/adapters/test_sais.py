"""The SAIS adapter against its simulator over real HTTP (zeep -> werkzeug on 127.0.0.1)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests

from adapters import registry
from adapters.registry import AdapterError, CallContext
from adapters.sais import client, operations
from adapters.sais.fixture import fixture_persons
from adapters.sais.messages import cents_to_euro, euro_to_cents
from adapters.sais.simulator import create_app
from adapters.simulators import RunningSimulator, start_simulator
from app.demo import valid_personal_code
from tests.adapters.simulator_client import (
    assert_malformed_answer_is_retryable,
    assert_server_fault_is_retryable,
    assert_timeout_is_retryable_and_the_retry_counts_once,
    control,
)

PERSON = valid_personal_code(7)
INSTITUTION = "VSAC-RIGA"


def payment(kind: str, cents: int, paid_on: str, reference: str) -> dict[str, Any]:
    return {"kind": kind, "amount_cents": cents, "paid_on": paid_on, "period": paid_on[:7],
            "reference": reference}


JANUARY_2026 = {
    "payments": [
        payment("PENSION", 12345, "2026-01-01", "PEN-T-1"),
        payment("SUPPLEMENT", 10, "2026-01-31", "SUP-T-1"),
        payment("COMPENSATION", 20, "2026-01-31", "KOM-T-1"),
        payment("PENSION", 12345, "2026-02-01", "PEN-T-2"),
        payment("FOREIGN_PENSION", 7, "2025-12-31", "ARP-T-1"),
    ]
}


@pytest.fixture(scope="module")
def sais() -> Iterator[RunningSimulator]:
    with start_simulator(create_app()) as sim:
        yield sim


@pytest.fixture(autouse=True)
def fresh_simulator(sais: RunningSimulator) -> Iterator[None]:
    control(sais, "reset")
    yield
    control(sais, "reset")


def call(sim: RunningSimulator, key: str | None = None, timeout: float = 5.0) -> CallContext:
    return CallContext(key or uuid.uuid4().hex, {"sais_url": sim.url}, timeout)


def payments(
    sim: RunningSimulator, code: str, first: str, last: str, key: str | None = None,
    timeout: float = 5.0,
) -> dict[str, Any]:
    params = {"personal_code": code, "period_from": first, "period_to": last}
    return operations.get_payments(params, call(sim, key, timeout))


def admit(
    sim: RunningSimulator, code: str = PERSON, on: str = "2026-01-05", key: str | None = None,
    timeout: float = 5.0, institution: str = INSTITUTION,
) -> dict[str, Any]:
    params = {"personal_code": code, "institution_code": institution, "admission_date": on}
    return operations.notify_admission(params, call(sim, key, timeout))


def discharge(
    sim: RunningSimulator, code: str = PERSON, on: str = "2026-03-31", key: str | None = None
) -> dict[str, Any]:
    params = {"personal_code": code, "institution_code": INSTITUTION, "discharge_date": on}
    return operations.notify_discharge(params, call(sim, key))


# Payments


def test_payments_paid_within_the_period_bounds_inclusive(sais: RunningSimulator) -> None:
    control(sais, f"persons/{PERSON}", JANUARY_2026, method="PUT")

    assert payments(sais, PERSON, "2026-01-01", "2026-01-31") == {
        "found": True,
        "payments": [
            payment("PENSION", 12345, "2026-01-01", "PEN-T-1"),
            payment("COMPENSATION", 20, "2026-01-31", "KOM-T-1"),
            payment("SUPPLEMENT", 10, "2026-01-31", "SUP-T-1"),
        ],
        "total_cents": 12375,
    }


def test_money_is_exact_in_cents_and_decimal_euro_on_the_wire(sais: RunningSimulator) -> None:
    control(sais, f"persons/{PERSON}", JANUARY_2026, method="PUT")
    envelope = f"""<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"
        xmlns:s="urn:lv:sais:di:v1"><soap:Body><s:GetPaymentsRequest>
        <s:IdempotencyKey>wire-1</s:IdempotencyKey><s:PersonalCode>{PERSON}</s:PersonalCode>
        <s:PeriodFrom>2026-01-01</s:PeriodFrom><s:PeriodTo>2026-01-31</s:PeriodTo>
        </s:GetPaymentsRequest></soap:Body></soap:Envelope>"""
    answer = requests.post(sais.url, data=envelope.encode(), timeout=5,
                           headers={"Content-Type": "text/xml; charset=utf-8"}).text

    assert "<tns:Amount>123.45</tns:Amount>" in answer
    assert "<tns:Amount>0.10</tns:Amount>" in answer
    assert "<tns:TotalAmount>123.75</tns:TotalAmount>" in answer
    # 0.10 + 0.20 is 0.30 exactly (a float would make it 0.30000000000000004).
    result = payments(sais, PERSON, "2026-01-31", "2026-01-31")
    assert result["total_cents"] == 30
    assert all(type(p["amount_cents"]) is int for p in result["payments"])


def test_cents_and_euro_convert_exactly() -> None:
    assert cents_to_euro(12345) == Decimal("123.45")
    assert str(cents_to_euro(10)) == "0.10"
    assert str(cents_to_euro(0)) == "0.00"
    assert euro_to_cents(Decimal("123.45")) == 12345
    assert euro_to_cents(Decimal("0.1")) == 10
    with pytest.raises(ValueError):
        euro_to_cents(Decimal("1.005"))
    with pytest.raises(TypeError):
        euro_to_cents(123.45)  # type: ignore[arg-type]


def test_unknown_person_is_not_found_with_no_payments(sais: RunningSimulator) -> None:
    assert payments(sais, valid_personal_code(91), "2019-01-01", "2026-12-31") == {
        "found": False, "payments": [], "total_cents": 0,
    }


def test_a_person_paid_nothing_is_found_with_no_payments(sais: RunningSimulator) -> None:
    assert payments(sais, valid_personal_code(15), "2019-01-01", "2026-12-31") == {
        "found": True, "payments": [], "total_cents": 0,
    }


def test_fixture_payments_before_2020_are_returned(sais: RunningSimulator) -> None:
    result = payments(sais, valid_personal_code(1), "2019-12-01", "2019-12-31")

    assert result["found"] is True
    assert {p["kind"] for p in result["payments"]} == {"PENSION", "SUPPLEMENT"}
    assert all(p["period"] == "2019-12" for p in result["payments"])
    assert result["total_cents"] == sum(p["amount_cents"] for p in result["payments"])


def test_fixture_covers_seeds_1_to_90_with_every_kind_and_some_with_nothing() -> None:
    persons = fixture_persons()
    kinds = {code: {p["kind"] for p in person["payments"]} for code, person in persons.items()}
    months = {p["period"] for person in persons.values() for p in person["payments"]}

    assert set(persons) == {valid_personal_code(seed) for seed in range(1, 91)}
    assert sum("PENSION" in k for k in kinds.values()) > 60
    assert 3 <= sum("FOREIGN_PENSION" in k for k in kinds.values()) <= 10
    assert 3 <= sum(not k for k in kinds.values()) <= 10
    assert set().union(*kinds.values()) == {
        "PENSION", "SUPPLEMENT", "BENEFIT", "COMPENSATION", "FOREIGN_PENSION"}
    assert min(months) == "2019-01" and max(months) == "2026-12"
    assert fixture_persons() == persons  # the same on every load


def test_a_test_can_put_and_remove_a_person(sais: RunningSimulator) -> None:
    control(sais, f"persons/{PERSON}", JANUARY_2026, method="PUT")
    assert control(sais, f"persons/{PERSON}")["payments"][0]["paid_on"] == "2025-12-31"

    control(sais, f"persons/{PERSON}", method="DELETE")
    assert payments(sais, PERSON, "2026-01-01", "2026-01-31")["found"] is False

    control(sais, "reset")
    assert payments(sais, PERSON, "2026-01-01", "2026-01-31")["found"] is True


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_cents": 123.45}, "amount_cents"),
        ({"amount_cents": -1}, "amount_cents"),
        ({"kind": "SALARY"}, "kind"),
        ({"period": "2026-13"}, "period"),
        ({"paid_on": "2026-02-30"}, "paid_on"),
    ],
)
def test_control_refuses_a_bad_payment(
    sais: RunningSimulator, change: dict[str, Any], field: str
) -> None:
    bad = {"payments": [{**payment("PENSION", 100, "2026-01-05", "R"), **change}]}
    response = requests.put(f"{sais.url}/_control/persons/{PERSON}", json=bad, timeout=5)

    assert response.status_code == 400
    assert field in response.json()["error"]


# Notices


def test_admission_and_discharge_notices_are_received(sais: RunningSimulator) -> None:
    admitted = admit(sais, key="adm-1")
    discharged = discharge(sais, key="dis-1")

    assert admitted["status"] == discharged["status"] == "RECEIVED"
    assert admitted["duplicate"] is discharged["duplicate"] is False
    assert admitted["reference"].startswith("SAIS-A-")
    assert discharged["reference"].startswith("SAIS-D-")
    assert admitted["received_at"].endswith("+00:00")
    assert control(sais, "received/admissions") == [{
        "idempotency_key": "adm-1",
        "reference": admitted["reference"],
        "received_at": admitted["received_at"],
        "personal_code": PERSON,
        "institution_code": INSTITUTION,
        "admission_date": "2026-01-05",
    }]
    assert [n["discharge_date"] for n in control(sais, "received/discharges")] == ["2026-03-31"]


def test_a_notice_for_a_person_sais_does_not_know_is_refused(sais: RunningSimulator) -> None:
    with pytest.raises(AdapterError) as caught:
        admit(sais, valid_personal_code(91))

    assert caught.value.retryable is False
    assert str(caught.value) == (
        "SAIS rejected the request: SAIS does not know the person [UNKNOWN_PERSON]")
    assert control(sais, "received/admissions") == []


# Idempotency


def test_a_repeated_notice_is_applied_once(sais: RunningSimulator) -> None:
    first = admit(sais, key="adm-2")
    second = admit(sais, key="adm-2")

    assert second == {**first, "duplicate": True}
    assert control(sais, "applied") == {"applied": {"adm-2": 1}, "received": {"adm-2": 2}}
    assert len(control(sais, "received/admissions")) == 1


def test_a_key_reused_for_another_notice_is_refused(sais: RunningSimulator) -> None:
    admit(sais, key="adm-3")
    with pytest.raises(AdapterError) as caught:
        admit(sais, on="2026-01-06", key="adm-3")
    with pytest.raises(AdapterError):
        discharge(sais, key="adm-3")

    assert caught.value.retryable is False
    assert "IDEMPOTENCY_CONFLICT" in str(caught.value)
    assert control(sais, "applied")["applied"] == {"adm-3": 1}


def test_a_repeated_payments_query_is_logged_once(sais: RunningSimulator) -> None:
    first = payments(sais, PERSON, "2026-01-01", "2026-01-31", "q-1")
    second = payments(sais, PERSON, "2026-01-01", "2026-01-31", "q-1")

    assert first == second
    assert control(sais, "applied") == {"applied": {"q-1": 1}, "received": {"q-1": 2}}


# Faults


def test_timeout_is_retryable_and_the_retried_notice_is_applied_once(
    sais: RunningSimulator,
) -> None:
    assert_timeout_is_retryable_and_the_retry_counts_once(
        sais, "SAIS", lambda key, timeout: admit(sais, key=key, timeout=timeout)
    )


def test_payments_timeout_is_retryable(sais: RunningSimulator) -> None:
    assert_timeout_is_retryable_and_the_retry_counts_once(
        sais, "SAIS",
        lambda key, timeout: payments(sais, PERSON, "2026-01-01", "2026-01-31", key, timeout),
    )


def test_soap_fault_is_retryable_with_a_clear_message(sais: RunningSimulator) -> None:
    assert_server_fault_is_retryable(
        sais, "SAIS", lambda: payments(sais, PERSON, "2026-01-01", "2026-01-31"))
    assert_server_fault_is_retryable(sais, "SAIS", lambda: discharge(sais))


def test_malformed_answer_is_retryable(sais: RunningSimulator) -> None:
    assert_malformed_answer_is_retryable(
        sais, "SAIS", lambda: payments(sais, PERSON, "2026-01-01", "2026-01-31"))
    assert_malformed_answer_is_retryable(sais, "SAIS", lambda: admit(sais))


def test_the_server_refuses_a_reversed_period(sais: RunningSimulator) -> None:
    with pytest.raises(AdapterError) as caught:
        client.get_payments(call(sais), PERSON, date(2026, 2, 1), date(2026, 1, 1))

    assert caught.value.retryable is False
    assert str(caught.value) == (
        "SAIS rejected the request: PeriodTo is before PeriodFrom [INVALID_PERIOD]")


def test_missing_endpoint_setting_is_permanent() -> None:
    with pytest.raises(AdapterError) as caught:
        operations.notify_admission(
            {"personal_code": PERSON, "institution_code": INSTITUTION,
             "admission_date": "2026-01-05"},
            CallContext("k", {}, 5),
        )

    assert caught.value.retryable is False
    assert "sais_url" in str(caught.value)


PERIOD = {"personal_code": PERSON, "period_from": "2026-01-01", "period_to": "2026-01-31"}
ADMISSION = {"personal_code": PERSON, "institution_code": INSTITUTION,
             "admission_date": "2026-01-05"}
DISCHARGE = {"personal_code": PERSON, "institution_code": INSTITUTION,
             "discharge_date": "2026-03-31"}


@pytest.mark.parametrize(
    ("op", "params", "message"),
    [
        (operations.get_payments, {**PERIOD, "period_to": None}, "'period_to' is required"),
        (operations.get_payments, {**PERIOD, "period_from": "01.01.2026"}, "YYYY-MM-DD"),
        (operations.get_payments, {**PERIOD, "period_to": "2025-12-31"},
         "'period_to' is before 'period_from'"),
        (operations.get_payments, {**PERIOD, "personal_code": "nobody"}, "must be a personal code"),
        (operations.get_payments, {**PERIOD, "month": "2026-01"}, "unknown parameter(s): month"),
        (operations.notify_admission, {**ADMISSION, "admission_date": "2026-02-30"}, "YYYY-MM-DD"),
        (operations.notify_admission, {**ADMISSION, "institution_code": "riga"},
         "'institution_code' must be"),
        (operations.notify_admission, {**ADMISSION, "discharge_date": "2026-03-31"},
         "unknown parameter(s): discharge_date"),
        (operations.notify_discharge, {**DISCHARGE, "discharge_date": None},
         "'discharge_date' is required"),
        (operations.notify_discharge, {**DISCHARGE, "personal_code": 320000000016},
         "must be a string"),
    ],
)
def test_bad_parameters_are_permanent_errors(
    sais: RunningSimulator, op: registry.Operation, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(AdapterError) as caught:
        op(params, CallContext("k", {"sais_url": sais.url}, 5))

    assert caught.value.retryable is False
    assert message in str(caught.value)
    assert control(sais, "applied")["received"] == {}


def test_logs_carry_no_personal_code_or_amounts(
    sais: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    control(sais, f"persons/{PERSON}", JANUARY_2026, method="PUT")
    with caplog.at_level(logging.DEBUG):
        payments(sais, PERSON, "2026-01-01", "2026-01-31", "log-key")
        admit(sais, key="log-key-2")
        control(sais, "faults", {"mode": "fault"})
        with pytest.raises(AdapterError):
            discharge(sais, key="log-key-3")
        with pytest.raises(AdapterError):
            admit(sais, valid_personal_code(91), key="log-key-4")

    text = caplog.text
    assert "SAIS GetPayments done (key log-key" in text
    assert "SAIS NotifyAdmission done (key log-key-2" in text
    for code in (PERSON, valid_personal_code(91)):
        assert code not in text and code.replace("-", "") not in text
    assert "123.45" not in text and "12345" not in text


def test_registry_finds_the_operations() -> None:
    assert registry.lookup("sais.get_payments") is operations.get_payments
    assert registry.lookup("sais.notify_admission") is operations.notify_admission
    assert registry.lookup("sais.notify_discharge") is operations.notify_discharge
