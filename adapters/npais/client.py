"""Calling NPAIS over SOAP with zeep (:class:`adapters.soap.SoapSystem`), every failure an
AdapterError.

Settings: ``npais_url`` (required), ``npais_client_cert``, ``npais_client_key``,
``npais_ca_bundle``; see :class:`adapters.soap.SoapSystem`.

Nothing logged here contains request content: texts and reports are about children.
"""

from __future__ import annotations

from typing import Any

from adapters.npais.messages import (
    BINDING,
    NAMESPACE,
    NOTICE_STATUSES,
    WSDL_PATH,
    NoticeStatus,
    OrphanCourtNotice,
    PeriodicReport,
    Receipt,
)
from adapters.registry import CallContext
from adapters.soap import SoapSystem, as_datetime, clear_client_cache

__all__ = [
    "NPAIS",
    "clear_client_cache",
    "deliver_periodic_report",
    "notice_status",
    "notify_orphan_court",
]

NPAIS = SoapSystem(
    name="NPAIS",
    prefix="npais",
    wsdl_path=WSDL_PATH,
    binding=BINDING,
    fault_detail=f"{{{NAMESPACE}}}NpaisFault",
)


def notify_orphan_court(call: CallContext, notice: OrphanCourtNotice) -> Receipt:
    reply = NPAIS.invoke(
        call,
        "NotifyOrphanCourt",
        lambda service: service.NotifyOrphanCourt(
            IdempotencyKey=call.idempotency_key,
            OrphanCourtCode=notice.orphan_court_code,
            CaseReference=notice.case_reference,
            NoticeType=notice.notice_type,
            DueDate=notice.due_date,
            Recipients={"Recipient": list(notice.recipients)},
            Text=notice.text,
        ),
    )
    return _receipt(reply, "NoticeId")


def deliver_periodic_report(call: CallContext, report: PeriodicReport) -> Receipt:
    reply = NPAIS.invoke(
        call,
        "DeliverPeriodicReport",
        lambda service: service.DeliverPeriodicReport(
            IdempotencyKey=call.idempotency_key,
            OrphanCourtCode=report.orphan_court_code,
            CaseReference=report.case_reference,
            ReportPeriodEnd=report.report_period_end,
            ContactWithParents=report.contact_with_parents,
            ContactWithSiblings=report.contact_with_siblings,
            ContactWithOthers=report.contact_with_others,
            Cooperation=report.cooperation,
            PhysicalDevelopment=report.physical_development,
            PsychosocialDevelopment=report.psychosocial_development,
        ),
    )
    return _receipt(reply, "ReportId")


def notice_status(call: CallContext, notice_id: str) -> NoticeStatus:
    """Whether the orphan court has acknowledged the notice NPAIS gave ``notice_id``.

    A read: ``call.idempotency_key`` only names the call in the log.
    """
    reply = NPAIS.invoke(
        call, "GetNoticeStatus", lambda service: service.GetNoticeStatus(NoticeId=notice_id)
    )

    def convert(r: Any) -> NoticeStatus:
        status = str(r.Status)
        if status not in NOTICE_STATUSES:
            raise ValueError(status)
        at = as_datetime(r.AcknowledgedAt) if r.AcknowledgedAt is not None else None
        return NoticeStatus(str(r.NoticeId), status, at)

    return NPAIS.read(reply, "the notice status fields", convert)


def _receipt(reply: Any, id_field: str) -> Receipt:
    def convert(r: Any) -> Receipt:
        return Receipt(str(getattr(r, id_field)), as_datetime(r.ReceivedAt), bool(r.Duplicate))

    return NPAIS.read(reply, "the receipt fields", convert)
