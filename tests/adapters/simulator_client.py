"""Test helpers: the control API of a running simulator, and the checks every adapter shares."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from adapters.registry import AdapterError
from adapters.simulators import RunningSimulator


def control(
    sim: RunningSimulator, action: str, body: Any = None, method: str | None = None
) -> Any:
    """Call ``/_control/<action>``: GET without a body, POST with one (or ``method``)."""
    url = f"{sim.url}/_control/{action}"
    method = method or ("GET" if body is None and action != "reset" else "POST")
    kwargs: dict[str, Any] = {"timeout": 5}
    if method in ("POST", "PUT"):
        kwargs["json"] = {} if body is None else body
    response = requests.request(method, url, **kwargs)
    response.raise_for_status()
    return response.json()


def assert_timeout_is_retryable_and_the_retry_counts_once(
    sim: RunningSimulator, system: str, call: Callable[[str, float], Any]
) -> None:
    """``call(key, timeout)`` against a held request, then again: the key is applied once."""
    control(sim, "faults", {"mode": "timeout", "delay": 3})
    started = time.monotonic()
    with pytest.raises(AdapterError) as caught:
        call("slow-key", 0.3)
    assert time.monotonic() - started < 2
    assert caught.value.retryable is True
    assert caught.value.system == system
    assert f"{system} did not answer within 0.3 s" in str(caught.value)

    call("slow-key", 5.0)  # the first attempt is still held; the retry goes through meanwhile
    assert control(sim, "applied")["applied"] == {"slow-key": 1}


def assert_server_fault_is_retryable(
    sim: RunningSimulator, system: str, call: Callable[[], Any]
) -> None:
    control(sim, "faults", {"mode": "fault"})
    with pytest.raises(AdapterError) as caught:
        call()
    assert caught.value.retryable is True
    assert str(caught.value) == (
        f"{system} could not process the request: "
        f"{system} is temporarily unavailable (injected) [INTERNAL_ERROR]"
    )
    assert control(sim, "applied")["applied"] == {}


def assert_malformed_answer_is_retryable(
    sim: RunningSimulator, system: str, call: Callable[[], Any]
) -> None:
    control(sim, "faults", {"mode": "malformed"})
    with pytest.raises(AdapterError) as caught:
        call()
    assert caught.value.retryable is True
    assert f"{system} response could not be read: not valid XML" in str(caught.value)
