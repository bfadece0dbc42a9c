"""Running the simulators of the external state systems, and injecting faults into them.

The real systems (NPAIS, PMLP, VDEĀVK, SOPA, SAIS) sit behind the state integration bus and cannot be
reached from development machines, CI or demos. Each has a simulator that serves the same
contract; this module holds what they share (:class:`SoapSimulator`: WSDL serving, XSD
validation, fault injection, the idempotency ledger, the control API) and runs them as threaded
WSGI servers in daemon threads, on 127.0.0.1 by default.

Simulators have unauthenticated control endpoints, so they must only listen on loopback (or
inside an isolated container network).

Control API every simulator has (JSON; POSTs need ``Content-Type: application/json``):

* ``POST /_control/faults`` ``{"mode": "timeout"|"fault"|"malformed"|"slow"|null,
  "count": N=1, "delay": seconds}``: the next N SOAP requests get the fault.
  ``timeout`` (default delay 30 s) and ``slow`` (2 s) hold the request, then handle it
  normally: the request takes effect although a client with a shorter timeout has given up.
  ``fault`` answers a soap:Server fault and ``malformed`` broken XML; neither applies anything.
* ``GET /_control/faults``: the current plan.
* ``GET /_control/applied``: ``{"applied": {key: times}, "received": {key: times}}``.
* ``GET /_control/received[?operation=Name]``: the applied requests with their content.
* ``POST /_control/reset``: forget everything (fixture data back to the files), clear faults,
  release held requests.

Each simulator may add its own actions (e.g. replacing a person's fixture record).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self, cast, get_args

from lxml import etree
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from adapters import soap
from adapters.simulator_ledger import Applied, IdempotencyConflict, Ledger

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

FaultMode = Literal["timeout", "fault", "malformed", "slow"]
FAULT_MODES: tuple[str, ...] = get_args(FaultMode)

# "timeout" should outlast any sane client timeout; "slow" should not.
_DEFAULT_DELAY: dict[str, float] = {"timeout": 30.0, "slow": 2.0}
_MAX_DELAY = 300.0
_MAX_COUNT = 10_000


@dataclass(frozen=True)
class InjectedFault:
    mode: FaultMode
    delay: float


class FaultPlan:
    """Which fault to inject into how many of the next requests. Thread-safe.

    Delays wait on an event that :meth:`reset` sets, so a reset (or a test's teardown) releases
    requests that are still sleeping instead of leaving them to finish against fresh state.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mode: FaultMode | None = None
        self._remaining = 0
        self._delay = 0.0
        self._released = threading.Event()

    def configure(self, spec: Any) -> dict[str, Any]:
        """Set the plan from a control request: ``{"mode", "count"=1, "delay"=default}``.

        ``mode`` null or ``count`` 0 clears the plan. Raises ValueError/TypeError on a bad spec.
        """
        if not isinstance(spec, Mapping):
            raise TypeError("Expected a JSON object")
        unknown = set(spec) - {"mode", "count", "delay"}
        if unknown:
            raise ValueError(f"Unknown fields: {', '.join(sorted(unknown))}")
        mode = spec.get("mode")
        if mode is not None and mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {', '.join(FAULT_MODES)} or null")
        count = spec.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= _MAX_COUNT:
            raise ValueError(f"count must be an integer from 0 to {_MAX_COUNT}")
        delay = spec.get("delay", _DEFAULT_DELAY.get(mode or "", 0.0))
        if isinstance(delay, bool) or not isinstance(delay, (int, float)):
            raise TypeError("delay must be a number of seconds")
        if not 0 <= delay <= _MAX_DELAY:
            raise ValueError(f"delay must be between 0 and {_MAX_DELAY:g} seconds")
        with self._lock:
            self._mode = cast(FaultMode, mode) if mode and count else None
            self._remaining = count if self._mode else 0
            self._delay = float(delay)
        return self.describe()

    def take(self) -> InjectedFault | None:
        """The fault for the request now arriving, if any; uses up one of ``count``."""
        with self._lock:
            if self._mode is None:
                return None
            fault = InjectedFault(self._mode, self._delay)
            self._remaining -= 1
            if self._remaining <= 0:
                self._mode = None
            return fault

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"mode": self._mode, "count": self._remaining, "delay": self._delay}

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``; False if :meth:`reset` cut the wait short."""
        with self._lock:
            released = self._released
        return not released.wait(seconds)

    def reset(self) -> None:
        with self._lock:
            self._mode, self._remaining, self._delay = None, 0, 0.0
            released, self._released = self._released, threading.Event()
        released.set()


MAX_REQUEST_BYTES = 1024 * 1024
_XML = "text/xml; charset=utf-8"


class SimulatorFault(Exception):
    """Answer the SOAP request with a fault: ``kind`` Client (the request is wrong) or Server."""

    def __init__(self, kind: soap.FaultCode, code: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.code, self.message = kind, code, message


SoapHandler = Callable[[etree._Element], etree._Element]


class SoapSimulator:
    """A WSGI application serving one system's SOAP contract, for tests, development and demos.

    It answers SOAP requests on any path except ``/_control/``; the WSDL is at ``<path>?wsdl``
    with the service address rewritten to that path, and the schema at ``<path>?xsd=<file>``.
    Every request body is validated against the XSD before a handler sees it. Subclasses map
    request element QNames to handlers in ``self.operations`` and may extend :meth:`control`
    and :meth:`reset`. ``ledger`` and ``faults`` are also reachable directly in-process.
    """

    def __init__(
        self,
        *,
        system: str,
        namespace: str,
        wsdl_path: Path,
        xsd_path: Path,
        fault_element: str,
        ledger: Ledger | None = None,
    ) -> None:
        self.system = system
        self.namespace = namespace
        self.ledger = ledger or Ledger()
        self.faults = FaultPlan()
        self.operations: dict[str, SoapHandler] = {}
        self._fault_element = fault_element
        self._xsd_name = xsd_path.name
        self._wsdl = wsdl_path.read_bytes()
        self._xsd = xsd_path.read_bytes()
        self._schema = etree.XMLSchema(soap.parse_xml(self._xsd))
        # An XMLSchema keeps its error log on the instance; validations must not interleave.
        self._schema_lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    # Helpers for subclasses

    def qname(self, local: str) -> str:
        return f"{{{self.namespace}}}{local}"

    def element(self, local: str, parent: etree._Element | None = None, text: str | None = None
                ) -> etree._Element:
        """A new element in the contract's namespace, appended to ``parent`` if given."""
        if parent is None:
            node = etree.Element(self.qname(local), nsmap={"tns": self.namespace})
        else:
            node = etree.SubElement(parent, self.qname(local))
        if text is not None:
            node.text = text
        return node

    def apply(
        self, payload: etree._Element, operation: str, fields: Mapping[str, Any], id_prefix: str
    ) -> tuple[Applied, bool]:
        """Record the request under its IdempotencyKey once; (record, whether a duplicate)."""
        key = payload.findtext(self.qname("IdempotencyKey")) or ""
        try:
            record, duplicate = self.ledger.apply(key, operation, fields, id_prefix)
        except IdempotencyConflict as exc:
            raise SimulatorFault("Client", "IDEMPOTENCY_CONFLICT", str(exc)) from None
        log.info("%s simulator %s key=%s duplicate=%s", self.system, operation, key, duplicate)
        return record, duplicate

    def control(self, request: Request, action: str) -> Response | None:
        """A subclass's own control actions; None when ``action`` is not one of them."""
        return None

    def reset(self) -> None:
        self.ledger.reset()
        self.faults.reset()

    # Dispatch

    def _dispatch(self, request: Request) -> Response:
        if request.path.startswith("/_control/"):
            return self._control(request)
        if request.method in ("GET", "HEAD"):
            if "wsdl" in {k.lower() for k in request.args}:
                return self._serve_wsdl(request)
            if request.args.get("xsd") == self._xsd_name:
                return Response(self._xsd, content_type=_XML)
            return Response("Ask for ?wsdl, or POST a SOAP request\n", status=404)
        if request.method == "POST":
            return self._soap(request)
        return Response(status=405, headers={"Allow": "GET, HEAD, POST"})

    def _serve_wsdl(self, request: Request) -> Response:
        address = request.base_url
        wsdl = soap.rewrite_wsdl(
            self._wsdl, address, {self._xsd_name: f"{address}?xsd={self._xsd_name}"}
        )
        return Response(wsdl, content_type=_XML)

    def _soap(self, request: Request) -> Response:
        injected = self.faults.take()
        if injected is not None:
            if injected.mode == "fault":
                return self._fault_response(
                    "Server",
                    "INTERNAL_ERROR",
                    f"{self.system} is temporarily unavailable (injected)",
                )
            if injected.mode == "malformed":
                broken = f'<?xml version="1.0"?><soap:Envelope xmlns:soap="{soap.SOAP_ENV_NS}"'
                return Response(broken + "><soap:Body><Answ", content_type=_XML)
            if not self.faults.sleep(injected.delay):
                return self._fault_response(
                    "Server", "INTERNAL_ERROR", "The simulator was reset while holding the request"
                )
        try:
            payload = soap.body_payload(soap.parse_xml(_read_body(request)))
            handler = self.operations.get(payload.tag)
            if handler is None:
                raise SimulatorFault(
                    "Client", "UNKNOWN_OPERATION", "The service has no such operation"
                )
            self._validate(payload)
            answer = handler(payload)
            return Response(soap.envelope(answer), content_type=_XML)
        except SimulatorFault as fault:
            return self._fault_response(fault.kind, fault.code, fault.message)
        except soap.SoapRequestError as exc:
            return self._fault_response("Client", "INVALID_REQUEST", str(exc))
        except Exception:
            log.exception("%s simulator failed on a request", self.system)
            return self._fault_response(
                "Server", "INTERNAL_ERROR", "Internal error in the simulator"
            )

    def _validate(self, payload: etree._Element) -> None:
        document = soap.detached(payload)
        with self._schema_lock:
            if self._schema.validate(document):
                return
            error = self._schema.error_log.last_error
        detail = soap.schema_error_text(error, self.namespace) if error else "invalid content"
        raise SimulatorFault(
            "Client", "INVALID_REQUEST", f"Request violates {self._xsd_name}: {detail}"
        )

    def _fault_response(self, kind: soap.FaultCode, code: str, message: str) -> Response:
        detail = self.element(self._fault_element)
        self.element("Code", detail, code)
        # SOAP 1.1 over HTTP: faults travel with status 500, whoever is at fault.
        return Response(soap.fault_envelope(kind, message, detail), status=500, content_type=_XML)

    def _control(self, request: Request) -> Response:
        action = request.path.removeprefix("/_control/").strip("/")
        if request.method == "POST" and not request.is_json:
            # Forces a CORS preflight, so a web page cannot poke the simulator from a browser.
            return json_response({"error": "Send Content-Type: application/json"}, 415)
        if action == "faults" and request.method == "GET":
            return json_response(self.faults.describe())
        if action == "faults" and request.method == "POST":
            try:
                return json_response(self.faults.configure(request.get_json(silent=True)))
            except (ValueError, TypeError) as exc:
                return json_response({"error": str(exc)}, 400)
        if action == "applied" and request.method == "GET":
            return json_response(self.ledger.counts())
        if action == "received" and request.method == "GET":
            records = self.ledger.records()
            wanted = request.args.get("operation")
            if wanted:
                records = [r for r in records if r["operation"] == wanted]
            return json_response(records)
        if action == "reset" and request.method == "POST":
            self.reset()
            return json_response({"reset": True})
        own = self.control(request, action)
        if own is not None:
            return own
        return json_response({"error": f"No control action {request.method} {action!r}"}, 404)


class PersonRegisterSimulator(SoapSimulator):
    """A register keyed by personal code (PMLP, VDEĀVK): its ``persons`` can be read and replaced
    through ``/_control/persons/<code>``, and ``reset`` restores the fixture file's."""

    persons: FixtureRecords

    def control(self, request: Request, action: str) -> Response | None:
        kind, _, code = action.partition("/")
        if kind == "persons" and code:
            return self.persons.control(request, code)
        return None

    def reset(self) -> None:
        super().reset()
        self.persons.reset()


class FixtureRecords:
    """Records by key (a personal code, a municipality code), loaded from a fixture file and
    replaceable through the control API until :meth:`reset` restores the file's. Thread-safe.

    ``check`` validates a record put by a test (raising ValueError/TypeError with a reason) and
    returns it as stored.
    """

    def __init__(
        self, load: Callable[[], dict[str, Any]], check: Callable[[Any], Any]
    ) -> None:
        self._load = load
        self._check = check
        self._lock = threading.Lock()
        self._records = load()

    def get(self, key: str) -> Any:
        with self._lock:
            return self._records.get(key)

    def put(self, key: str, record: Any) -> Any:
        checked = self._check(record)
        with self._lock:
            self._records[key] = checked
        return checked

    def update(self, key: str, change: Callable[[Any], Any]) -> Any:
        """Replace the record under ``key`` by ``change(current or None)`` atomically."""
        with self._lock:
            self._records[key] = change(self._records.get(key))
            return self._records[key]

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._records.pop(key, None) is not None

    def reset(self) -> None:
        fresh = self._load()
        with self._lock:
            self._records = fresh

    def control(self, request: Request, key: str) -> Response:
        """``GET``, ``PUT`` (JSON body: the record) and ``DELETE`` of one record."""
        if request.method == "GET":
            record = self.get(key)
            if record is None:
                return json_response({"error": f"No record {key!r}"}, 404)
            return json_response(record)
        if request.method == "PUT":
            if not request.is_json:
                return json_response({"error": "Send Content-Type: application/json"}, 415)
            try:
                return json_response(self.put(key, request.get_json(silent=True)))
            except (ValueError, TypeError) as exc:
                return json_response({"error": str(exc)}, 400)
        if request.method == "DELETE":
            return json_response({"deleted": self.delete(key)})
        return json_response({"error": "Use GET, PUT or DELETE"}, 405)


def check_record(
    record: Any, required: Mapping[str, Callable[[Any], bool]],
    optional: Mapping[str, Callable[[Any], bool]] = {},
) -> dict[str, Any]:
    """``record`` as a dict if it has every ``required`` field and only known fields, each
    passing its check; ValueError/TypeError naming the first field that does not."""
    if not isinstance(record, Mapping):
        raise TypeError("Expected a JSON object")
    unknown = set(record) - set(required) - set(optional)
    if unknown:
        raise ValueError(f"Unknown fields: {', '.join(sorted(unknown))}")
    for name, valid in {**required, **optional}.items():
        if name not in record:
            if name in required:
                raise ValueError(f"Field '{name}' is required")
            continue
        if not valid(record[name]):
            raise ValueError(f"Field '{name}' has an invalid value")
    return dict(record)


def is_iso_date(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def json_response(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False), status=status, content_type="application/json"
    )


def _read_body(request: Request) -> bytes:
    request.max_content_length = MAX_REQUEST_BYTES
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise SimulatorFault(
            "Client", "INVALID_REQUEST", f"Request larger than {MAX_REQUEST_BYTES} bytes"
        ) from None


class _QuietRequestHandler(WSGIRequestHandler):
    # werkzeug prints every request line to stderr; keep that for whoever enables DEBUG.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path.split("?", 1)[0], code)


@dataclass
class RunningSimulator:
    """A simulator serving on ``url`` (no trailing slash) until :meth:`stop`."""

    url: str
    app: WSGIApplication
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_simulator(
    app: WSGIApplication,
    host: str = "127.0.0.1",
    port: int = 0,
    ssl_context: ssl.SSLContext | None = None,
) -> RunningSimulator:
    """Serve ``app`` on ``host:port`` (0 = a free port) in a daemon thread, one thread per request.

    Threaded, because fault injection holds requests open and other requests must still be
    served meanwhile (e.g. the retry that follows a client-side timeout).
    """
    if not _is_loopback(host):
        log.warning("Simulator listening on non-loopback %s; its control API has no auth", host)
    server = make_server(
        host,
        port,
        app,
        threaded=True,
        request_handler=_QuietRequestHandler,
        ssl_context=ssl_context,
    )
    scheme = "https" if ssl_context else "http"
    url = f"{scheme}://{_url_host(host)}:{server.port}"
    thread = threading.Thread(target=server.serve_forever, name=f"simulator {url}", daemon=True)
    thread.start()
    return RunningSimulator(url=url, app=app, _server=server, _thread=thread)


def _npais_app() -> WSGIApplication:
    from adapters.npais.simulator import create_app

    return create_app()


def _pmlp_app() -> WSGIApplication:
    from adapters.pmlp.simulator import create_app

    return create_app()


def _vdeavk_app() -> WSGIApplication:
    from adapters.vdeavk.simulator import create_app

    return create_app()


def _sais_app() -> WSGIApplication:
    from adapters.sais.simulator import create_app

    return create_app()


def _sopa_app() -> WSGIApplication:
    from adapters.sopa.simulator import create_app

    return create_app()


# name -> (factory, the adapter setting that holds the system's endpoint address)
SIMULATORS: dict[str, tuple[Callable[[], WSGIApplication], str]] = {
    "npais": (_npais_app, "npais_url"),
    "pmlp": (_pmlp_app, "pmlp_url"),
    "vdeavk": (_vdeavk_app, "vdeavk_url"),
    "sopa": (_sopa_app, "sopa_url"),
    "sais": (_sais_app, "sais_url"),
}


def start_all(config: Mapping[str, Any] | None = None) -> dict[str, RunningSimulator]:
    """Start every simulator the product has.

    ``config`` keys: ``simulator_host`` (default 127.0.0.1) and ``<name>_simulator_port``
    (e.g. ``npais_simulator_port``; default 0, a free port).
    """
    config = config or {}
    host = str(config.get("simulator_host", "127.0.0.1"))
    running: dict[str, RunningSimulator] = {}
    try:
        for name, (factory, _setting) in SIMULATORS.items():
            port = int(config.get(f"{name}_simulator_port", 0))
            running[name] = start_simulator(factory(), host=host, port=port)
            log.info("%s simulator serving on %s", name, running[name].url)
    except BaseException:
        for sim in running.values():
            sim.stop()
        raise
    return running


def adapter_settings(running: Mapping[str, RunningSimulator]) -> dict[str, str]:
    """The adapter settings that point the clients at the running simulators."""
    return {SIMULATORS[name][1]: sim.url for name, sim in running.items() if name in SIMULATORS}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
