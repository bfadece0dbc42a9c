"""SOAP 1.1 message helpers shared by the simulators of the external state systems.

The simulators receive XML from test code and demos, so parsing is locked down: no DTDs, no
entity expansion, no network access, no huge trees. Clients use zeep and do not need this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from lxml import etree

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
