"""Calling PMLP over SOAP with zeep (:class:`adapters.soap.SoapSystem`), every failure an
AdapterError.

Settings: ``pmlp_url`` (required), ``pmlp_client_cert``, ``pmlp_client_key``,
``pmlp_ca_bundle``. Nothing logged here contains the personal code or the answer.
"""

from __future__ import annotations

from typing import Any

from adapters.pmlp.messages import BINDING, NAMESPACE, WSDL_PATH, RegisteredPerson
from adapters.registry import CallContext
from adapters.soap import SoapSystem, as_date

PMLP = SoapSystem(
    name="PMLP",
    prefix="pmlp",
    wsdl_path=WSDL_PATH,
    binding=BINDING,
    fault_detail=f"{{{NAMESPACE}}}PmlpFault",
)


def get_person(call: CallContext, personal_code: str) -> RegisteredPerson | None:
    """The register entry, or None when PMLP does not know the code."""
    reply = PMLP.invoke(
        call,
        "GetPerson",
        lambda service: service.GetPerson(
            IdempotencyKey=call.idempotency_key, PersonalCode=personal_code
        ),
    )
    return PMLP.read(reply, "the person fields", _person)


def _person(reply: Any) -> RegisteredPerson | None:
    if not isinstance(reply.Found, bool):
        raise TypeError("Found is not a boolean")
    if not reply.Found:
        return None
    p = reply.Person
    if p is None:
        raise ValueError("Found without a Person")
    return RegisteredPerson(
        given_name=str(p.GivenName),
        family_name=str(p.FamilyName),
        birth_date=as_date(p.BirthDate),
        sex=str(p.Sex),
        status=str(p.Status),
        declared_address=None if p.DeclaredAddress is None else str(p.DeclaredAddress),
        municipality_code=None if p.MunicipalityCode is None else str(p.MunicipalityCode),
    )
