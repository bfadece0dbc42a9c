"""Service-task operations backed by PMLP, the population register."""

from __future__ import annotations

from typing import Any

from adapters.params import Params
from adapters.pmlp import client
from adapters.registry import CallContext, operation

_GET_PERSON_PARAMS = frozenset({"personal_code"})


@operation("pmlp.get_person")
def get_person(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """A person's register entry.

    Params: ``personal_code`` (NNNNNN-NNNNN). Returns ``found`` and, when found,
    ``given_name``, ``family_name``, ``birth_date`` (YYYY-MM-DD), ``sex`` (M/F), ``status``
    (LIVING/DECEASED), ``declared_address`` and ``municipality_code`` (an organisation code
    such as RIGA; null without a declared address). An unknown code is ``found: false``, the
    other fields null: not an error.
    """
    p = Params("pmlp.get_person", params, _GET_PERSON_PARAMS, system="PMLP")
    person = client.get_person(call, p.personal_code())
    if person is None:
        return {
            "found": False,
            "given_name": None,
            "family_name": None,
            "birth_date": None,
            "sex": None,
            "status": None,
            "declared_address": None,
            "municipality_code": None,
        }
    return {
        "found": True,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "status": person.status,
        "declared_address": person.declared_address,
        "municipality_code": person.municipality_code,
    }
