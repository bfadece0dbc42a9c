"""Running the simulators of the external state systems, and injecting faults into them.

The real systems (NPAIS, ...) sit behind the state integration bus and cannot be reached from
development machines, CI or demos. Each has a simulator that serves the same contract; this
module runs them as threaded WSGI servers in daemon threads, on 127.0.0.1 by default.

Simulators have unauthenticated control endpoints, so they must only listen on loopback (or
inside an isolated container network).
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Self, cast, get_args

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

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


# name -> (factory, the adapter setting that holds the system's endpoint address)
SIMULATORS: dict[str, tuple[Callable[[], WSGIApplication], str]] = {
    "npais": (_npais_app, "npais_url"),
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
