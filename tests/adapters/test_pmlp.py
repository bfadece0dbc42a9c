"""The PMLP adapter against its simulator over real HTTP (zeep -> werkzeug on 127.0.0.1)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from adapters import registry
from adapters.pmlp import operations
from adapters.pmlp.simulator import create_app, load_persons
from adapters.registry import AdapterError, CallContext
from adapters.simulators import RunningSimulator, start_simulator
from app.demo import valid_personal_code
from tests.adapters.simulator_client import (
    assert_malformed_answer_is_retryable,
    assert_server_fault_is_retryable,
    assert_timeout_is_retryable_and_the_retry_counts_once,
    control,
)


@pytest.fixture(scope="module")
def pmlp() -> Iterator[RunningSimulator]:
    with start_simulator(create_app()) as sim:
        yield sim


@pytest.fixture(autouse=True)
def fresh_simulator(pmlp: RunningSimulator) -> Iterator[None]:
    control(pmlp, "reset")
    yield
    control(pmlp, "reset")


def get_person(
    sim: RunningSimulator, code: str, key: str | None = None, timeout: float = 5.0
) -> dict[str, Any]:
    call = CallContext(key or uuid.uuid4().hex, {"pmlp_url": sim.url}, timeout)
    return operations.get_person({"personal_code": code}, call)


def test_get_person_returns_the_register_entry(pmlp: RunningSimulator) -> None:
    assert get_person(pmlp, valid_personal_code(1)) == {
        "found": True,
        "given_name": "Līga",
        "family_name": "Bērziņa",
        "birth_date": "2023-07-14",
        "sex": "F",
        "status": "LIVING",
        "declared_address": "Brīvības iela 2-20, Rīga, LV-1054",
        "municipality_code": "RIGA",
    }


def test_an_unknown_code_is_not_found_rather_than_an_error(pmlp: RunningSimulator) -> None:
    result = get_person(pmlp, valid_personal_code(81))

    assert result["found"] is False
    assert set(result.values()) == {False, None}


def test_code_without_hyphen_is_accepted(pmlp: RunningSimulator) -> None:
    assert get_person(pmlp, valid_personal_code(2).replace("-", ""))["given_name"] == "Roberts"


def test_fixture_covers_seeds_1_to_80_with_variety() -> None:
    persons = load_persons()

    assert set(persons) == {valid_personal_code(seed) for seed in range(1, 81)}
    municipalities = [p["municipality_code"] for p in persons.values()]
    assert municipalities.count("RIGA") > 40 and len(set(municipalities)) > 5
    assert sum(p["status"] == "DECEASED" for p in persons.values()) >= 3


def test_a_test_can_put_and_remove_a_person(pmlp: RunningSimulator) -> None:
    code = valid_personal_code(7)
    record = {
        "given_name": "Anna",
        "family_name": "Kalniņa",
        "birth_date": "1950-02-03",
        "sex": "F",
        "status": "DECEASED",
        "declared_address": None,
        "municipality_code": "OGRE",
    }
    control(pmlp, f"persons/{code}", record, method="PUT")
    assert get_person(pmlp, code) == {"found": True, **record}

    control(pmlp, f"persons/{code}", method="DELETE")
    assert get_person(pmlp, code)["found"] is False

    control(pmlp, "reset")
    assert get_person(pmlp, code)["found"] is True


def test_control_refuses_a_bad_person_record(pmlp: RunningSimulator) -> None:
    response = requests.put(
        f"{pmlp.url}/_control/persons/{valid_personal_code(7)}",
        json={"given_name": "A", "family_name": "B", "birth_date": "1950-02-30", "sex": "F",
              "status": "LIVING"},
        timeout=5,
    )
    assert response.status_code == 400
    assert "birth_date" in response.json()["error"]


# Idempotency: the register logs each key's query once


def test_a_repeated_key_is_logged_once(pmlp: RunningSimulator) -> None:
    first = get_person(pmlp, valid_personal_code(3), "lookup-1")
    second = get_person(pmlp, valid_personal_code(3), "lookup-1")

    assert first == second
    assert control(pmlp, "applied") == {"applied": {"lookup-1": 1}, "received": {"lookup-1": 2}}


def test_a_key_reused_for_another_person_is_refused(pmlp: RunningSimulator) -> None:
    get_person(pmlp, valid_personal_code(3), "lookup-2")
    with pytest.raises(AdapterError) as caught:
        get_person(pmlp, valid_personal_code(4), "lookup-2")

    assert caught.value.retryable is False
    assert "IDEMPOTENCY_CONFLICT" in str(caught.value)


# Faults


def test_timeout_is_retryable_and_the_retry_is_logged_once(pmlp: RunningSimulator) -> None:
    assert_timeout_is_retryable_and_the_retry_counts_once(
        pmlp, "PMLP", lambda key, timeout: get_person(pmlp, valid_personal_code(1), key, timeout)
    )


def test_soap_fault_is_retryable_with_a_clear_message(pmlp: RunningSimulator) -> None:
    assert_server_fault_is_retryable(pmlp, "PMLP", lambda: get_person(pmlp, valid_personal_code(1)))


def test_malformed_answer_is_retryable(pmlp: RunningSimulator) -> None:
    assert_malformed_answer_is_retryable(
        pmlp, "PMLP", lambda: get_person(pmlp, valid_personal_code(1))
    )


def test_missing_endpoint_setting_is_permanent() -> None:
    with pytest.raises(AdapterError) as caught:
        operations.get_person({"personal_code": valid_personal_code(1)}, CallContext("k", {}, 5))

    assert caught.value.retryable is False
    assert "pmlp_url" in str(caught.value)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "'personal_code' is required"),
        ({"personal_code": 320000000016}, "must be a string"),
        ({"personal_code": "Līga Bērziņa"}, "must be a personal code"),
        ({"personal_code": "320000-0001"}, "must be a personal code"),
        ({"personal_code": "320000-00016", "name": "x"}, "unknown parameter(s): name"),
    ],
)
def test_bad_parameters_are_permanent_errors(
    pmlp: RunningSimulator, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(AdapterError) as caught:
        operations.get_person(params, CallContext("k", {"pmlp_url": pmlp.url}, 5))

    assert caught.value.retryable is False
    assert message in str(caught.value)
    assert control(pmlp, "applied")["received"] == {}


def test_logs_carry_no_personal_data(
    pmlp: RunningSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    code = valid_personal_code(1)
    with caplog.at_level(logging.DEBUG):
        get_person(pmlp, code, "log-key")
        control(pmlp, "faults", {"mode": "fault"})
        with pytest.raises(AdapterError):
            get_person(pmlp, code, "log-key-2")

    text = caplog.text
    assert "PMLP GetPerson done (key log-key" in text
    assert code not in text and code.replace("-", "") not in text
    assert "Bērziņa" not in text


def test_registry_finds_the_operation() -> None:
    assert registry.lookup("pmlp.get_person") is operations.get_person
