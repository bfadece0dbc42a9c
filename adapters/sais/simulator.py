"""A stand-in for SAIS serving the DI contract (sais.wsdl / sais.xsd) as a WSGI application.

Persons and their payments come from :mod:`adapters.sais.fixture` (seeds 1..90 of
``app.demo.valid_personal_code``, generated deterministically when the simulator loads). WSDL
serving, validation, fault injection, the idempotency ledger (a query is logged once per key, a
notice applied once per key) and the common control API are
:class:`adapters.simulators.SoapSimulator`'s. Own control actions:

* ``GET|PUT|DELETE /_control/persons/<personal_code>``: read, put or replace (JSON body
  ``{"payments": [{"kind", "amount_cents", "paid_on", "period": "YYYY-MM", "reference"}]}``),
  or remove one person's payments (the person becomes unknown). ``reset`` restores the fixture.
* ``GET /_control/received/admissions`` (also ``discharges``): the notices SAIS received, as
  ``[{"idempotency_key", "reference", "received_at", "personal_code", "institution_code",
  "admission_date" | "discharge_date"}]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from lxml import etree
from werkzeug.wrappers import Request, Response

from adapters.sais.fixture import fixture_persons
from adapters.sais.messages import (
    NAMESPACE,
    NOTICE_STATUS,
    PAYMENT_KINDS,
    WSDL_PATH,
    XSD_PATH,
    cents_to_euro,
)
from adapters.simulators import (
    FixtureRecords,
    PersonRegisterSimulator,
    SimulatorFault,
    check_record,
    is_iso_date,
    json_response,
)

_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_NOTICES = {
    "admissions": ("NotifyAdmission", "AdmissionDate", "admission_date"),
    "discharges": ("NotifyDischarge", "DischargeDate", "discharge_date"),
}


def check_payment(record: Any) -> dict[str, Any]:
    return check_record(
        record,
        {
            "kind": lambda v: v in PAYMENT_KINDS,
            "amount_cents": lambda v: isinstance(v, int) and not isinstance(v, bool)
            and 0 <= v < 10**12,
            "paid_on": is_iso_date,
            "period": lambda v: isinstance(v, str) and bool(_PERIOD.fullmatch(v)),
            "reference": lambda v: isinstance(v, str) and 0 < len(v) <= 64,
        },
    )


def check_person(record: Any) -> dict[str, Any]:
    person = check_record(
        record,
        {"payments": lambda v: isinstance(v, list)},
        {"seed": lambda v: isinstance(v, int)},
    )
    payments = [check_payment(payment) for payment in person["payments"]]
    person["payments"] = sorted(payments, key=lambda p: (p["paid_on"], p["kind"]))
    return person


def paid_within(
    payments: list[dict[str, Any]], period_from: date, period_to: date
) -> list[dict[str, Any]]:
    """The payments whose payment date is within the period, bounds inclusive."""
    first, last = period_from.isoformat(), period_to.isoformat()
    return [p for p in payments if first <= p["paid_on"] <= last]


def _day(value: str) -> date:
    # xs:date may carry a time zone (2026-01-31Z); the day is what counts.
    return date.fromisoformat(value[:10])


class SaisSimulator(PersonRegisterSimulator):
    def __init__(self, load: Callable[[], dict[str, Any]] = fixture_persons) -> None:
        super().__init__(
            system="SAIS",
            namespace=NAMESPACE,
            wsdl_path=WSDL_PATH,
            xsd_path=XSD_PATH,
            fault_element="SaisFault",
        )
        self.persons = FixtureRecords(load, check_person)
        self.operations = {
            self.qname("GetPaymentsRequest"): self._get_payments,
            self.qname("NotifyAdmissionRequest"): self._notice_handler(
                "NotifyAdmission", "AdmissionDate", "SAIS-A"
            ),
            self.qname("NotifyDischargeRequest"): self._notice_handler(
                "NotifyDischarge", "DischargeDate", "SAIS-D"
            ),
        }

    def _get_payments(self, payload: etree._Element) -> etree._Element:
        code = payload.findtext(self.qname("PersonalCode")) or ""
        first = payload.findtext(self.qname("PeriodFrom")) or ""
        last = payload.findtext(self.qname("PeriodTo")) or ""
        if _day(last) < _day(first):
            raise SimulatorFault("Client", "INVALID_PERIOD", "PeriodTo is before PeriodFrom")
        fields = {"PersonalCode": code, "PeriodFrom": first, "PeriodTo": last}
        self.apply(payload, "GetPayments", fields, "SAIS-Q")
        person = self.persons.get(code)
        paid = paid_within(person["payments"], _day(first), _day(last)) if person else []
        answer = self.element("GetPaymentsResponse")
        self.element("Found", answer, "true" if person else "false")
        listing = self.element("Payments", answer)
        for p in paid:
            node = self.element("Payment", listing)
            self.element("Kind", node, p["kind"])
            self.element("Amount", node, str(cents_to_euro(p["amount_cents"])))
            self.element("PaidOn", node, p["paid_on"])
            self.element("Period", node, p["period"])
            self.element("Reference", node, p["reference"])
        total = sum(p["amount_cents"] for p in paid)
        self.element("TotalAmount", answer, str(cents_to_euro(total)))
        return answer

    def _notice_handler(
        self, name: str, date_element: str, id_prefix: str
    ) -> Callable[[etree._Element], etree._Element]:
        def handle(payload: etree._Element) -> etree._Element:
            code = payload.findtext(self.qname("PersonalCode")) or ""
            if self.persons.get(code) is None:
                # No code in the message: fault strings end up in job logs.
                raise SimulatorFault("Client", "UNKNOWN_PERSON", "SAIS does not know the person")
            fields = {
                "PersonalCode": code,
                "InstitutionCode": payload.findtext(self.qname("InstitutionCode")) or "",
                date_element: payload.findtext(self.qname(date_element)) or "",
            }
            record, duplicate = self.apply(payload, name, fields, id_prefix)
            answer = self.element(f"{name}Response")
            self.element("Status", answer, NOTICE_STATUS)
            self.element("Reference", answer, record.receipt_id)
            self.element("ReceivedAt", answer, record.received_at.isoformat())
            self.element("Duplicate", answer, "true" if duplicate else "false")
            return answer

        return handle

    def control(self, request: Request, action: str) -> Response | None:
        kind, _, rest = action.partition("/")
        if kind == "received" and rest in _NOTICES and request.method == "GET":
            return json_response(self._received(*_NOTICES[rest]))
        return super().control(request, action)

    def _received(self, operation: str, date_element: str, date_key: str) -> list[dict[str, Any]]:
        return [
            {
                "idempotency_key": r["idempotency_key"],
                "reference": r["id"],
                "received_at": r["received_at"],
                "personal_code": r["fields"]["PersonalCode"],
                "institution_code": r["fields"]["InstitutionCode"],
                date_key: r["fields"][date_element],
            }
            for r in self.ledger.records()
            if r["operation"] == operation
        ]


def create_app() -> SaisSimulator:
    return SaisSimulator()
