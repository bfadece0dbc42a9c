"""Service-task operations backed by NPAIS (process P9: notices and periodic reports).

Parameters are the plain JSON values a BPMN service task passes, checked with
:class:`adapters.params.Params` before any network call.
"""

from __future__ import annotations

from typing import Any

from adapters.npais import client
from adapters.npais.messages import (
    CASE_REFERENCE_MAX,
    NOTICE_ID_MAX,
    NOTICE_TEXT_MAX,
    NOTICE_TYPES,
    RECIPIENTS,
    REPORT_SECTION_MAX,
    OrphanCourtNotice,
    PeriodicReport,
)
from adapters.params import Params
from adapters.registry import CallContext, operation

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

    Params: ``orphan_court_code``, ``case_reference``, ``notice_type`` (one of
    ``messages.NOTICE_TYPES``: REPORT_OVERDUE, REPORT_DELIVERED, PLACEMENT_REGISTERED,
    CHILD_SEPARATED, CHILD_RETURNED, PLACEMENT_STARTED, PLACEMENT_ENDED, REPORT_SUBMITTED,
    SURVEY_OVERDUE), ``recipients`` (list of ORPHAN_COURT,
    SOCIAL_SERVICE, MINISTRY), ``text``, optional ``due_date`` (YYYY-MM-DD).
    Returns ``notice_id``, ``received_at`` (ISO 8601), ``duplicate``.
    """
    p = _Params("npais.notify_orphan_court", params, _NOTICE_PARAMS)
    notice = OrphanCourtNotice(
        orphan_court_code=p.court_code(),
        case_reference=p.case_reference(CASE_REFERENCE_MAX),
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
        case_reference=p.case_reference(CASE_REFERENCE_MAX),
        report_period_end=p.iso_date("report_period_end"),
        **sections,
    )
    receipt = client.deliver_periodic_report(call, report)
    return {
        "report_id": receipt.id,
        "received_at": receipt.received_at.isoformat(),
        "duplicate": receipt.duplicate,
    }


@operation("npais.notice_status")
def notice_status(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Whether the orphan court has acknowledged a notice.

    Params: ``notice_id`` (the id NotifyOrphanCourt answered). Returns ``notice_id``,
    ``status`` (RECEIVED or ACKNOWLEDGED) and ``acknowledged_at`` (ISO 8601 or None).
    """
    p = _Params("npais.notice_status", params, frozenset({"notice_id"}))
    found = client.notice_status(call, p.text("notice_id", NOTICE_ID_MAX))
    return {
        "notice_id": found.notice_id,
        "status": found.status,
        "acknowledged_at": found.acknowledged_at.isoformat() if found.acknowledged_at else None,
    }


class _Params(Params):
    """The generic checks plus NPAIS's own parameter kinds."""

    def __init__(self, op: str, params: Any, allowed: frozenset[str]) -> None:
        super().__init__(op, params, allowed, system="NPAIS")

    def court_code(self) -> str:
        return self.code("orphan_court_code")

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
