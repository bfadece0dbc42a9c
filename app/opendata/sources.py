"""The register extracts the statistics store reads: for each source its file, its columns, the
register it comes from and how one of its rows becomes a subject or a fact. This is the one place
the extract contract (docs/statistics-store.md) lives in code; app/opendata/extract.py streams the
files through it.

A row is mapped to a plain tuple whose first value is the subject: a personal code still (the
extract replaces it with the pseudonym, ``Source.personal``) or, for the register of service
providers, the provider's registration number. Values stay as the validated ISO text the files
carry: both databases take dates as ``YYYY-MM-DD`` text on bulk load, and the day of birth is cut
to the first of the month here, before anything is stored.

A row that cannot be read raises RowError naming the column and what is wrong with it, never the
value: the value may be a personal code or a birth date.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

from app.access.organisations import MUNICIPALITY, read_territories

# More bad rows than this share of a file and the file is refused whole: a file that broken was
# cut off or produced wrongly, and loading the rest would publish wrong statistics.
MAX_BAD_ROW_SHARE = 0.01

# Code lists of the extract contract (docs/statistics-store.md).
AID_TYPES = frozenset({"wheelchair", "walking_aid", "hearing_aid", "visual_aid", "prosthesis",
                       "orthosis", "hygiene_aid", "communication_aid"})
PROVIDER_SERVICE_TYPES = frozenset({"long_term_care", "group_home", "day_centre", "home_care",
                                    "social_rehabilitation", "respite_care",
                                    "supported_employment", "crisis_centre"})
STATE_SERVICE_TYPES = frozenset({"long_term_care", "social_rehabilitation",
                                 "vocational_rehabilitation", "technical_aids_service",
                                 "sign_language_interpreter"})
BENEFIT_TYPES = frozenset({"old_age_pension", "disability_pension", "survivor_pension",
                           "disability_benefit", "care_benefit_disabled", "childcare_benefit",
                           "parental_benefit", "unemployment_benefit", "sickness_benefit"})
COMMUNITY_SERVICE_TYPES = frozenset({"home_care", "day_centre", "group_home",
                                     "supported_employment", "respite_care",
                                     "social_rehabilitation", "specialised_workshop"})
CARE_FORMS = frozenset({"foster_family", "guardianship", "institution", "family_type_home"})
DISABILITY_GROUPS = frozenset({"I", "II", "III"})
SEXES = frozenset({"M", "F"})

# The columns a mapped row fills, in the order of its tuple (after the subject's pseudonym or
# registration number has been put first).
SUBJECT_COLUMNS = ("pseudonym", "sex", "birth_month", "municipality_code")
FACT_COLUMNS = ("subject", "municipality_code", "started_on", "ended_on", "category", "severity",
                "months", "amount_cents")

SubjectRow = tuple[str, str, str, str]
FactRow = tuple[str, str, str, str | None, str, str, int | None, int | None]


class ExtractError(RuntimeError):
    """An extract that cannot be loaded; the message says which file and why."""


class HeaderMismatch(ExtractError):
    def __init__(self, file_name: str, column: str, detail: str) -> None:
        super().__init__(f"{file_name}: {detail}")
        self.file_name = file_name
        self.column = column


class RowError(ValueError):
    """One row's value that cannot be read: which column and why (never the value)."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(f"{column}: {reason}")
        self.column = column
        self.reason = reason


@dataclass(frozen=True)
class Source:
    name: str
    file_name: str
    register: str  # the register the extract comes from, as the data-set metadata names it
    columns: tuple[str, ...]
    target: Literal["subject", "fact"]
    # True when the first column is a personal code (to become a pseudonym); False for the
    # providers' registration numbers, which name organisations, not persons.
    personal: bool
    row: Callable[[Sequence[str]], tuple[object, ...]]


def check_header(source: Source, file_name: str, header: Sequence[str]) -> None:
    """Raise HeaderMismatch naming the file and the first column that differs."""
    found = [h.strip() for h in header]
    for position, expected in enumerate(source.columns):
        if position >= len(found):
            raise HeaderMismatch(file_name, expected, f"column {expected!r} is missing")
        if found[position] != expected:
            raise HeaderMismatch(file_name, expected,
                                 f"column {position + 1} is {found[position][:40]!r}, "
                                 f"expected {expected!r}")
    if len(found) > len(source.columns):
        extra = found[len(source.columns)][:40]
        raise HeaderMismatch(file_name, extra, f"unexpected column {extra!r}")


@cache
def municipality_codes() -> frozenset[str]:
    """The 43 municipalities' product codes (data/territories.csv)."""
    return frozenset(org.code for org in read_territories() if org.kind == MUNICIPALITY)


# --- field readers: each returns the stored value or raises RowError ---------------------------

def iso_date(value: str, column: str) -> str:
    # date.fromisoformat also takes 20240105 and week dates; the contract says YYYY-MM-DD only.
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        raise RowError(column, "not a date in the form YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise RowError(column, "not a date in the form YYYY-MM-DD") from None
    return value


def optional_date(value: str, column: str) -> str | None:
    return iso_date(value, column) if value else None


def span(row: Sequence[str], started: int, ended: int, columns: tuple[str, ...]
         ) -> tuple[str, str | None]:
    start = iso_date(row[started], columns[started])
    end = optional_date(row[ended], columns[ended])
    if end is not None and end < start:  # ISO dates compare as text
        raise RowError(columns[ended], "ends before it starts")
    return start, end


def coded(value: str, column: str, allowed: frozenset[str]) -> str:
    if value not in allowed:
        raise RowError(column, "not a code of the contract's list")
    return value


def municipality(value: str, column: str) -> str:
    if value not in municipality_codes():
        raise RowError(column, "unknown municipality code")
    return value


def whole_number(value: str, column: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise RowError(column, "not a whole number") from None
    if not low <= number <= high:
        raise RowError(column, f"outside {low}..{high}")
    return number


# --- one function per source: a row of the file -> the stored tuple ---------------------------

_PERSONS = ("personal_code", "given_name", "family_name", "sex", "birth_date",
            "municipality_code", "address", "declared_on")


def _person(row: Sequence[str]) -> SubjectRow:
    born = iso_date(row[4], "birth_date")
    # Names, address and the day of birth are read past and never stored.
    return (row[0], coded(row[3], "sex", SEXES), born[:8] + "01",
            municipality(row[5], "municipality_code"))


_DISABILITY = ("personal_code", "decided_on", "valid_until", "group")


def _disability(row: Sequence[str]) -> FactRow:
    started, ended = span(row, 1, 2, _DISABILITY)
    group = coded(row[3], "group", DISABILITY_GROUPS) if row[3] else ""
    return (row[0], "", started, ended, "", group, None, None)


_TECHNICAL_AIDS = ("personal_code", "issued_on", "aid_type")


def _technical_aid(row: Sequence[str]) -> FactRow:
    issued = iso_date(row[1], "issued_on")
    return (row[0], "", issued, issued, coded(row[2], "aid_type", AID_TYPES), "", None, None)


_PROVIDERS = ("registration_number", "name", "municipality_code", "service_type",
              "registered_on", "removed_on")


def _provider(row: Sequence[str]) -> FactRow:
    number = row[0].strip()
    if not number or len(number) > 40:
        raise RowError("registration_number", "empty or longer than 40 characters")
    started, ended = span(row, 4, 5, _PROVIDERS)
    return (number, municipality(row[2], "municipality_code"), started, ended,
            coded(row[3], "service_type", PROVIDER_SERVICE_TYPES), "", None, None)


_UNEMPLOYED = ("personal_code", "registered_on", "deregistered_on")


def _unemployed(row: Sequence[str]) -> FactRow:
    started, ended = span(row, 1, 2, _UNEMPLOYED)
    return (row[0], "", started, ended, "", "", None, None)


_INSURED = ("personal_code", "year", "months", "contribution_wage_cents")


def _insured(row: Sequence[str]) -> FactRow:
    year = whole_number(row[1], "year", 1900, 2999)
    months = whole_number(row[2], "months", 1, 12)
    cents = whole_number(row[3], "contribution_wage_cents", 0, 10**13)
    return (row[0], "", f"{year}-01-01", f"{year}-12-31", "", "", months, cents)


_STATE_SERVICES = ("personal_code", "service_type", "started_on", "ended_on")


def _state_service(row: Sequence[str]) -> FactRow:
    started, ended = span(row, 2, 3, _STATE_SERVICES)
    return (row[0], "", started, ended, coded(row[1], "service_type", STATE_SERVICE_TYPES), "",
            None, None)


_BENEFITS = ("personal_code", "benefit_type", "started_on", "ended_on")


def _benefit(row: Sequence[str]) -> FactRow:
    started, ended = span(row, 2, 3, _BENEFITS)
    return (row[0], "", started, ended, coded(row[1], "benefit_type", BENEFIT_TYPES), "",
            None, None)


_COMMUNITY_REQUESTS = ("personal_code", "requested_on", "municipality_code", "service_type")


def _community_request(row: Sequence[str]) -> FactRow:
    requested = iso_date(row[1], "requested_on")
    return (row[0], municipality(row[2], "municipality_code"), requested, requested,
            coded(row[3], "service_type", COMMUNITY_SERVICE_TYPES), "", None, None)


_CARE = ("personal_code", "form", "started_on", "ended_on")


def _care(row: Sequence[str]) -> FactRow:
    started, ended = span(row, 2, 3, _CARE)
    return (row[0], "", started, ended, coded(row[1], "form", CARE_FORMS), "", None, None)


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("persons", "pmlp_persons.csv.gz", "PMLP Population Register", _PERSONS, "subject",
           True, _person),
    Source("disability", "vdeavk_disability.csv.gz",
           "VDEĀVK State Medical Commission for the Assessment of Health Condition and Working "
           "Ability", _DISABILITY, "fact", True, _disability),
    Source("technical_aids", "tpl_technical_aids.csv.gz", "TPL technical aids register",
           _TECHNICAL_AIDS, "fact", True, _technical_aid),
    Source("service_providers", "sprr_providers.csv.gz",
           "SPRR Register of Social Service Providers", _PROVIDERS, "fact", False, _provider),
    Source("unemployed", "nva_unemployed.csv.gz", "NVA State Employment Agency", _UNEMPLOYED,
           "fact", True, _unemployed),
    Source("insured", "vsaa_insured.csv.gz", "VSAA State Social Insurance Agency", _INSURED,
           "fact", True, _insured),
    Source("state_social_services", "spolis_state_services.csv.gz",
           "SPOLIS Social Assistance and Social Services Information System", _STATE_SERVICES,
           "fact", True, _state_service),
    Source("vsaa_benefits", "vsaa_benefits.csv.gz", "VSAA State Social Insurance Agency",
           _BENEFITS, "fact", True, _benefit),
    Source("community_requests", "spolis_community_requests.csv.gz",
           "SPOLIS Social Assistance and Social Services Information System",
           _COMMUNITY_REQUESTS, "fact", True, _community_request),
    Source("out_of_family_care", "npais_out_of_family_care.csv.gz",
           "NPAIS Orphan and Custody Courts Information System", _CARE, "fact", True, _care),
)}

# The product's own community-service requests (P3 and P4 cases), loaded by extract_cases with
# the community_requests mapping; not a file.
CASE_REQUESTS = "case_requests"

# The product's P3 service types (app/domain/service_types.py) as the contract's community
# request codes: the workshop is the specialised workshop, the group apartment a group home,
# short-term social care the respite the register counts, consultations and groups social
# rehabilitation.
CASE_SERVICE_TYPES = {
    "HOME_CARE": "home_care", "DAY_CENTRE": "day_centre", "WORKSHOP": "specialised_workshop",
    "GROUP_APARTMENT": "group_home", "SHORT_TERM_CARE": "respite_care",
    "SPECIALIST_SUPPORT": "social_rehabilitation", "SUPPORT_GROUP": "social_rehabilitation",
}

# P4's application: the tasks whose form holds it, and the services it asks for as request
# codes (the care service is given at the child's home).
P4_APPLICATION_TASKS = ("register_application", "correct_application")


def p4_request_types(application: dict[str, object]) -> list[str]:
    asked = []
    if application.get("care_service"):
        asked.append("home_care")
    if application.get("respite_service"):
        asked.append("respite_care")
    if application.get("child_rehabilitation") or application.get("representative_rehabilitation"):
        asked.append("social_rehabilitation")
    return asked


# Every source the store can hold, in load order (persons first, so a failing persons file
# stops a run before any fact of it is replaced).
STORE_SOURCES = (*SOURCES, CASE_REQUESTS)
