"""The NPAIS adapter against the real simulator over real HTTP (zeep -> werkzeug on 127.0.0.1)."""

from __future__ import annotations

import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from lxml import etree

from adapters import registry
from adapters.npais import operations
from adapters.npais.messages import NAMESPACE, NOTICE_TYPES
from adapters.npais.simulator import create_app
from adapters.registry import AdapterError, CallContext
from adapters.simulators import (
    SIMULATORS,
    RunningSimulator,
    adapter_settings,
    start_all,
    start_simulator,
)
from adapters.soap import SOAP_ENV_NS, WSDL_SOAP_NS
from tests.adapters.certificates import make_test_pki

NOTICE: dict[str, Any] = {
    "orphan_court_code": "RIGA",
    "case_reference": "DI-2025-000123",
    "notice_type": "REPORT_OVERDUE",
    "due_date": "2025-03-31",
    "recipients": ["ORPHAN_COURT", "SOCIAL_SERVICE", "MINISTRY"],
    "text": "Institūcijas periodiskais pārskats par bērnu nav iesniegts laikā.",
}

REPORT: dict[str, Any] = {
    "orphan_court_code": "JURMALA",
    "case_reference": "DI-2025-000124",
    "report_period_end": "2025-06-30",
    "contact_with_parents": "Tiekas ar māti reizi mēnesī.",
    "contact_with_siblings": "Sazinās ar brāli telefoniski.",
    "contact_with_others": "Apmeklē vecmāmiņu brīvdienās.",
    "cooperation": "Sadarbojas ar sociālo darbinieku.",
    "physical_development": "Atbilst vecumam.",
    "psychosocial_development": "Stabila; apmeklē psihologu.",
}


@pytest.fixture(scope="module")
def npais() -> Iterator[RunningSimulator]:
    with start_simulator(create_app()) as sim:
        yield sim


@pytest.fixture(autouse=True)
def fresh_simulator(npais: RunningSimulator) -> Iterator[None]:
    control(npais, "reset")
    yield
    # Also releases requests a test left held by an injected delay.
    control(npais, "reset")


def control(sim: RunningSimulator, action: str, body: dict[str, Any] | None = None) -> Any:
    url = f"{sim.url}/_control/{action}"
    if body is None and action != "reset":
        response = requests.get(url, timeout=5)
    else:
        response = requests.post(url, json=body or {}, timeout=5)
    response.raise_for_status()
    return response.json()


def call(sim: RunningSimulator, key: str | None = None, timeout: float = 5.0) -> CallContext:
    return CallContext(key or uuid.uuid4().hex, {"npais_url": sim.url}, timeout)


def notify(sim: RunningSimulator, key: str | None = None, **overrides: Any) -> dict[str, Any]:
    timeout = overrides.pop("timeout", 5.0)
    return operations.notify_orphan_court({**NOTICE, **overrides}, call(sim, key, timeout))


def post_soap(sim: RunningSimulator, payload: str, prolog: str = "") -> requests.Response:
    body = (
        f'{prolog}<soap:Envelope xmlns:soap="{SOAP_ENV_NS}" xmlns:n="{NAMESPACE}">'
        f"<soap:Body>{payload}</soap:Body></soap:Envelope>"
    )
    return requests.post(
        sim.url, data=body.encode(), headers={"Content-Type": "text/xml"}, timeout=5
    )


def fault_of(response: requests.Response) -> tuple[str, str, str]:
    """(faultcode, faultstring, NpaisFault/Code) of a SOAP fault response."""
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{SOAP_ENV_NS}}}Body/{{{SOAP_ENV_NS}}}Fault")
    assert fault is not None, response.text
    code = fault.findtext(f"detail/{{{NAMESPACE}}}NpaisFault/{{{NAMESPACE}}}Code")
    return fault.findtext("faultcode"), fault.findtext("faultstring"), code


# Happy paths


def test_notify_orphan_court_is_applied(npais: RunningSimulator) -> None:
    result = notify(npais, "notice-1")

    assert result["duplicate"] is False
    assert result["notice_id"].startswith("N-")
    assert result["received_at"].endswith("+00:00")
    assert control(npais, "applied")["applied"] == {"notice-1": 1}
    [record] = control(npais, "received")
    assert record["fields"]["Recipients"] == ["ORPHAN_COURT", "SOCIAL_SERVICE", "MINISTRY"]
    assert record["fields"]["DueDate"] == "2025-03-31"
    assert record["fields"]["Text"] == NOTICE["text"]


def test_notify_without_due_date(npais: RunningSimulator) -> None:
    params = {k: v for k, v in NOTICE.items() if k != "due_date"}
    result = operations.notify_orphan_court(params, call(npais, "no-due-date"))

    assert result["duplicate"] is False
    [record] = control(npais, "received")
    assert "DueDate" not in record["fields"]


@pytest.mark.parametrize("notice_type", NOTICE_TYPES)
def test_every_notice_type_is_accepted(npais: RunningSimulator, notice_type: str) -> None:
    result = operations.notify_orphan_court(dict(NOTICE, notice_type=notice_type),
                                            call(npais, f"type-{notice_type}"))
    assert result["duplicate"] is False
    [record] = control(npais, "received")
    assert record["fields"]["NoticeType"] == notice_type


def test_notice_status_is_received_until_the_court_acknowledges(npais: RunningSimulator) -> None:
    notice_id = notify(npais, "notice-ack")["notice_id"]
    asked = operations.notice_status({"notice_id": notice_id}, call(npais))
    assert asked == {"notice_id": notice_id, "status": "RECEIVED", "acknowledged_at": None}
    assert control(npais, f"notices/{notice_id}") == asked

    acknowledged = control(npais, f"notices/{notice_id}/acknowledge",
                           {"at": "2026-11-27T10:30:00+02:00"})
    assert acknowledged["status"] == "ACKNOWLEDGED"
    asked = operations.notice_status({"notice_id": notice_id}, call(npais))
    assert asked["status"] == "ACKNOWLEDGED"
    assert asked["acknowledged_at"] == "2026-11-27T08:30:00+00:00"
    # A second confirmation keeps the first one's time.
    control(npais, f"notices/{notice_id}/acknowledge", {})
    assert operations.notice_status({"notice_id": notice_id}, call(npais)) == asked


def test_status_of_an_unknown_notice_is_a_permanent_error(npais: RunningSimulator) -> None:
    with pytest.raises(AdapterError, match="UNKNOWN_NOTICE") as caught:
        operations.notice_status({"notice_id": "N-99999999"}, call(npais))
    assert caught.value.retryable is False
    missing = requests.post(f"{npais.url}/_control/notices/N-99999999/acknowledge", json={},
                            timeout=5)
    assert missing.status_code == 404
    bad_time = requests.post(f"{npais.url}/_control/notices/x/acknowledge", json={"at": 5},
                             timeout=5)
    assert bad_time.status_code == 400


def test_a_status_question_without_a_notice_id_is_refused_before_calling(
        npais: RunningSimulator) -> None:
    with pytest.raises(AdapterError, match="notice_id") as caught:
        operations.notice_status({}, call(npais))
    assert caught.value.retryable is False
    assert control(npais, "applied")["received"] == {}


def test_reset_forgets_acknowledgements(npais: RunningSimulator) -> None:
    notice_id = notify(npais, "notice-reset")["notice_id"]
    control(npais, f"notices/{notice_id}/acknowledge", {})
    control(npais, "reset")
    notice_id = notify(npais, "notice-reset")["notice_id"]
    assert control(npais, f"notices/{notice_id}")["status"] == "RECEIVED"


def test_deliver_periodic_report_is_applied(npais: RunningSimulator) -> None:
    result = operations.deliver_periodic_report(REPORT, call(npais, "report-1"))

    assert result["duplicate"] is False
    assert result["report_id"].startswith("R-")
    [record] = control(npais, "received")
    assert record["operation"] == "DeliverPeriodicReport"
    assert record["fields"]["ReportPeriodEnd"] == "2025-06-30"
    assert record["fields"]["PsychosocialDevelopment"] == REPORT["psychosocial_development"]


# Idempotency


def test_repeated_key_is_applied_once_and_answered_as_duplicate(npais: RunningSimulator) -> None:
    first = notify(npais, "same-key")
    second = notify(npais, "same-key")

    assert first["duplicate"] is False
    assert second == {**first, "duplicate": True}
    assert control(npais, "applied") == {
        "applied": {"same-key": 1},
        "received": {"same-key": 2},
    }


def test_concurrent_requests_with_one_key_apply_once(npais: RunningSimulator) -> None:
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(8)

    def send() -> None:
        barrier.wait()
        results.append(notify(npais, "raced-key"))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 8
    assert sorted(r["duplicate"] for r in results) == [False] + [True] * 7
    assert len({r["notice_id"] for r in results}) == 1
    assert control(npais, "applied")["applied"] == {"raced-key": 1}


def test_reused_key_with_other_content_is_refused(npais: RunningSimulator) -> None:
    notify(npais, "reused")
    with pytest.raises(AdapterError) as caught:
        notify(npais, "reused", text="Cits teksts")

    assert caught.value.retryable is False
    assert "IDEMPOTENCY_CONFLICT" in str(caught.value)


# Faults and their mapping


def test_unknown_orphan_court_is_a_permanent_error(npais: RunningSimulator) -> None:
    with pytest.raises(AdapterError) as caught:
        notify(npais, orphan_court_code="NOWHERE")

    assert caught.value.retryable is False
    assert caught.value.system == "NPAIS"
    assert "Unknown orphan court code 'NOWHERE'" in str(caught.value)
    assert control(npais, "applied")["applied"] == {}


def test_injected_server_fault_is_retryable_and_applies_nothing(npais: RunningSimulator) -> None:
    control(npais, "faults", {"mode": "fault", "count": 2})

    for _ in range(2):
        with pytest.raises(AdapterError) as caught:
            notify(npais, "after-faults")
        assert caught.value.retryable is True
        assert "temporarily unavailable" in str(caught.value)
    assert control(npais, "applied")["applied"] == {}

    assert notify(npais, "after-faults")["duplicate"] is False
    assert control(npais, "applied")["applied"] == {"after-faults": 1}


def test_malformed_response_is_retryable(npais: RunningSimulator) -> None:
    control(npais, "faults", {"mode": "malformed"})

    with pytest.raises(AdapterError) as caught:
        notify(npais)

    assert caught.value.retryable is True
    assert "response could not be read" in str(caught.value)


def test_timeout_is_retryable_and_the_retry_applies_once(npais: RunningSimulator) -> None:
    control(npais, "faults", {"mode": "timeout", "delay": 3})

    started = time.monotonic()
    with pytest.raises(AdapterError) as caught:
        notify(npais, "slow-key", timeout=0.3)
    assert time.monotonic() - started < 2
    assert caught.value.retryable is True
    assert "did not answer within 0.3 s" in str(caught.value)

    # The first attempt is still held by the simulator; the retry goes through meanwhile.
    assert notify(npais, "slow-key")["duplicate"] is False
    assert control(npais, "applied")["applied"] == {"slow-key": 1}


def test_slow_answer_within_the_timeout_succeeds(npais: RunningSimulator) -> None:
    control(npais, "faults", {"mode": "slow", "delay": 0.2})

    started = time.monotonic()
    result = notify(npais, timeout=5)

    assert time.monotonic() - started >= 0.2
    assert result["duplicate"] is False


def test_unreachable_npais_is_retryable() -> None:
    sim = start_simulator(create_app())
    sim.stop()

    with pytest.raises(AdapterError) as caught:
        notify(sim)

    assert caught.value.retryable is True
    assert "Could not connect to NPAIS" in str(caught.value)


def test_missing_endpoint_setting_is_permanent() -> None:
    with pytest.raises(AdapterError) as caught:
        operations.notify_orphan_court(NOTICE, CallContext("k", {}, 5))

    assert caught.value.retryable is False
    assert "npais_url" in str(caught.value)


# The simulator's own contract checks (raw HTTP, no zeep)


def test_simulator_rejects_a_request_violating_the_xsd(npais: RunningSimulator) -> None:
    response = post_soap(
        npais,
        "<n:NotifyOrphanCourtRequest><n:IdempotencyKey>k</n:IdempotencyKey>"
        "<n:OrphanCourtCode>RIGA</n:OrphanCourtCode><n:CaseReference>DI-1</n:CaseReference>"
        "<n:NoticeType>SECRET-VALUE</n:NoticeType>"
        "<n:Recipients><n:Recipient>MINISTRY</n:Recipient></n:Recipients>"
        "<n:Text>x</n:Text></n:NotifyOrphanCourtRequest>",
    )

    assert response.status_code == 500
    code, text, detail = fault_of(response)
    assert code == "soap:Client"
    assert detail == "INVALID_REQUEST"
    assert "npais.xsd" in text and "NoticeType" in text
    assert "SECRET-VALUE" not in text  # values may be personal data; faults get logged
    assert control(npais, "applied")["received"] == {}


def test_simulator_rejects_a_missing_element(npais: RunningSimulator) -> None:
    response = post_soap(
        npais,
        "<n:DeliverPeriodicReportRequest><n:IdempotencyKey>k</n:IdempotencyKey>"
        "<n:OrphanCourtCode>RIGA</n:OrphanCourtCode></n:DeliverPeriodicReportRequest>",
    )

    code, text, detail = fault_of(response)
    assert (code, detail) == ("soap:Client", "INVALID_REQUEST")
    assert "CaseReference" in text


def test_simulator_refuses_entities(npais: RunningSimulator) -> None:
    prolog = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    response = post_soap(npais, "<n:Unknown>&e;</n:Unknown>", prolog=prolog)

    code, text, _ = fault_of(response)
    assert code == "soap:Client"
    assert "not allowed" in text
    assert "root:" not in response.text


def test_simulator_rejects_an_unknown_operation(npais: RunningSimulator) -> None:
    code, _, detail = fault_of(post_soap(npais, "<n:CancelEverything/>"))
    assert (code, detail) == ("soap:Client", "UNKNOWN_OPERATION")


def test_wsdl_is_served_with_the_address_it_is_served_on(npais: RunningSimulator) -> None:
    for path in ("/", "/npais/di/v1"):
        response = requests.get(f"{npais.url}{path}?wsdl", timeout=5)
        assert response.status_code == 200
        wsdl = etree.fromstring(response.content)
        [address] = wsdl.iter(f"{{{WSDL_SOAP_NS}}}address")
        assert address.get("location") == f"{npais.url}{path}"


def test_served_wsdl_is_usable_by_zeep(npais: RunningSimulator) -> None:
    # Proves the rewritten schemaLocation points at the XSD the simulator serves.
    client = zeep.Client(f"{npais.url}/npais?wsdl")
    reply = client.service.NotifyOrphanCourt(
        IdempotencyKey="via-served-wsdl",
        OrphanCourtCode="LIEPAJA",
        CaseReference="DI-7",
        NoticeType="PLACEMENT_REGISTERED",
        Recipients={"Recipient": ["ORPHAN_COURT"]},
        Text="Ievietošana reģistrēta.",
    )
    assert reply.Duplicate is False
    assert control(npais, "applied")["applied"] == {"via-served-wsdl": 1}


# Control API


def test_control_api_validates_fault_requests(npais: RunningSimulator) -> None:
    bad = requests.post(f"{npais.url}/_control/faults", json={"mode": "explode"}, timeout=5)
    assert bad.status_code == 400
    assert "mode must be one of" in bad.json()["error"]

    not_json = requests.post(f"{npais.url}/_control/faults", data="mode=fault", timeout=5)
    assert not_json.status_code == 415

    plan = control(npais, "faults", {"mode": "slow", "count": 3, "delay": 0.5})
    assert plan == {"mode": "slow", "count": 3, "delay": 0.5}
    assert control(npais, "faults") == plan
    control(npais, "reset")
    assert control(npais, "faults")["mode"] is None


# Parameter checks in the operations


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"case_reference": None}, "'case_reference' is required"),
        ({"case_reference": "120304-12345"}, "looks like a personal code"),
        ({"notice_type": "LATE"}, "'notice_type' must be one of"),
        ({"recipients": []}, "non-empty list"),
        ({"recipients": ["POLICE"]}, "'recipients' may only hold"),
        ({"due_date": "31.03.2025"}, "YYYY-MM-DD"),
        ({"due_date": "2025-02-30"}, "YYYY-MM-DD"),
        ({"orphan_court_code": "riga"}, "orphan_court_code"),
        ({"text": " "}, "'text' must not be empty"),
        ({"text": "x" * 4001}, "longer than 4000"),
        ({"case_ref": "DI-1"}, "unknown parameter(s): case_ref"),
    ],
)
def test_invalid_notice_params_are_permanent_errors(
    npais: RunningSimulator, change: dict[str, Any], message: str
) -> None:
    params = {**NOTICE, **change}
    params = {k: v for k, v in params.items() if v is not None}

    with pytest.raises(AdapterError) as caught:
        operations.notify_orphan_court(params, call(npais))

    assert caught.value.retryable is False
    assert message in str(caught.value)
    assert control(npais, "applied")["received"] == {}


def test_invalid_report_params_are_permanent_errors(npais: RunningSimulator) -> None:
    params = {k: v for k, v in REPORT.items() if k != "cooperation"}

    with pytest.raises(AdapterError) as caught:
        operations.deliver_periodic_report(params, call(npais))

    assert caught.value.retryable is False
    assert "'cooperation' is required" in str(caught.value)


# Registry and runner


def test_registry_finds_the_npais_operations() -> None:
    assert registry.lookup("npais.notify_orphan_court") is operations.notify_orphan_court
    assert registry.lookup("npais.deliver_periodic_report") is operations.deliver_periodic_report
    assert {"npais.notify_orphan_court", "npais.deliver_periodic_report",
            "npais.notice_status"} <= set(registry.names())


def test_start_all_starts_every_simulator_and_gives_the_settings() -> None:
    running = start_all({})
    try:
        settings = adapter_settings(running)
        assert settings == {f"{name}_url": running[name].url for name in SIMULATORS}
        assert set(SIMULATORS) == {"npais", "pmlp", "vdeavk", "sopa", "sais"}
        result = operations.notify_orphan_court(NOTICE, CallContext("start-all", settings, 5))
        assert result["duplicate"] is False
        for name in ("pmlp", "vdeavk", "sopa", "sais"):
            assert requests.get(f"{running[name].url}/?wsdl", timeout=5).status_code == 200
    finally:
        for sim in running.values():
            sim.stop()


# TLS with client certificates


def test_tls_client_certificate_settings(tmp_path: Path) -> None:
    pki = make_test_pki(tmp_path)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(pki.server_cert, pki.server_key)
    server_tls.load_verify_locations(pki.ca_cert)
    server_tls.verify_mode = ssl.CERT_REQUIRED

    with start_simulator(create_app(), ssl_context=server_tls) as sim:
        assert sim.url.startswith("https://127.0.0.1:")
        settings = {
            "npais_url": sim.url,
            "npais_client_cert": str(pki.client_cert),
            "npais_client_key": str(pki.client_key),
            "npais_ca_bundle": str(pki.ca_cert),
        }
        result = operations.notify_orphan_court(NOTICE, CallContext("tls-key", settings, 5))
        assert result["duplicate"] is False

        without_cert = {"npais_url": sim.url, "npais_ca_bundle": str(pki.ca_cert)}
        with pytest.raises(AdapterError) as caught:
            operations.notify_orphan_court(NOTICE, CallContext("tls-anon", without_cert, 5))
        assert caught.value.retryable is True
