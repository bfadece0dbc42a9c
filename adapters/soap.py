"""SOAP 1.1 shared by the adapters of the external state systems: the client side (zeep, with
timeouts and every failure turned into an AdapterError) and the message helpers the simulators use.

The simulators receive XML from test code and demos, so parsing is locked down: no DTDs, no
entity expansion, no network access, no huge trees.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.proxy import ServiceProxy

from adapters.registry import AdapterError, CallContext

log = logging.getLogger(__name__)
T = TypeVar("T")

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"

FaultCode = Literal["Client", "Server"]


class SoapRequestError(ValueError):
    """The request is not a SOAP 1.1 envelope this server can read (a Client fault)."""


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers keep state and must not be shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML; refuse documents with a DOCTYPE (entity tricks need one)."""
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise SoapRequestError(f"The request is not well-formed XML: {exc.msg}") from None
    if root.getroottree().docinfo.doctype:
        raise SoapRequestError("Document type declarations are not allowed")
    return root


def body_payload(envelope: etree._Element) -> etree._Element:
    """The single element inside soap:Body (document/literal carries exactly one)."""
    if envelope.tag != f"{{{SOAP_ENV_NS}}}Envelope":
        raise SoapRequestError("The request is not a SOAP 1.1 envelope")
    body = envelope.find(f"{{{SOAP_ENV_NS}}}Body")
    if body is None:
        raise SoapRequestError("The SOAP envelope has no Body")
    children = [child for child in body if isinstance(child.tag, str)]
    if len(children) != 1:
        raise SoapRequestError("The SOAP Body must contain exactly one element")
    return children[0]


def detached(element: etree._Element) -> etree._Element:
    """A copy of ``element`` as the root of its own document, keeping in-scope namespaces.

    Schema validation of a payload is done on such a copy so that nothing from the envelope
    (attributes, siblings) leaks into what the XSD sees.
    """
    return etree.fromstring(etree.tostring(element), parser=_parser())


def envelope(payload: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soap": SOAP_ENV_NS})
    etree.SubElement(env, f"{{{SOAP_ENV_NS}}}Body").append(payload)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def fault_envelope(code: FaultCode, message: str, detail: etree._Element | None = None) -> bytes:
    """A SOAP 1.1 fault. ``Client``: the request is wrong; ``Server``: try again later."""
    env = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soap": SOAP_ENV_NS})
    body = etree.SubElement(env, f"{{{SOAP_ENV_NS}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV_NS}}}Fault")
    # faultcode, faultstring and detail are unqualified in SOAP 1.1.
    etree.SubElement(fault, "faultcode").text = f"soap:{code}"
    etree.SubElement(fault, "faultstring").text = message
    if detail is not None:
        etree.SubElement(fault, "detail").append(detail)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def rewrite_wsdl(
    wsdl: bytes, address: str, schema_locations: Mapping[str, str] | None = None
) -> bytes:
    """The WSDL with every soap:address set to ``address`` and schema imports re-pointed.

    ``schema_locations`` maps a schemaLocation as written in the file (e.g. ``npais.xsd``) to the
    URL it is served on, so a client reading the WSDL over HTTP can also fetch the schema.
    """
    root = etree.fromstring(wsdl, parser=_parser())
    for node in root.iter(f"{{{WSDL_SOAP_NS}}}address"):
        node.set("location", address)
    for node in root.iter(f"{{{XSD_NS}}}import", f"{{{XSD_NS}}}include"):
        location = node.get("schemaLocation")
        if location and schema_locations and location in schema_locations:
            node.set("schemaLocation", schema_locations[location])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


_VALUE_QUOTED = re.compile(r"\b([Vv]alue) '[^']*'")
_LEADING_VALUE = re.compile(r"^(Element '[^']*': )'[^']*'")


def schema_error_text(error: etree._LogEntry, namespace: str) -> str:
    """A readable schema-violation message that does not echo the offending value.

    Values can be personal data typed into the wrong field; fault strings end up in job logs.
    """
    text = error.message.replace(f"{{{namespace}}}", "")
    text = _LEADING_VALUE.sub(r"\1the value", text)
    text = _VALUE_QUOTED.sub(r"\1", text)
    return text


def element_to_json(element: etree._Element, lists: frozenset[str] = frozenset()) -> Any:
    """An element's content as plain JSON: text for a leaf, a dict of children otherwise.

    Elements named in ``lists`` (wrappers such as ``Goals``) become lists of their children.
    Simulators use this to show tests what they received.
    """
    children = [child for child in element if isinstance(child.tag, str)]
    name = etree.QName(element).localname
    if name in lists:
        return [element_to_json(child, lists) for child in children]
    if not children:
        return element.text or ""
    return {etree.QName(child).localname: element_to_json(child, lists) for child in children}


# Client side

# The timeout of the call in progress on this thread. One cached client serves callers with
# different CallContext.timeout values, so the timeout cannot live on the shared transport.
_call_timeout: ContextVar[float | None] = ContextVar("soap_call_timeout", default=None)


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


def clear_client_cache() -> None:
    """Forget cached clients of every system (after settings change, and between tests)."""
    with _cache_lock:
        _services.clear()


@dataclass(frozen=True)
class SoapSystem:
    """One external system's SOAP contract and where its settings live.

    Settings keys, with ``prefix`` e.g. ``npais``:

    * ``<prefix>_url`` (required): the service endpoint, e.g. the simulator's URL.
    * ``<prefix>_client_cert``, ``<prefix>_client_key``: PEM files for TLS client authentication
      (the key may be inside the cert file, then leave the key setting unset).
    * ``<prefix>_ca_bundle``: PEM file of the CAs that may sign the server's certificate.

    The WSDL is read from the repository, never fetched from the server. Logs carry the
    operation, idempotency key, duration and outcome, never request or response content.
    """

    name: str  # as people write it, e.g. "NPAIS"; starts every error message
    prefix: str  # of the settings keys
    wsdl_path: Path
    binding: str  # QName of the WSDL binding
    fault_detail: str  # QName of the fault detail element that holds a Code

    def error(self, message: str, *, retryable: bool) -> AdapterError:
        return AdapterError(message, retryable=retryable, system=self.name)

    def invoke(self, call: CallContext, operation: str, send: Callable[[ServiceProxy], T]) -> T:
        """Run ``send`` against the service with the call's timeout; failures -> AdapterError."""
        service = self._service(call.settings)
        started = time.perf_counter()
        token = _call_timeout.set(call.timeout)
        try:
            reply = send(service)
        except Exception as exc:
            error = self._adapter_error(exc, call.timeout)
            log.warning(
                "%s %s failed (key %s, %s, %.0f ms): %s",
                self.name,
                operation,
                call.idempotency_key,
                "retryable" if error.retryable else "permanent",
                (time.perf_counter() - started) * 1000,
                type(exc).__name__,
            )
            raise error from exc
        finally:
            _call_timeout.reset(token)
        log.info(
            "%s %s done (key %s, %.0f ms)",
            self.name,
            operation,
            call.idempotency_key,
            (time.perf_counter() - started) * 1000,
        )
        return reply

    def read(self, reply: Any, what: str, convert: Callable[[Any], T]) -> T:
        """``convert(reply)``; a reply lacking what the contract promises is a retryable error
        (the server misbehaved; it may answer properly later)."""
        try:
            return convert(reply)
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            raise self.error(
                f"{self.name} response could not be read: it lacks {what}", retryable=True
            ) from exc

    def _setting(self, settings: Mapping[str, Any], key: str) -> str | None:
        value = settings.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.error(f"Setting '{key}' must be a string", retryable=False)
        return value

    def _service(self, settings: Mapping[str, Any]) -> ServiceProxy:
        """The cached zeep service for these settings: building a client parses WSDL and XSD."""
        p = self.prefix
        url = self._setting(settings, f"{p}_url")
        if url is None:
            raise self.error(
                f"{self.name} endpoint is not configured (setting '{p}_url')", retryable=False
            )
        cert = self._setting(settings, f"{p}_client_cert")
        key = self._setting(settings, f"{p}_client_key")
        ca_bundle = self._setting(settings, f"{p}_ca_bundle")
        if key and not cert:
            raise self.error(
                f"Setting '{p}_client_key' needs '{p}_client_cert'", retryable=False
            )
        # TLS settings live in the client's session, so they are part of the cache key.
        cache_key = (str(self.wsdl_path), self.binding, url, cert or "", key or "", ca_bundle or "")
        with _cache_lock:
            service = _services.get(cache_key)
            if service is None:
                session = requests.Session()
                if cert:
                    session.cert = (cert, key) if key else cert
                if ca_bundle:
                    session.verify = ca_bundle
                client = zeep.Client(
                    str(self.wsdl_path),
                    transport=_Transport(session=session),
                    settings=zeep.Settings(
                        strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True
                    ),
                )
                service = client.create_service(self.binding, url)
                _services[cache_key] = service
        return service

    def _adapter_error(self, exc: Exception, timeout: float) -> AdapterError:
        """Retryable means: the same request, sent again later, may succeed."""
        name = self.name
        if isinstance(exc, AdapterError):
            return exc
        if isinstance(exc, requests.Timeout):
            return self.error(f"{name} did not answer within {timeout:g} s", retryable=True)
        if isinstance(exc, requests.exceptions.SSLError):
            return self.error(
                f"TLS connection to {name} failed; check the certificate settings", retryable=True
            )
        if isinstance(exc, requests.ConnectionError):
            return self.error(f"Could not connect to {name}", retryable=True)
        if isinstance(exc, requests.RequestException):
            return self.error(
                f"HTTP request to {name} failed ({type(exc).__name__})", retryable=True
            )
        if isinstance(exc, zeep.exceptions.Fault):
            return self._fault_error(exc)
        if isinstance(exc, zeep.exceptions.TransportError):
            status = exc.status_code
            if 400 <= status < 500 and status not in (408, 429):
                return self.error(f"{name} refused the request with HTTP {status}", retryable=False)
            if exc.content is not None:
                # zeep's own message quotes the whole body; do not pass that on.
                return self.error(
                    f"{name} response could not be read: not valid XML (HTTP {status})",
                    retryable=True,
                )
            return self.error(f"{name} answered HTTP {status} without content", retryable=True)
        if isinstance(exc, zeep.exceptions.ValidationError):
            return self.error(f"Request does not satisfy the {name} contract: {exc}", retryable=False)
        if isinstance(exc, zeep.exceptions.Error):
            return self.error(
                f"{name} response could not be read: {type(exc).__name__}", retryable=True
            )
        return self.error(f"{name} call failed unexpectedly ({type(exc).__name__})", retryable=True)

    def _fault_error(self, fault: zeep.exceptions.Fault) -> AdapterError:
        # SOAP 1.1 fault codes are QNames such as "soap:Client" or "soap:Server.Busy".
        kind = (fault.code or "").rpartition(":")[2].split(".", 1)[0]
        detail_code = self._fault_detail_code(fault)
        suffix = f" [{detail_code}]" if detail_code else ""
        if kind == "Server":
            return self.error(
                f"{self.name} could not process the request: {fault.message}{suffix}",
                retryable=True,
            )
        # Client, VersionMismatch, MustUnderstand: resending the same message cannot help.
        if kind in ("Client", "VersionMismatch", "MustUnderstand"):
            return self.error(
                f"{self.name} rejected the request: {fault.message}{suffix}", retryable=False
            )
        return self.error(f"{self.name} fault {fault.code}: {fault.message}{suffix}", retryable=True)

    def _fault_detail_code(self, fault: zeep.exceptions.Fault) -> str | None:
        detail = fault.detail
        # zeep hands over the raw body as bytes when an HTTP 500 answer is no SOAP fault at all.
        if not isinstance(detail, etree._Element):
            return None
        namespace = etree.QName(self.fault_detail).namespace
        code = detail.findtext(f"{self.fault_detail}/{{{namespace}}}Code")
        return code.strip() if code else None


def as_date(value: Any) -> date:
    """An xs:date as zeep returns it; TypeError for anything else (use inside SoapSystem.read)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError("not an xs:date")
    return value


def as_datetime(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError("not an xs:dateTime")
    return value
