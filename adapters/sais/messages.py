"""The SAIS contract files, the typed values DI Case exchanges with SAIS, and the conversion
between integer cents (DI Case) and decimal euro (the contract)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

CONTRACT_DIR: Final = Path(__file__).resolve().parent / "contract"
WSDL_PATH: Final = CONTRACT_DIR / "sais.wsdl"
XSD_PATH: Final = CONTRACT_DIR / "sais.xsd"
NAMESPACE: Final = "urn:lv:sais:di:v1"
BINDING: Final = f"{{{NAMESPACE}}}SaisDiSoapBinding"

# Mirror of the PaymentKind enumeration in sais.xsd.
PAYMENT_KINDS: Final = ("PENSION", "SUPPLEMENT", "BENEFIT", "COMPENSATION", "FOREIGN_PENSION")
NOTICE_STATUS: Final = "RECEIVED"
_CENT: Final = Decimal("0.01")


def cents_to_euro(cents: int) -> Decimal:
    """12345 -> Decimal('123.45'): the contract's Amount, exact."""
    return (Decimal(cents) / 100).quantize(_CENT)


def euro_to_cents(amount: Decimal) -> int:
    """Decimal('123.45') -> 12345. ValueError for an amount with more than two decimals (the
    contract allows two; rounding here would hide a misbehaving server) or a float."""
    if not isinstance(amount, Decimal):
        raise TypeError("an amount must be a Decimal")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError("an amount has more than two decimals")
    return int(cents)


@dataclass(frozen=True)
class Payment:
    kind: str
    amount_cents: int
    paid_on: date
    period: str  # YYYY-MM, the month the payment is for
    reference: str


@dataclass(frozen=True)
class Payments:
    found: bool
    payments: tuple[Payment, ...]
    total_cents: int


@dataclass(frozen=True)
class CareNotice:
    """A notice of admission to or discharge from a long-term social care institution."""

    personal_code: str
    institution_code: str
    on_date: date


@dataclass(frozen=True)
class NoticeReceipt:
    status: str
    reference: str
    received_at: datetime
    duplicate: bool
