"""The VDEĀVK contract files and the typed values DI Case reads from VDEĀVK."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

CONTRACT_DIR: Final = Path(__file__).resolve().parent / "contract"
WSDL_PATH: Final = CONTRACT_DIR / "vdeavk.wsdl"
XSD_PATH: Final = CONTRACT_DIR / "vdeavk.xsd"
NAMESPACE: Final = "urn:lv:vdeavk:di:v1"
BINDING: Final = f"{{{NAMESPACE}}}VdeavkDiSoapBinding"

DISABILITY_GROUPS: Final = ("I", "II", "III")
SEVERITIES: Final = ("SEVERE", "MODERATE", "MILD")


@dataclass(frozen=True)
class DisabilityDecision:
    """The commission's decision valid on the date asked about."""

    opinion_number: str
    disability_group: str | None
    severity: str
    special_care_opinion: bool
    valid_from: date
    valid_to: date | None
