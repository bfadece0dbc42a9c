"""The VDEĀVK adapter against its simulator over real HTTP (zeep -> werkzeug on 127.0.0.1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from adapters import registry
from adapters.registry import AdapterError, CallContext
from adapters.simulators import RunningSimulator, start_simulator
from adapters.vdeavk import operations
from adapters.vdeavk.simulator import create_app, load_decisions
from app.demo import valid_personal_code
from tests.adapters.simulator_client import (
    assert_malformed_answer_is_retryable,
    assert_server_fault_is_retryable,
    assert_timeout_is_retryable_and_the_retry_counts_once,
    control,
)

CHILD = valid_personal_code(9)
SPECIAL_CARE_UNTIL_END_OF_MARCH = {
    "opinions": [
        {
            "opinion_number": "VDEAVK-2026-T0001",
            "disability_group": None,
            "severity": "SEVERE",
            "special_care_opinion": True,
            "valid_from": "2025-04-01",
            "valid_to": "2026-03-31",
        }
    ]
}


@pytest.fixture(scope="module")
def vdeavk() -> Iterator[RunningSimulator]:
    with start_simulator(create_app()) as sim:
        yield sim


@pytest.fixture(autouse=True)
def fresh_simulator(vdeavk: RunningSimulator) -> Iterator[None]:
    control(vdeavk, "reset")
    yield
    control(vdeavk, "reset")


def status(
    sim: RunningSimulator,
    code: str,
    on_date: str,
    key: str | None = None,
    timeout: float = 5.0,
) -> dict[str, Any]:
    call = CallContext(key or uuid.uuid4().hex, {"vdeavk_url": sim.url}, timeout)
    return operations.get_disability_status({"personal_code": code, "on_date": on_date}, call)


def test_special_care_opinion_applies_within_its_validity_period(vdeavk: RunningSimulator) -> None:
    control(vdeavk, f"persons/{CHILD}", SPECIAL_CARE_UNTIL_END_OF_MARCH, method="PUT")

    assert status(vdeavk, CHILD, "2026-03-31") == {
        "found": True,
        "disability_group": None,
        "severity": "SEVERE",
        "special_care_opinion": True,
        "opinion_number": "VDEAVK-2026-T0001",
        "valid_from": "2025-04-01",
        "valid_to": "2026-03-31",
    }
    assert status(vdeavk, CHILD, "2026-04-01") == {
        "found": False,
        "disability_group": None,
        "severity": None,
        "special_care_opinion": False,
        "opinion_number": None,
        "valid_from": None,
        "valid_to": None,
    }
    assert status(vdeavk, CHILD, "2025-03-31")["found"] is False


def test_the_later_of_two_opinions_applies_after_renewal(vdeavk: RunningSimulator) -> None:
    # Seed 3 has an opinion that ended 2026-01-31 and its renewal from 2026-02-01.
    code = valid_personal_code(3)

    assert status(vdeavk, code, "2026-01-31")["valid_to"] == "2026-01-31"
    assert status(vdeavk, code, "2026-02-01")["valid_to"] == "2028-01-31"


def test_adult_with_an_indefinite_group(vdeavk: RunningSimulator) -> None:
    result = status(vdeavk, valid_personal_code(32), "2026-11-26")

    assert result["found"] is True
    assert result["disability_group"] == "III"
    assert result["severity"] == "MILD"
    assert result["valid_to"] is None


def test_unknown_person_is_not_found(vdeavk: RunningSimulator) -> None:
    assert status(vdeavk, valid_personal_code(5), "2026-11-26")["found"] is False


def test_fixture_has_children_with_opinions_adults_with_groups_and_unknown_persons() -> None:
    decisions = load_decisions()
    codes = {valid_personal_code(seed) for seed in range(1, 81)}
    opinions = [o for d in decisions.values() for o in d["opinions"]]

    assert set(decisions) < codes and len(codes - set(decisions)) >= 10
    assert any(o["special_care_opinion"] and o["disability_group"] is None for o in opinions)
    assert {o["disability_group"] for o in opinions} == {None, "I", "II", "III"}


def test_control_refuses_an_opinion_ending_before_it_starts(vdeavk: RunningSimulator) -> None:
    import requests

    bad = {"opinions": [{**SPECIAL_CARE_UNTIL_END_OF_MARCH["opinions"][0], "valid_to": "2024-01-01"}]}
    response = requests.put(f"{vdeavk.url}/_control/persons/{CHILD}", json=bad, timeout=5)

    assert response.status_code == 400
    assert "valid_to" in response.json()["error"]


def test_a_repeated_key_is_logged_once(vdeavk: RunningSimulator) -> None:
    first = status(vdeavk, CHILD, "2026-01-01", "q-1")
    second = status(vdeavk, CHILD, "2026-01-01", "q-1")

    assert first == second
    assert control(vdeavk, "applied") == {"applied": {"q-1": 1}, "received": {"q-1": 2}}


def test_timeout_is_retryable_and_the_retry_is_logged_once(vdeavk: RunningSimulator) -> None:
    assert_timeout_is_retryable_and_the_retry_counts_once(
        vdeavk, "VDEĀVK", lambda key, timeout: status(vdeavk, CHILD, "2026-01-01", key, timeout)
    )


def test_soap_fault_is_retryable_with_a_clear_message(vdeavk: RunningSimulator) -> None:
    assert_server_fault_is_retryable(vdeavk, "VDEĀVK", lambda: status(vdeavk, CHILD, "2026-01-01"))


def test_malformed_answer_is_retryable(vdeavk: RunningSimulator) -> None:
    assert_malformed_answer_is_retryable(
        vdeavk, "VDEĀVK", lambda: status(vdeavk, CHILD, "2026-01-01")
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"personal_code": CHILD}, "'on_date' is required"),
        ({"personal_code": CHILD, "on_date": "01.01.2026"}, "YYYY-MM-DD"),
        ({"personal_code": CHILD, "on_date": "2026-02-30"}, "YYYY-MM-DD"),
        ({"personal_code": "nobody", "on_date": "2026-01-01"}, "must be a personal code"),
        ({"personal_code": CHILD, "on_date": "2026-01-01", "group": "I"}, "unknown parameter"),
    ],
)
def test_bad_parameters_are_permanent_errors(
    vdeavk: RunningSimulator, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(AdapterError) as caught:
        operations.get_disability_status(params, CallContext("k", {"vdeavk_url": vdeavk.url}, 5))

    assert caught.value.retryable is False
    assert message in str(caught.value)
    assert control(vdeavk, "applied")["received"] == {}


def test_registry_finds_the_operation() -> None:
    assert registry.lookup("vdeavk.get_disability_status") is operations.get_disability_status
