"""Service-task operations backed by SAIS (process P8: payments, admission and discharge notices).

Money leaves here as integer cents; the contract carries decimal euro (see
:func:`adapters.sais.messages.euro_to_cents`).
"""

from __future__ import annotations

from typing import Any

from adapters.params import Params
from adapters.registry import CallContext, operation
from adapters.sais import client
from adapters.sais.messages import CareNotice, NoticeReceipt

_PAYMENTS_PARAMS = frozenset({"personal_code", "period_from", "period_to"})
_ADMISSION_PARAMS = frozenset({"personal_code", "institution_code", "admission_date"})
_DISCHARGE_PARAMS = frozenset({"personal_code", "institution_code", "discharge_date"})


@operation("sais.get_payments")
def get_payments(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """The pensions, supplements, benefits, compensations and foreign pensions paid to a person.

    Params: ``personal_code`` (NNNNNN-NNNNN), ``period_from`` and ``period_to`` (YYYY-MM-DD,
    inclusive; payments whose payment date falls within them). Returns ``found`` (SAIS knows the
    person), ``payments``: ``[{kind, amount_cents, paid_on, period (YYYY-MM), reference}]``
    ordered by payment date, and ``total_cents``. Unknown person: found false, no payments.
    """
    p = Params("sais.get_payments", params, _PAYMENTS_PARAMS, system="SAIS")
    personal_code = p.personal_code()
    period_from = p.iso_date("period_from")
    period_to = p.iso_date("period_to")
    if period_to < period_from:
        raise p.error("parameter 'period_to' is before 'period_from'")
    result = client.get_payments(call, personal_code, period_from, period_to)
    return {
        "found": result.found,
        "payments": [
            {
                "kind": payment.kind,
                "amount_cents": payment.amount_cents,
                "paid_on": payment.paid_on.isoformat(),
                "period": payment.period,
                "reference": payment.reference,
            }
            for payment in result.payments
        ],
        "total_cents": result.total_cents,
    }


@operation("sais.notify_admission")
def notify_admission(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Tell SAIS a person was admitted to a long-term social care institution (VSAC).

    Params: ``personal_code``, ``institution_code`` (the VSAC's organisation code),
    ``admission_date`` (YYYY-MM-DD). Returns ``status`` (RECEIVED), ``reference``,
    ``received_at`` (ISO 8601) and ``duplicate`` (the idempotency key was seen before).
    """
    p = Params("sais.notify_admission", params, _ADMISSION_PARAMS, system="SAIS")
    notice = CareNotice(p.personal_code(), p.code("institution_code"), p.iso_date("admission_date"))
    return _receipt(client.notify_admission(call, notice))


@operation("sais.notify_discharge")
def notify_discharge(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Tell SAIS a person was discharged from a long-term social care institution (VSAC).

    Params: ``personal_code``, ``institution_code``, ``discharge_date`` (YYYY-MM-DD). Returns
    what :func:`notify_admission` returns.
    """
    p = Params("sais.notify_discharge", params, _DISCHARGE_PARAMS, system="SAIS")
    notice = CareNotice(p.personal_code(), p.code("institution_code"), p.iso_date("discharge_date"))
    return _receipt(client.notify_discharge(call, notice))


def _receipt(receipt: NoticeReceipt) -> dict[str, Any]:
    return {
        "status": receipt.status,
        "reference": receipt.reference,
        "received_at": receipt.received_at.isoformat(),
        "duplicate": receipt.duplicate,
    }
