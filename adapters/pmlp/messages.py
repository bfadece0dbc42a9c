"""The PMLP contract files and the typed values DI Case reads from PMLP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

CONTRACT_DIR: Final = Path(__file__).resolve().parent / "contract"
WSDL_PATH: Final = CONTRACT_DIR / "pmlp.wsdl"
XSD_PATH: Final = CONTRACT_DIR / "pmlp.xsd"
NAMESPACE: Final = "urn:lv:pmlp:di:v1"
BINDING: Final = f"{{{NAMESPACE}}}PmlpDiSoapBinding"

SEXES: Final = ("M", "F")
STATUSES: Final = ("LIVING", "DECEASED")


@dataclass(frozen=True)
class RegisteredPerson:
    """A person's entry in the population register."""

    given_name: str
    family_name: str
    birth_date: date
    sex: str
    status: str
    declared_address: str | None
    municipality_code: str | None
