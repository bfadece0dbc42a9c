"""Calling SAIS over SOAP with zeep (:class:`adapters.soap.SoapSystem`), every failure an
AdapterError.

Settings: ``sais_url`` (required), ``sais_client_cert``, ``sais_client_key``,
``sais_ca_bundle``. Nothing logged here contains the personal code or the amounts.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from adapters.registry import CallContext
from adapters.sais.messages import (
    BINDING,
    NAMESPACE,
    NOTICE_STATUS,
    PAYMENT_KINDS,
    WSDL_PATH,
    CareNotice,
    NoticeReceipt,
    Payment,
    Payments,
    euro_to_cents,
)
from adapters.soap import SoapSystem, as_date, as_datetime

SAIS = SoapSystem(
    name="SAIS",
    prefix="sais",
    wsdl_path=WSDL_PATH,
    binding=BINDING,
    fault_detail=f"{{{NAMESPACE}}}SaisFault",
)

_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def get_payments(
    call: CallContext, personal_code: str, period_from: date, period_to: date
) -> Payments:
    """What SAIS paid the person with a payment date within the period (inclusive)."""
    reply = SAIS.invoke(
        call,
        "GetPayments",
        lambda service: service.GetPayments(
            IdempotencyKey=call.idempotency_key,
            PersonalCode=personal_code,
            PeriodFrom=period_from,
            PeriodTo=period_to,
        ),
    )
    return SAIS.read(reply, "the payment fields", _payments)


def notify_admission(call: CallContext, notice: CareNotice) -> NoticeReceipt:
    reply = SAIS.invoke(
        call,
        "NotifyAdmission",
        lambda service: service.NotifyAdmission(
            IdempotencyKey=call.idempotency_key,
            PersonalCode=notice.personal_code,
            InstitutionCode=notice.institution_code,
            AdmissionDate=notice.on_date,
        ),
    )
    return SAIS.read(reply, "the receipt fields", _receipt)


def notify_discharge(call: CallContext, notice: CareNotice) -> NoticeReceipt:
    reply = SAIS.invoke(
        call,
        "NotifyDischarge",
        lambda service: service.NotifyDischarge(
            IdempotencyKey=call.idempotency_key,
            PersonalCode=notice.personal_code,
            InstitutionCode=notice.institution_code,
            DischargeDate=notice.on_date,
        ),
    )
    return SAIS.read(reply, "the receipt fields", _receipt)


def _payments(reply: Any) -> Payments:
    if not isinstance(reply.Found, bool):
        raise TypeError("Found is not a boolean")
    # zeep gives an empty <Payments/> as None.
    listing = [] if reply.Payments is None else reply.Payments.Payment or []
    items = tuple(_payment(p) for p in listing)
    total = euro_to_cents(reply.TotalAmount)
    if total != sum(p.amount_cents for p in items):
        # Money that does not add up must not reach a co-payment calculation.
        raise ValueError("TotalAmount is not the sum of the payments")
    if items and not reply.Found:
        raise ValueError("payments for a person not found")
    return Payments(found=reply.Found, payments=items, total_cents=total)


def _payment(p: Any) -> Payment:
    if p.Kind not in PAYMENT_KINDS:
        raise ValueError("unknown payment kind")
    period = str(p.Period)
    if not _PERIOD.fullmatch(period):
        raise ValueError("Period is not YYYY-MM")
    return Payment(
        kind=str(p.Kind),
        amount_cents=euro_to_cents(p.Amount),
        paid_on=as_date(p.PaidOn),
        period=period,
        reference=str(p.Reference),
    )


def _receipt(reply: Any) -> NoticeReceipt:
    if reply.Status != NOTICE_STATUS:
        raise ValueError("unexpected notice status")
    if not isinstance(reply.Duplicate, bool):
        raise TypeError("Duplicate is not a boolean")
    return NoticeReceipt(
        status=str(reply.Status),
        reference=str(reply.Reference),
        received_at=as_datetime(reply.ReceivedAt),
        duplicate=reply.Duplicate,
    )
