"""The NPAIS contract files and the typed values DI Case exchanges with NPAIS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

CONTRACT_DIR: Final = Path(__file__).resolve().parent / "contract"
WSDL_PATH: Final = CONTRACT_DIR / "npais.wsdl"
XSD_PATH: Final = CONTRACT_DIR / "npais.xsd"
NAMESPACE: Final = "urn:lv:npais:di:v1"
BINDING: Final = f"{{{NAMESPACE}}}NpaisDiSoapBinding"

# Mirrors of the enumerations in npais.xsd, so bad values are refused before any network call.
NOTICE_TYPES: Final = (
    "REPORT_OVERDUE",
    "REPORT_DELIVERED",
    "PLACEMENT_REGISTERED",
    "CHILD_SEPARATED",
    "CHILD_RETURNED",
    "PLACEMENT_STARTED",
    "PLACEMENT_ENDED",
    "REPORT_SUBMITTED",
    "SURVEY_OVERDUE",
)
RECIPIENTS: Final = ("ORPHAN_COURT", "SOCIAL_SERVICE", "MINISTRY")
RECEIVED: Final = "RECEIVED"
ACKNOWLEDGED: Final = "ACKNOWLEDGED"
NOTICE_STATUSES: Final = (RECEIVED, ACKNOWLEDGED)
NOTICE_TEXT_MAX: Final = 4000
REPORT_SECTION_MAX: Final = 8000
CASE_REFERENCE_MAX: Final = 64
NOTICE_ID_MAX: Final = 64


@dataclass(frozen=True)
class OrphanCourtNotice:
    orphan_court_code: str
    case_reference: str
    notice_type: str
    recipients: tuple[str, ...]
    text: str
    due_date: date | None = None


@dataclass(frozen=True)
class PeriodicReport:
    orphan_court_code: str
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
    """NPAIS's answer: the id it gave the notice or report, and whether the key was seen before."""

    id: str
    received_at: datetime
    duplicate: bool


@dataclass(frozen=True)
class NoticeStatus:
    """Where a notice stands at NPAIS: received, or acknowledged by the orphan court (and when)."""

    notice_id: str
    status: str
    acknowledged_at: datetime | None = None

    @property
    def acknowledged(self) -> bool:
        return self.status == ACKNOWLEDGED
