"""The web layer's part: a request id on every request and its log lines, the request metrics,
and the ``/readyz`` and ``/metrics`` endpoints."""
from __future__ import annotations

import hmac
import ipaddress
import logging
import time

from flask import Flask, Response, abort, current_app, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST

from app import services_of

from .logs import request_id_from, request_id_var
from .metrics import observe_request, render_metrics
from .readiness import not_ready_reasons

log = logging.getLogger("dicase.requests")

REQUEST_ID_HEADER = "X-Request-ID"
# Probes come every few seconds: counted in the metrics, but not a log line each.
_QUIET_ENDPOINTS = frozenset({"healthz", "readyz", "metrics"})


def register_observability(app: Flask) -> None:
    """Call first when wiring the app, so the request id is set before any other hook logs."""
    allowed(services_of(app).settings.metrics_allow)  # a mistyped network stops the start
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_forget_request_id)
    app.add_url_rule("/readyz", "readyz", readyz)
    app.add_url_rule("/metrics", "metrics", metrics)


def _start_request() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_token = request_id_var.set(g.request_id)


def _finish_request(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a request that failed before the first hook ran
        return response
    seconds = time.perf_counter() - started
    endpoint = request.endpoint or "unmatched"
    response.headers[REQUEST_ID_HEADER] = g.request_id
    observe_request(endpoint, request.method, response.status_code, seconds)
    if endpoint not in _QUIET_ENDPOINTS:
        # The route's pattern, not the path: a path may carry a search term or a code.
        rule = request.url_rule.rule if request.url_rule else "-"
        log.info("%s %s %s %d %.1f ms", request.method, rule, endpoint, response.status_code,
                 seconds * 1000)
    return response


def _forget_request_id(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


def readyz() -> tuple[Response, int]:
    services = services_of(current_app)
    reasons = not_ready_reasons(services.db, services.settings.processes_dir)
    if reasons:
        log.warning("not ready: %s", "; ".join(reasons))
        return jsonify(status="unavailable", reasons=reasons), 503
    return jsonify(status="ready"), 200


def metrics() -> Response:
    services = services_of(current_app)
    if not may_scrape(services.settings.metrics_allow, services.settings.metrics_token):
        abort(403)
    return Response(render_metrics(services.sessions), content_type=CONTENT_TYPE_LATEST)


def may_scrape(allowed_networks: str, token: str) -> bool:
    """From an address of ``DICASE_METRICS_ALLOW``, or with ``DICASE_METRICS_TOKEN`` as the
    bearer token when one is set."""
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in allowed(allowed_networks))


def allowed(setting: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of ``DICASE_METRICS_ALLOW``: addresses or CIDR networks, comma-separated."""
    return [ipaddress.ip_network(part.strip(), strict=False)
            for part in setting.split(",") if part.strip()]
