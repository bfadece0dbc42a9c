"""Calling NPAIS over SOAP with zeep, and turning every failure into an AdapterError.

The WSDL is read from the repository (never fetched from the server), the endpoint address
comes from ``settings['npais_url']``. Settings keys:

* ``npais_url`` (required): the service endpoint, e.g. the simulator's URL.
* ``npais_client_cert``, ``npais_client_key``: PEM files for TLS client authentication
  (the key may be inside the cert file, then leave ``npais_client_key`` unset).
* ``npais_ca_bundle``: PEM file of the CAs that may sign the server's certificate.

Nothing logged here contains request content: texts and reports are about children.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import requests
import zeep
import zeep.exceptions
from zeep.proxy import ServiceProxy

from adapters.npais.messages import (
    BINDING,
    NAMESPACE,
    WSDL_PATH,
    OrphanCourtNotice,
    PeriodicReport,
    Receipt,
)
from adapters.registry import AdapterError, CallContext

log = logging.getLogger(__name__)

SYSTEM = "NPAIS"

# The timeout of the call in progress on this thread. One cached client serves callers with
# different CallContext.timeout values, so the timeout cannot live on the shared transport.
_call_timeout: ContextVar[float | None] = ContextVar("npais_call_timeout", default=None)


class _Transport(zeep.Transport):
    """zeep's transport with a per-call timeout and without its DEBUG dump of message bodies."""

    def post(self, address: str, message: bytes | str, headers: Mapping[str, str]) -> Any:
        # verify is passed explicitly because requests lets REQUESTS_CA_BUNDLE from the
        # environment override a CA bundle set on the session.
        return self.session.post(
            address,
            data=message,
            headers=headers,
            timeout=_call_timeout.get(),
            verify=self.session.verify,
        )


_cache_lock = threading.Lock()
_services: dict[tuple[str, ...], ServiceProxy] = {}


def _setting(settings: Mapping[str, Any], key: str) -> str | None:
    value = settings.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AdapterError(f"Setting '{key}' must be a string", retryable=False, system=SYSTEM)
    return value


def _service(settings: Mapping[str, Any]) -> ServiceProxy:
    """The cached zeep service for these settings: building a client parses WSDL and XSD."""
    url = _setting(settings, "npais_url")
    if url is None:
        raise AdapterError(
            "NPAIS endpoint is not configured (setting 'npais_url')", retryable=False, system=SYSTEM
        )
    cert = _setting(settings, "npais_client_cert")
    key = _setting(settings, "npais_client_key")
    ca_bundle = _setting(settings, "npais_ca_bundle")
    if key and not cert:
        raise AdapterError(
            "Setting 'npais_client_key' needs 'npais_client_cert'", retryable=False, system=SYSTEM
        )
    # TLS settings live in the client's session, so they are part of the cache key.
    cache_key = (str(WSDL_PATH), url, cert or "", key or "", ca_bundle or "")
    with _cache_lock:
        service = _services.get(cache_key)
        if service is None:
            session = requests.Session()
            if cert:
                session.cert = (cert, key) if key else cert
            if ca_bundle:
                session.verify = ca_bundle
            client = zeep.Client(
                str(WSDL_PATH),
                transport=_Transport(session=session),
                settings=zeep.Settings(
                    strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True
                ),
            )
            service = client.create_service(BINDING, url)
            _services[cache_key] = service
    return service


def clear_client_cache() -> None:
    """Forget cached clients (after settings change, and between tests)."""
    with _cache_lock:
        _services.clear()


def notify_orphan_court(call: CallContext, notice: OrphanCourtNotice) -> Receipt:
    reply = _invoke(
        call,
        "NotifyOrphanCourt",
        lambda service: service.NotifyOrphanCourt(
            IdempotencyKey=call.idempotency_key,
            OrphanCourtCode=notice.orphan_court_code,
            CaseReference=notice.case_reference,
            NoticeType=notice.notice_type,
            DueDate=notice.due_date,
            Recipients={"Recipient": list(notice.recipients)},
            Text=notice.text,
        ),
    )
    return _receipt(reply, "NoticeId")


def deliver_periodic_report(call: CallContext, report: PeriodicReport) -> Receipt:
    reply = _invoke(
        call,
        "DeliverPeriodicReport",
        lambda service: service.DeliverPeriodicReport(
            IdempotencyKey=call.idempotency_key,
            OrphanCourtCode=report.orphan_court_code,
            CaseReference=report.case_reference,
            ReportPeriodEnd=report.report_period_end,
            ContactWithParents=report.contact_with_parents,
            ContactWithSiblings=report.contact_with_siblings,
            ContactWithOthers=report.contact_with_others,
            Cooperation=report.cooperation,
            PhysicalDevelopment=report.physical_development,
            PsychosocialDevelopment=report.psychosocial_development,
        ),
    )
    return _receipt(reply, "ReportId")


def _invoke(call: CallContext, name: str, send: Callable[[ServiceProxy], Any]) -> Any:
    service = _service(call.settings)
    started = time.perf_counter()
    token = _call_timeout.set(call.timeout)
    try:
        reply = send(service)
    except Exception as exc:
        error = _adapter_error(exc, call.timeout)
        log.warning(
            "NPAIS %s failed (key %s, %s, %.0f ms): %s",
            name,
            call.idempotency_key,
            "retryable" if error.retryable else "permanent",
            (time.perf_counter() - started) * 1000,
            type(exc).__name__,
        )
        raise error from exc
    finally:
        _call_timeout.reset(token)
    log.info(
        "NPAIS %s done (key %s, %.0f ms)",
        name,
        call.idempotency_key,
        (time.perf_counter() - started) * 1000,
    )
    return reply


def _receipt(reply: Any, id_field: str) -> Receipt:
    try:
        received_at = reply.ReceivedAt
        if not isinstance(received_at, datetime):
            raise TypeError("ReceivedAt is not a dateTime")
        return Receipt(str(getattr(reply, id_field)), received_at, bool(reply.Duplicate))
    except (AttributeError, TypeError) as exc:
        raise AdapterError(
            "NPAIS response could not be read: it lacks the receipt fields",
            retryable=True,
            system=SYSTEM,
        ) from exc


def _adapter_error(exc: Exception, timeout: float) -> AdapterError:
    """Retryable means: the same request, sent again later, may succeed."""

    def error(message: str, retryable: bool) -> AdapterError:
        return AdapterError(message, retryable=retryable, system=SYSTEM)

    if isinstance(exc, requests.Timeout):
        return error(f"NPAIS did not answer within {timeout:g} s", True)
    if isinstance(exc, requests.exceptions.SSLError):
        return error("TLS connection to NPAIS failed; check the certificate settings", True)
    if isinstance(exc, requests.ConnectionError):
        return error("Could not connect to NPAIS", True)
    if isinstance(exc, requests.RequestException):
        return error(f"HTTP request to NPAIS failed ({type(exc).__name__})", True)
    if isinstance(exc, zeep.exceptions.Fault):
        return _fault_error(exc)
    if isinstance(exc, zeep.exceptions.TransportError):
        status = exc.status_code
        if 400 <= status < 500 and status not in (408, 429):
            return error(f"NPAIS refused the request with HTTP {status}", False)
        if exc.content is not None:
            # zeep's own message quotes the whole body; do not pass that on.
            return error(f"NPAIS response could not be read: not valid XML (HTTP {status})", True)
        return error(f"NPAIS answered HTTP {status} without content", True)
    if isinstance(exc, zeep.exceptions.ValidationError):
        return error(f"Request does not satisfy the NPAIS contract: {exc}", False)
    if isinstance(exc, zeep.exceptions.Error):
        return error(f"NPAIS response could not be read: {type(exc).__name__}", True)
    return error(f"NPAIS call failed unexpectedly ({type(exc).__name__})", True)


def _fault_error(fault: zeep.exceptions.Fault) -> AdapterError:
    # SOAP 1.1 fault codes are QNames such as "soap:Client" or "soap:Server.Busy".
    kind = (fault.code or "").rpartition(":")[2].split(".", 1)[0]
    detail_code = _fault_detail_code(fault)
    suffix = f" [{detail_code}]" if detail_code else ""
    message = f"NPAIS rejected the request: {fault.message}{suffix}"
    if kind == "Server":
        return AdapterError(
            f"NPAIS could not process the request: {fault.message}{suffix}",
            retryable=True,
            system=SYSTEM,
        )
    # Client, VersionMismatch, MustUnderstand: resending the same message cannot help.
    if kind in ("Client", "VersionMismatch", "MustUnderstand"):
        return AdapterError(message, retryable=False, system=SYSTEM)
    return AdapterError(f"NPAIS fault {fault.code}: {fault.message}{suffix}", system=SYSTEM)


def _fault_detail_code(fault: zeep.exceptions.Fault) -> str | None:
    detail = fault.detail
    if detail is None:
        return None
    code = detail.findtext(f"{{{NAMESPACE}}}NpaisFault/{{{NAMESPACE}}}Code")
    return code.strip() if code else None
