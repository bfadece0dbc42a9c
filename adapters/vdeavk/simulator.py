"""A stand-in for VDEĀVK IIS serving the DI contract (vdeavk.wsdl / vdeavk.xsd) as a WSGI app.

Decisions come from ``fixtures/decisions.json`` (seeds 1..80 of
``app.demo.valid_personal_code``, some left out as unknown). WSDL serving, validation, fault
injection, the query log (one entry per idempotency key) and the common control API are
:class:`adapters.simulators.SoapSimulator`'s. Own control actions:

* ``GET|PUT|DELETE /_control/persons/<personal_code>``: read, put or replace (JSON body
  ``{"opinions": [{"opinion_number", "disability_group": "I"|"II"|"III"|null, "severity",
  "special_care_opinion": bool, "valid_from", "valid_to": date|null}]}``), or remove one
  person's decisions. ``reset`` restores the fixture file.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

from adapters.simulators import FixtureRecords, PersonRegisterSimulator, check_record, is_iso_date
from adapters.vdeavk.messages import DISABILITY_GROUPS, NAMESPACE, SEVERITIES, WSDL_PATH, XSD_PATH

DECISIONS_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "decisions.json"


def load_decisions(path: Path = DECISIONS_FIXTURE) -> dict[str, dict[str, Any]]:
    """Personal code -> ``{"opinions": [...]}``, from the fixture file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {code: dict(person) for code, person in data["persons"].items()}


def check_opinion(record: Any) -> dict[str, Any]:
    opinion = check_record(
        record,
        {
            "opinion_number": lambda v: isinstance(v, str) and 0 < len(v) <= 64,
            "severity": lambda v: v in SEVERITIES,
            "special_care_opinion": lambda v: isinstance(v, bool),
            "valid_from": is_iso_date,
        },
        {
            "disability_group": lambda v: v is None or v in DISABILITY_GROUPS,
            "valid_to": lambda v: v is None or is_iso_date(v),
        },
    )
    if opinion.get("valid_to") and opinion["valid_to"] < opinion["valid_from"]:
        raise ValueError("Field 'valid_to' is before 'valid_from'")
    return opinion


def check_person(record: Any) -> dict[str, Any]:
    person = check_record(
        record,
        {"opinions": lambda v: isinstance(v, list)},
        {"seed": lambda v: isinstance(v, int)},
    )
    person["opinions"] = [check_opinion(opinion) for opinion in person["opinions"]]
    return person


def decision_on(opinions: list[dict[str, Any]], on_date: date) -> dict[str, Any] | None:
    """The opinion valid on ``on_date`` (bounds inclusive); of overlapping ones, the latest."""
    day = on_date.isoformat()
    valid = [
        o
        for o in opinions
        if o["valid_from"] <= day and (o.get("valid_to") is None or day <= o["valid_to"])
    ]
    return max(valid, key=lambda o: o["valid_from"], default=None)


class VdeavkSimulator(PersonRegisterSimulator):
    def __init__(self, decisions_path: Path = DECISIONS_FIXTURE) -> None:
        super().__init__(
            system="VDEĀVK",
            namespace=NAMESPACE,
            wsdl_path=WSDL_PATH,
            xsd_path=XSD_PATH,
            fault_element="VdeavkFault",
        )
        self.persons = FixtureRecords(lambda: load_decisions(decisions_path), check_person)
        self.operations = {self.qname("GetDisabilityStatusRequest"): self._status}

    def _status(self, payload: etree._Element) -> etree._Element:
        code = payload.findtext(self.qname("PersonalCode")) or ""
        on_date = payload.findtext(self.qname("OnDate")) or ""
        self.apply(payload, "GetDisabilityStatus", {"PersonalCode": code, "OnDate": on_date}, "Q")
        person = self.persons.get(code)
        # xs:date may carry a time zone (2026-01-31Z); the day is what counts.
        opinion = decision_on(person["opinions"], date.fromisoformat(on_date[:10])) if person else None
        answer = self.element("GetDisabilityStatusResponse")
        self.element("Found", answer, "true" if opinion else "false")
        if opinion:
            decision = self.element("Decision", answer)
            self.element("OpinionNumber", decision, opinion["opinion_number"])
            if opinion.get("disability_group"):
                self.element("DisabilityGroup", decision, opinion["disability_group"])
            self.element("Severity", decision, opinion["severity"])
            special = "true" if opinion["special_care_opinion"] else "false"
            self.element("SpecialCareOpinion", decision, special)
            self.element("ValidFrom", decision, opinion["valid_from"])
            if opinion.get("valid_to"):
                self.element("ValidTo", decision, opinion["valid_to"])
        return answer



def create_app(decisions_path: Path = DECISIONS_FIXTURE) -> VdeavkSimulator:
    return VdeavkSimulator(decisions_path)
