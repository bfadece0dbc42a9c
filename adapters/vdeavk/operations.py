"""Service-task operations backed by VDEĀVK IIS (disability decisions, special-care opinions)."""

from __future__ import annotations

from typing import Any

from adapters.params import Params
from adapters.registry import CallContext, operation
from adapters.vdeavk import client

_STATUS_PARAMS = frozenset({"personal_code", "on_date"})


@operation("vdeavk.get_disability_status")
def get_disability_status(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """The disability decision that applies on a date.

    Params: ``personal_code`` (NNNNNN-NNNNN), ``on_date`` (YYYY-MM-DD). Returns ``found``
    (a decision valid on ``on_date`` exists), ``disability_group`` (I/II/III; null for children
    and when not found), ``severity`` (SEVERE/MODERATE/MILD or null), ``special_care_opinion``
    (a valid opinion on the need for special care due to severe functional impairment on
    ``on_date``), ``opinion_number``, ``valid_from`` and ``valid_to`` (YYYY-MM-DD; ``valid_to``
    null when indefinite or not found).
    """
    p = Params("vdeavk.get_disability_status", params, _STATUS_PARAMS, system="VDEĀVK")
    personal_code = p.personal_code()
    on_date = p.iso_date("on_date")
    decision = client.get_disability_status(call, personal_code, on_date)
    if decision is None:
        return {
            "found": False,
            "disability_group": None,
            "severity": None,
            "special_care_opinion": False,
            "opinion_number": None,
            "valid_from": None,
            "valid_to": None,
        }
    return {
        "found": True,
        "disability_group": decision.disability_group,
        "severity": decision.severity,
        "special_care_opinion": decision.special_care_opinion,
        "opinion_number": decision.opinion_number,
        "valid_from": decision.valid_from.isoformat(),
        "valid_to": None if decision.valid_to is None else decision.valid_to.isoformat(),
    }
