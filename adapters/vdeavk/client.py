"""Calling VDEĀVK IIS over SOAP with zeep (:class:`adapters.soap.SoapSystem`), every failure an
AdapterError.

Settings: ``vdeavk_url`` (required), ``vdeavk_client_cert``, ``vdeavk_client_key``,
``vdeavk_ca_bundle``. Nothing logged here contains the personal code or the answer.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from adapters.registry import CallContext
from adapters.soap import SoapSystem, as_date
from adapters.vdeavk.messages import BINDING, NAMESPACE, WSDL_PATH, DisabilityDecision

VDEAVK = SoapSystem(
    name="VDEĀVK",
    prefix="vdeavk",
    wsdl_path=WSDL_PATH,
    binding=BINDING,
    fault_detail=f"{{{NAMESPACE}}}VdeavkFault",
)


def get_disability_status(
    call: CallContext, personal_code: str, on_date: date
) -> DisabilityDecision | None:
    """The decision valid on ``on_date``, or None when there is none (or the person is unknown)."""
    reply = VDEAVK.invoke(
        call,
        "GetDisabilityStatus",
        lambda service: service.GetDisabilityStatus(
            IdempotencyKey=call.idempotency_key, PersonalCode=personal_code, OnDate=on_date
        ),
    )
    return VDEAVK.read(reply, "the decision fields", _decision)


def _decision(reply: Any) -> DisabilityDecision | None:
    if not isinstance(reply.Found, bool):
        raise TypeError("Found is not a boolean")
    if not reply.Found:
        return None
    d = reply.Decision
    if d is None:
        raise ValueError("Found without a Decision")
    if not isinstance(d.SpecialCareOpinion, bool):
        raise TypeError("SpecialCareOpinion is not a boolean")
    return DisabilityDecision(
        opinion_number=str(d.OpinionNumber),
        disability_group=None if d.DisabilityGroup is None else str(d.DisabilityGroup),
        severity=str(d.Severity),
        special_care_opinion=d.SpecialCareOpinion,
        valid_from=as_date(d.ValidFrom),
        valid_to=None if d.ValidTo is None else as_date(d.ValidTo),
    )
