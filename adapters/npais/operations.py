"""Service-task operations backed by NPAIS (process P9: notices and periodic reports).

Parameters are the plain JSON values a BPMN service task passes; they are checked here so a
modelling mistake fails at once with a clear, non-retryable message instead of as a SOAP fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from adapters.npais import client
from adapters.npais.messages import (
    CASE_REFERENCE_MAX,
    NOTICE_TEXT_MAX,
    NOTICE_TYPES,
    RECIPIENTS,
    REPORT_SECTION_MAX,
    OrphanCourtNotice,
    PeriodicReport,
)
from adapters.registry import AdapterError, CallContext, operation

_COURT_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A Latvian personal code (DDMMYY-NNNNN, also the newer 32xxxx-xxxxx form), hyphen optional.
_PERSONAL_CODE = re.compile(r"(?<!\d)\d{6}-?\d{5}(?!\d)")

_NOTICE_PARAMS = frozenset(
    {"orphan_court_code", "case_reference", "notice_type", "due_date", "recipients", "text"}
)
_REPORT_SECTIONS = (
    "contact_with_parents",
    "contact_with_siblings",
    "contact_with_others",
    "cooperation",
    "physical_development",
    "psychosocial_development",
)
_REPORT_PARAMS = frozenset(
    {"orphan_court_code", "case_reference", "report_period_end", *_REPORT_SECTIONS}
)


@operation("npais.notify_orphan_court")
def notify_orphan_court(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Notify an orphan court (and optionally the social service and the ministry).

    Params: ``orphan_court_code``, ``case_reference``, ``notice_type`` (REPORT_OVERDUE,
    REPORT_DELIVERED, PLACEMENT_REGISTERED), ``recipients`` (list of ORPHAN_COURT,
    SOCIAL_SERVICE, MINISTRY), ``text``, optional ``due_date`` (YYYY-MM-DD).
    Returns ``notice_id``, ``received_at`` (ISO 8601), ``duplicate``.
    """
    p = _Params("npais.notify_orphan_court", params, _NOTICE_PARAMS)
    notice = OrphanCourtNotice(
        orphan_court_code=p.court_code(),
        case_reference=p.case_reference(),
        notice_type=p.choice("notice_type", NOTICE_TYPES),
        recipients=p.recipients(),
        text=p.text("text", NOTICE_TEXT_MAX),
        due_date=p.optional_iso_date("due_date"),
    )
    receipt = client.notify_orphan_court(call, notice)
    return {
        "notice_id": receipt.id,
        "received_at": receipt.received_at.isoformat(),
        "duplicate": receipt.duplicate,
    }


@operation("npais.deliver_periodic_report")
def deliver_periodic_report(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Deliver an institution's periodic report on a child to the orphan court.

    Params: ``orphan_court_code``, ``case_reference``, ``report_period_end`` (YYYY-MM-DD) and
    the texts ``contact_with_parents``, ``contact_with_siblings``, ``contact_with_others``,
    ``cooperation``, ``physical_development``, ``psychosocial_development``.
    Returns ``report_id``, ``received_at`` (ISO 8601), ``duplicate``.
    """
    p = _Params("npais.deliver_periodic_report", params, _REPORT_PARAMS)
    sections = {name: p.text(name, REPORT_SECTION_MAX) for name in _REPORT_SECTIONS}
    report = PeriodicReport(
        orphan_court_code=p.court_code(),
        case_reference=p.case_reference(),
        report_period_end=p.iso_date("report_period_end"),
        **sections,
    )
    receipt = client.deliver_periodic_report(call, report)
    return {
        "report_id": receipt.id,
        "received_at": receipt.received_at.isoformat(),
        "duplicate": receipt.duplicate,
    }


class _Params:
    """Reads and checks one operation's parameters; every failure is non-retryable."""

    def __init__(self, op: str, params: Mapping[str, Any], allowed: frozenset[str]) -> None:
        if not isinstance(params, Mapping):
            raise self._error_for(op, "parameters must be a JSON object")
        unknown = sorted(set(params) - allowed)
        if unknown:
            # Usually a typo in the process model; ignoring it would silently drop data.
            raise self._error_for(op, f"unknown parameter(s): {', '.join(unknown)}")
        self.op = op
        self.params = params

    @staticmethod
    def _error_for(op: str, message: str) -> AdapterError:
        return AdapterError(f"{op}: {message}", retryable=False, system="NPAIS")

    def error(self, message: str) -> AdapterError:
        return self._error_for(self.op, message)

    def string(self, key: str) -> str:
        value = self.params.get(key)
        if value is None:
            raise self.error(f"parameter '{key}' is required")
        if not isinstance(value, str):
            raise self.error(f"parameter '{key}' must be a string")
        if not value.strip():
            raise self.error(f"parameter '{key}' must not be empty")
        return value

    def text(self, key: str, max_length: int) -> str:
        value = self.string(key)
        if len(value) > max_length:
            raise self.error(f"parameter '{key}' is longer than {max_length} characters")
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.string(key)
        if value not in allowed:
            raise self.error(f"parameter '{key}' must be one of {', '.join(allowed)}")
        return value

    def court_code(self) -> str:
        value = self.string("orphan_court_code").strip()
        if not _COURT_CODE.fullmatch(value):
            raise self.error(
                "parameter 'orphan_court_code' must be 2-32 upper-case letters, digits or '-'"
            )
        return value

    def case_reference(self) -> str:
        value = self.string("case_reference").strip()
        if len(value) > CASE_REFERENCE_MAX:
            raise self.error(
                f"parameter 'case_reference' is longer than {CASE_REFERENCE_MAX} characters"
            )
        if _PERSONAL_CODE.search(value):
            # NPAIS gets the case number; a personal code here would be a data-protection bug.
            raise self.error(
                "parameter 'case_reference' looks like a personal code; pass the case number"
            )
        return value

    def recipients(self) -> tuple[str, ...]:
        value = self.params.get("recipients")
        if value is None:
            raise self.error("parameter 'recipients' is required")
        if not isinstance(value, (list, tuple)) or not value:
            raise self.error("parameter 'recipients' must be a non-empty list")
        chosen: list[str] = []
        for item in value:
            if item not in RECIPIENTS:
                raise self.error(f"parameter 'recipients' may only hold {', '.join(RECIPIENTS)}")
            if item not in chosen:
                chosen.append(item)
        return tuple(chosen)

    def optional_iso_date(self, key: str) -> date | None:
        return None if self.params.get(key) is None else self.iso_date(key)

    def iso_date(self, key: str) -> date:
        value = self.params.get(key)
        if value is None:
            raise self.error(f"parameter '{key}' is required")
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.error(f"parameter '{key}' must be a date written YYYY-MM-DD")
