"""The SOPA contract files and the typed values DI Case exchanges with SOPA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

CONTRACT_DIR: Final = Path(__file__).resolve().parent / "contract"
WSDL_PATH: Final = CONTRACT_DIR / "sopa.wsdl"
XSD_PATH: Final = CONTRACT_DIR / "sopa.xsd"
NAMESPACE: Final = "urn:lv:sopa:di:v1"
BINDING: Final = f"{{{NAMESPACE}}}SopaDiSoapBinding"

# Mirrors of the enumerations and limits in sopa.xsd, so bad values are refused before any call.
SERVICE_TYPES: Final = (
    "HOME_CARE",
    "DAY_CENTRE",
    "WORKSHOP",
    "GROUP_APARTMENT",
    "SHORT_TERM_CARE",
    "SPECIALIST_SUPPORT",
    "SUPPORT_GROUP",
)
CHILD_GROUPS: Final = ("INSTITUTION", "FAMILY")
PLACEMENT_CHANGES: Final = ("GROUP_HOME_PLACEMENT", "GROUP_HOME_TRANSFER", "GROUP_HOME_END")
UNITS: Final = ("HOURS", "DAYS", "SESSIONS")
CASE_REFERENCE_MAX: Final = 64
SHORT_TEXT_MAX: Final = 500
GROUP_HOME_MAX: Final = 200
SUMMARY_MAX: Final = 8000
LIST_MAX: Final = 100
MUNICIPALITIES_MAX: Final = 50
HOURS_PER_WEEK_MAX: Final = 168
REPORT_SECTION_MAX: Final = 4000
# The sections of a periodic report on a child in care (P9), in the order of the contract.
REPORT_SECTIONS: Final = (
    "contact_with_parents",
    "contact_with_siblings",
    "contact_with_others",
    "cooperation",
    "physical_development",
    "psychosocial_development",
)


@dataclass(frozen=True)
class PlannedService:
    service_type: str
    hours_per_week: Decimal | None
    frequency: str | None


@dataclass(frozen=True)
class SupportPlan:
    municipality_code: str
    case_reference: str
    plan_version: int
    goals: tuple[str, ...]
    services: tuple[PlannedService, ...]
    valid_from: date
    valid_to: date


@dataclass(frozen=True)
class ChildAssessment:
    municipality_code: str
    case_reference: str
    child_group: str
    services_needed: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class PlacementChangeNotice:
    municipality_codes: tuple[str, ...]
    case_reference: str
    change: str
    from_group_home: str | None
    to_group_home: str | None
    effective_date: date


@dataclass(frozen=True)
class PeriodicReport:
    """Law on Social Services and Social Assistance, art. 28: what the institution tells the
    social service about a child in its care."""

    municipality_code: str
    case_reference: str
    report_period_end: date
    contact_with_parents: str
    contact_with_siblings: str
    contact_with_others: str
    cooperation: str
    physical_development: str
    psychosocial_development: str


@dataclass(frozen=True)
class Receipt:
    """SOPA's answer: its reference(s) and whether the key was seen before."""

    status: str
    references: tuple[str, ...]
    received_at: datetime
    duplicate: bool


@dataclass(frozen=True)
class ServiceRecord:
    external_id: str
    personal_code: str
    service_type: str
    provider_code: str
    period_from: date
    period_to: date
    volume: Decimal
    unit: str
    cost_cents: int
