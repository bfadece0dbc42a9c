"""The external systems' answers, fuzzed: each adapter's zeep client talks to its simulator
through a proxy on 127.0.0.1 that changes the real answer the way hypothesis draws it (broken
or truncated XML, a DTD or entity bomb, missing, doubled or renamed elements, values of the
wrong type, huge payloads, other HTTP statuses and content types). Whatever comes back, the
operation returns its result or raises an AdapterError with a short message that names the
system and quotes nothing of the answer; never any other exception."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from adapters import registry
from adapters.registry import AdapterError, CallContext
from app.demo import valid_personal_code

MARKER = "FUZZ-MARKER"
EXAMPLES_PER_OPERATION = 15

# operation -> (system, parameters of a call the simulator answers)
OPERATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "pmlp.get_person": ("pmlp", {"personal_code": valid_personal_code(1)}),
    "vdeavk.get_disability_status": ("vdeavk", {"personal_code": valid_personal_code(1),
                                                "on_date": "2026-01-15"}),
    "sais.get_payments": ("sais", {"personal_code": valid_personal_code(1),
                                   "period_from": "2026-01-01", "period_to": "2026-03-31"}),
    "sopa.fetch_service_records": ("sopa", {"municipality_code": "RIGA",
                                            "period_from": "2026-02-01",
                                            "period_to": "2026-02-28"}),
    "npais.notice_status": ("npais", {}),  # the notice id of one sent first
}
NOTICE = {"orphan_court_code": "RIGA", "case_reference": "DI-2026-000001",
          "notice_type": "REPORT_OVERDUE", "due_date": "2026-03-31",
          "recipients": ["ORPHAN_COURT"], "text": "Pārskats nav iesniegts laikā."}


@dataclass
class Mutation:
    """What the proxy does to the next answer."""

    change: Callable[[bytes], bytes] = lambda body: body
    status: int | None = None
    content_type: str | None = None


class MutatingProxy:
    def __init__(self) -> None:
        self.target = ""
        self.mutation = Mutation()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                sent = self.rfile.read(length)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("content-type", "soapaction")}
                real = requests.post(proxy.target + self.path, data=sent, headers=headers, timeout=10)
                body = proxy.mutation.change(real.content)
                self.send_response(proxy.mutation.status or real.status_code)
                self.send_header("Content-Type", proxy.mutation.content_type
                                 or real.headers.get("Content-Type", "text/xml"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy() -> Iterator[MutatingProxy]:
    running = MutatingProxy()
    yield running
    running.stop()


# --- mutations -----------------------------------------------------------------------------------

WRONG_VALUES = st.sampled_from([
    "", "abc", "-1", "1e309", "NaN", "2026-13-45", "31.02.2026", "true", "9" * 400,
    f"{MARKER} <b>", f"{MARKER}" * 50_000, "\u202e", "0x1F",
]) | st.text(max_size=30)


def _elements(root: Any) -> list[Any]:
    return [el for el in root.iter() if isinstance(el.tag, str)]


@st.composite
def tree_change(draw: st.DrawFn) -> Callable[[bytes], bytes]:
    kind = draw(st.sampled_from(["drop", "text", "duplicate", "rename", "flood", "attribute"]))
    pick = draw(st.integers(0, 10**6))
    value = draw(WRONG_VALUES)

    def change(body: bytes) -> bytes:
        try:
            root = etree.fromstring(body)
        except etree.XMLSyntaxError:
            return body
        elements = _elements(root)
        target = elements[pick % len(elements)]
        parent = target.getparent()
        if kind == "drop" and parent is not None:
            parent.remove(target)
        elif kind == "text":
            target.text = "".join(c for c in value if c.isprintable() or c in "\n\t")
        elif kind == "duplicate" and parent is not None:
            parent.append(etree.fromstring(etree.tostring(target)))
        elif kind == "rename":
            target.tag = f"{{urn:fuzz}}{MARKER.replace('-', '')}"
        elif kind == "flood" and parent is not None:
            for _ in range(20_000):
                parent.append(etree.fromstring(etree.tostring(target)))
        elif kind == "attribute":
            target.set("{http://www.w3.org/2001/XMLSchema-instance}type", "xsd:base64Binary")
        return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))

    return change


BOMB = (b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
        b'&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;'
        b'&c;&c;&c;&c;&c;&c;&c;">]>')

RAW_CHANGES = st.sampled_from([
    ("truncated", lambda body: body[: len(body) // 2]),
    ("empty", lambda body: b""),
    ("not XML", lambda body: f"{MARKER} Service Unavailable".encode()),
    ("HTML", lambda body: f"<html><body><h1>{MARKER}</h1></body></html>".encode()),
    ("JSON", lambda body: f'{{"error": "{MARKER}"}}'.encode()),
    ("entity bomb", lambda body: BOMB + body.split(b"?>", 1)[-1].replace(b"<soap", b"&d;<soap", 1)),
    ("external entity", lambda body: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM '
     b'"file:///etc/hostname">]>' + body.split(b"?>", 1)[-1]),
    ("latin-1 declared, UTF-8 sent", lambda body: body.replace(b"utf-8", b"ISO-8859-1", 1)
     .replace(b"UTF-8", b"ISO-8859-1", 1)),
    ("huge body", lambda body: body.replace(b"<soap", b"<!--" + b"x" * 20_000_000 + b"--><soap", 1)),
    ("unchanged", lambda body: body),
])


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    if draw(st.booleans()):
        change = draw(tree_change())
    else:
        change = draw(RAW_CHANGES)[1]
    status = draw(st.sampled_from([None, None, 200, 500, 502, 503, 404, 400, 204]))
    content_type = draw(st.sampled_from([None, None, "text/html", "application/json", ""]))
    return Mutation(change, status, content_type)


# --- the test ------------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_a_fuzzed_answer_gives_a_result_or_an_adapter_error(
        operation: str, proxy: MutatingProxy, simulators: dict[str, Any]) -> None:
    system, params = OPERATIONS[operation]
    proxy.target = simulators[system].url
    call_operation = registry.lookup(operation)
    if operation == "npais.notice_status":
        sent = registry.lookup("npais.notify_orphan_court")(
            NOTICE, CallContext("notice", {"npais_url": simulators["npais"].url}, 5.0))
        params = {"notice_id": sent["notice_id"]}
    outcomes: set[str] = set()

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutation=mutations())
    def check(mutation: Mutation) -> None:
        proxy.mutation = mutation
        call = CallContext(uuid.uuid4().hex, {f"{system}_url": proxy.url}, 10.0)
        try:
            result = call_operation(dict(params), call)
        except AdapterError as error:
            outcomes.add("error")
            message = str(error)
            assert error.system == system.upper() or message.startswith(error.system), message
            assert message and len(message) < 500, message
            assert MARKER not in message and "Traceback" not in message, message
            return
        outcomes.add("result")
        assert isinstance(result, dict)

    check()
    assert outcomes == {"error", "result"}  # the fuzzing reached both ways out


def test_the_proxy_passes_a_real_answer_through(proxy: MutatingProxy,
                                                simulators: dict[str, Any]) -> None:
    proxy.target = simulators["pmlp"].url
    call = CallContext("k", {"pmlp_url": proxy.url}, 5.0)
    assert registry.lookup("pmlp.get_person")(OPERATIONS["pmlp.get_person"][1], call)["found"]
