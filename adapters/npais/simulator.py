"""A stand-in for NPAIS serving the DI contract (npais.wsdl / npais.xsd) as a WSGI application.

Run it with :func:`adapters.simulators.start_simulator`. It answers SOAP requests on any path
except ``/_control/``; the WSDL is at ``<path>?wsdl`` with the service address rewritten to
that path, and the schema at ``<path>?xsd=npais.xsd``. Every request body is validated against
npais.xsd. State (applied idempotency keys) is kept in memory.

Control API (JSON, for tests and demos; POSTs need ``Content-Type: application/json``):

* ``POST /_control/faults`` ``{"mode": "timeout"|"fault"|"malformed"|"slow"|null,
  "count": N=1, "delay": seconds}``: the next N SOAP requests get the fault.
  ``timeout`` (default delay 30 s) and ``slow`` (2 s) hold the request, then handle it
  normally: the request takes effect although a client with a shorter timeout has given up.
  ``fault`` answers a soap:Server fault and ``malformed`` broken XML; neither applies anything.
* ``GET /_control/faults``: the current plan.
* ``GET /_control/applied``: ``{"applied": {key: times}, "received": {key: times}}``.
* ``GET /_control/received``: the applied notices and reports with their content.
* ``POST /_control/reset``: forget everything, clear faults, release held requests.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from adapters import soap
from adapters.npais.messages import NAMESPACE, WSDL_PATH, XSD_PATH
from adapters.npais.simulator_ledger import IdempotencyConflict, Ledger
from adapters.simulators import FaultPlan

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

COURTS_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "orphan_courts.json"
MAX_REQUEST_BYTES = 1024 * 1024
_XML = "text/xml; charset=utf-8"
_NS = f"{{{NAMESPACE}}}"


@dataclass(frozen=True)
class _OperationSpec:
    name: str
    response: str
    id_element: str
    id_prefix: str


_OPERATIONS = {
    f"{_NS}NotifyOrphanCourtRequest": _OperationSpec(
        "NotifyOrphanCourt", "NotifyOrphanCourtResponse", "NoticeId", "N"
    ),
    f"{_NS}DeliverPeriodicReportRequest": _OperationSpec(
        "DeliverPeriodicReport", "DeliverPeriodicReportResponse", "ReportId", "R"
    ),
}


class _Fault(Exception):
    def __init__(self, kind: soap.FaultCode, code: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.code, self.message = kind, code, message


def load_orphan_courts(path: Path = COURTS_FIXTURE) -> dict[str, str]:
    """Orphan court code -> name, from the fixture file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {court["code"]: court["name"] for court in data["orphan_courts"]}


class NpaisSimulator:
    """The WSGI application. ``ledger`` and ``faults`` are also reachable directly in-process."""

    def __init__(self, orphan_courts: Mapping[str, str], ledger: Ledger | None = None) -> None:
        self.orphan_courts = dict(orphan_courts)
        self.ledger = ledger or Ledger()
        self.faults = FaultPlan()
        self._wsdl = WSDL_PATH.read_bytes()
        self._xsd = XSD_PATH.read_bytes()
        self._schema = etree.XMLSchema(soap.parse_xml(self._xsd))
        # An XMLSchema keeps its error log on the instance; validations must not interleave.
        self._schema_lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        if request.path.startswith("/_control/"):
            return self._control(request)
        if request.method in ("GET", "HEAD"):
            if "wsdl" in {k.lower() for k in request.args}:
                return self._serve_wsdl(request)
            if request.args.get("xsd") == XSD_PATH.name:
                return Response(self._xsd, content_type=_XML)
            return Response("Ask for ?wsdl, or POST a SOAP request\n", status=404)
        if request.method == "POST":
            return self._soap(request)
        return Response(status=405, headers={"Allow": "GET, HEAD, POST"})

    def _serve_wsdl(self, request: Request) -> Response:
        address = request.base_url
        wsdl = soap.rewrite_wsdl(
            self._wsdl, address, {XSD_PATH.name: f"{address}?xsd={XSD_PATH.name}"}
        )
        return Response(wsdl, content_type=_XML)

    # SOAP

    def _soap(self, request: Request) -> Response:
        injected = self.faults.take()
        if injected is not None:
            if injected.mode == "fault":
                return _fault_response(
                    "Server", "INTERNAL_ERROR", "NPAIS is temporarily unavailable (injected)"
                )
            if injected.mode == "malformed":
                broken = f'<?xml version="1.0"?><soap:Envelope xmlns:soap="{soap.SOAP_ENV_NS}"'
                return Response(broken + "><soap:Body><Notify", content_type=_XML)
            if not self.faults.sleep(injected.delay):
                return _fault_response(
                    "Server", "INTERNAL_ERROR", "The simulator was reset while holding the request"
                )
        try:
            payload = soap.body_payload(soap.parse_xml(_read_body(request)))
            spec = _OPERATIONS.get(payload.tag)
            if spec is None:
                raise _Fault("Client", "UNKNOWN_OPERATION", "The service has no such operation")
            self._validate(payload)
            return self._apply(payload, spec)
        except _Fault as fault:
            return _fault_response(fault.kind, fault.code, fault.message)
        except soap.SoapRequestError as exc:
            return _fault_response("Client", "INVALID_REQUEST", str(exc))
        except Exception:
            log.exception("NPAIS simulator failed on a request")
            return _fault_response("Server", "INTERNAL_ERROR", "Internal error in the simulator")

    def _validate(self, payload: etree._Element) -> None:
        document = soap.detached(payload)
        with self._schema_lock:
            if self._schema.validate(document):
                return
            error = self._schema.error_log.last_error
        detail = soap.schema_error_text(error, NAMESPACE) if error else "invalid content"
        raise _Fault("Client", "INVALID_REQUEST", f"Request violates npais.xsd: {detail}")

    def _apply(self, payload: etree._Element, spec: _OperationSpec) -> Response:
        key = payload.findtext(f"{_NS}IdempotencyKey") or ""
        fields = _fields(payload)
        court = fields.get("OrphanCourtCode")
        if court not in self.orphan_courts:
            raise _Fault("Client", "UNKNOWN_ORPHAN_COURT", f"Unknown orphan court code '{court}'")
        try:
            record, duplicate = self.ledger.apply(key, spec.name, fields, spec.id_prefix)
        except IdempotencyConflict as exc:
            raise _Fault("Client", "IDEMPOTENCY_CONFLICT", str(exc)) from None
        log.info("NPAIS simulator %s key=%s duplicate=%s", spec.name, key, duplicate)
        answer = etree.Element(f"{_NS}{spec.response}", nsmap={"npais": NAMESPACE})
        etree.SubElement(answer, f"{_NS}{spec.id_element}").text = record.receipt_id
        etree.SubElement(answer, f"{_NS}ReceivedAt").text = record.received_at.isoformat()
        etree.SubElement(answer, f"{_NS}Duplicate").text = "true" if duplicate else "false"
        return Response(soap.envelope(answer), content_type=_XML)

    # Control API

    def _control(self, request: Request) -> Response:
        action = request.path.removeprefix("/_control/").strip("/")
        if request.method == "POST" and not request.is_json:
            # Forces a CORS preflight, so a web page cannot poke the simulator from a browser.
            return _json({"error": "Send Content-Type: application/json"}, 415)
        if action == "faults" and request.method == "GET":
            return _json(self.faults.describe())
        if action == "faults" and request.method == "POST":
            try:
                return _json(self.faults.configure(request.get_json(silent=True)))
            except (ValueError, TypeError) as exc:
                return _json({"error": str(exc)}, 400)
        if action == "applied" and request.method == "GET":
            return _json(self.ledger.counts())
        if action == "received" and request.method == "GET":
            return _json(self.ledger.records())
        if action == "reset" and request.method == "POST":
            self.ledger.reset()
            self.faults.reset()
            return _json({"reset": True})
        return _json({"error": f"No control action {request.method} {action!r}"}, 404)


def create_app(orphan_courts_path: Path = COURTS_FIXTURE) -> NpaisSimulator:
    return NpaisSimulator(load_orphan_courts(orphan_courts_path))


def _read_body(request: Request) -> bytes:
    request.max_content_length = MAX_REQUEST_BYTES
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise _Fault(
            "Client", "INVALID_REQUEST", f"Request larger than {MAX_REQUEST_BYTES} bytes"
        ) from None


def _fields(payload: etree._Element) -> dict[str, Any]:
    """The request content except the key: element name -> text, or list of texts for lists."""
    fields: dict[str, Any] = {}
    for child in payload:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "IdempotencyKey":
            continue
        items = [item.text or "" for item in child if isinstance(item.tag, str)]
        fields[name] = items if len(child) else (child.text or "")
    return fields


def _fault_response(kind: soap.FaultCode, code: str, message: str) -> Response:
    detail = etree.Element(f"{_NS}NpaisFault", nsmap={"npais": NAMESPACE})
    etree.SubElement(detail, f"{_NS}Code").text = code
    # SOAP 1.1 over HTTP: faults travel with status 500, whoever is at fault.
    return Response(soap.fault_envelope(kind, message, detail), status=500, content_type=_XML)


def _json(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False), status=status, content_type="application/json"
    )
