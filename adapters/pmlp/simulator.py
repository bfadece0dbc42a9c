"""A stand-in for PMLP serving the DI contract (pmlp.wsdl / pmlp.xsd) as a WSGI application.

Persons come from ``fixtures/persons.json`` (seeds 1..80 of ``app.demo.valid_personal_code``).
WSDL serving, validation, fault injection, the query log (one entry per idempotency key) and the
common control API are :class:`adapters.simulators.SoapSimulator`'s. Own control actions:

* ``GET|PUT|DELETE /_control/persons/<personal_code>``: read, put or replace (JSON body with
  ``given_name``, ``family_name``, ``birth_date``, ``sex``, ``status``, optional
  ``declared_address`` and ``municipality_code``), or remove one person. ``reset`` restores the
  fixture file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lxml import etree

from adapters.pmlp.messages import NAMESPACE, SEXES, STATUSES, WSDL_PATH, XSD_PATH
from adapters.simulators import FixtureRecords, PersonRegisterSimulator, check_record, is_iso_date

PERSONS_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "persons.json"
_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")


def load_persons(path: Path = PERSONS_FIXTURE) -> dict[str, dict[str, Any]]:
    """Personal code -> register entry, from the fixture file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {code: dict(person) for code, person in data["persons"].items()}


def _name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 100


def check_person(record: Any) -> dict[str, Any]:
    return check_record(
        record,
        {
            "given_name": _name,
            "family_name": _name,
            "birth_date": is_iso_date,
            "sex": lambda v: v in SEXES,
            "status": lambda v: v in STATUSES,
        },
        {
            "declared_address": lambda v: v is None or (isinstance(v, str) and 0 < len(v) <= 300),
            "municipality_code": lambda v: v is None or (isinstance(v, str) and bool(_CODE.fullmatch(v))),
            "seed": lambda v: isinstance(v, int),
        },
    )


class PmlpSimulator(PersonRegisterSimulator):
    def __init__(self, persons_path: Path = PERSONS_FIXTURE) -> None:
        super().__init__(
            system="PMLP",
            namespace=NAMESPACE,
            wsdl_path=WSDL_PATH,
            xsd_path=XSD_PATH,
            fault_element="PmlpFault",
        )
        self.persons = FixtureRecords(lambda: load_persons(persons_path), check_person)
        self.operations = {self.qname("GetPersonRequest"): self._get_person}

    def _get_person(self, payload: etree._Element) -> etree._Element:
        code = payload.findtext(self.qname("PersonalCode")) or ""
        self.apply(payload, "GetPerson", {"PersonalCode": code}, "Q")
        person = self.persons.get(code)
        answer = self.element("GetPersonResponse")
        self.element("Found", answer, "true" if person else "false")
        if person:
            entry = self.element("Person", answer)
            self.element("GivenName", entry, person["given_name"])
            self.element("FamilyName", entry, person["family_name"])
            self.element("BirthDate", entry, person["birth_date"])
            self.element("Sex", entry, person["sex"])
            self.element("Status", entry, person["status"])
            if person.get("declared_address"):
                self.element("DeclaredAddress", entry, person["declared_address"])
            if person.get("municipality_code"):
                self.element("MunicipalityCode", entry, person["municipality_code"])
        return answer



def create_app(persons_path: Path = PERSONS_FIXTURE) -> PmlpSimulator:
    return PmlpSimulator(persons_path)
