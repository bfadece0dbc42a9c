"""A stand-in for SOPA serving the DI contract (sopa.wsdl / sopa.xsd) as a WSGI application.

Municipality codes and each municipality's service-record batch come from
``fixtures/sopa.json``. WSDL serving, validation, fault injection, the idempotency ledger and
the common control API are :class:`adapters.simulators.SoapSimulator`'s. Own control actions,
so process tests can set up a batch and assert on what was sent:

* ``GET /_control/received/plans`` (also ``assessments``, ``notices``, ``reports``,
  ``fetches``): what SOPA
  received, as ``[{"idempotency_key", "sopa_reference", "received_at", ...fields}]`` with the
  request's fields in snake_case (``municipality_code``, ``case_reference``, ``plan``: ...).
* ``GET /_control/service-records/<municipality_code>``: the batch, ``{"records": [...]}``.
* ``POST /_control/service-records/<municipality_code>`` ``{"records": [...]}``: add records
  (the fields ``sopa.fetch_service_records`` returns). ``PUT`` replaces the batch, ``DELETE``
  empties it. ``reset`` restores the fixture file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree
from werkzeug.wrappers import Request, Response

from adapters.simulators import (
    FixtureRecords,
    SimulatorFault,
    SoapSimulator,
    check_record,
    is_iso_date,
    json_response,
)
from adapters.soap import element_to_json
from adapters.sopa.messages import NAMESPACE, SERVICE_TYPES, UNITS, WSDL_PATH, XSD_PATH

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "sopa.json"
# Wrapper elements that hold lists, for the JSON shown by the control API.
_LISTS = frozenset({"Goals", "Services", "ServicesNeeded", "MunicipalityCodes"})
_RECEIVED_KINDS = {
    "plans": "SendSupportPlan",
    "assessments": "SendChildAssessment",
    "notices": "NotifyPlacementChange",
    "reports": "DeliverPeriodicReport",
    "fetches": "FetchServiceRecords",
}
_PERSONAL_CODE = re.compile(r"\d{6}-\d{5}")
_CODE = re.compile(r"[A-Z0-9][A-Z0-9\-_]{0,63}")
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def load_fixture(path: Path = FIXTURE) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value >= 0


def check_service_record(record: Any) -> dict[str, Any]:
    checked = check_record(
        record,
        {
            "external_id": lambda v: isinstance(v, str) and 0 < len(v) <= 64,
            "personal_code": lambda v: isinstance(v, str) and bool(_PERSONAL_CODE.fullmatch(v)),
            "service_type": lambda v: v in SERVICE_TYPES,
            "provider_code": lambda v: isinstance(v, str) and bool(_CODE.fullmatch(v)),
            "period_from": is_iso_date,
            "period_to": is_iso_date,
            "volume": _number,
            "unit": lambda v: v in UNITS,
            "cost_cents": lambda v: not isinstance(v, bool) and isinstance(v, int),
        },
    )
    if checked["period_to"] < checked["period_from"]:
        raise ValueError("Field 'period_to' is before 'period_from'")
    return checked


def check_batch(batch: Any) -> dict[str, Any]:
    checked = check_record(batch, {"records": lambda v: isinstance(v, list)})
    return {"records": [check_service_record(r) for r in checked["records"]]}


def snake_case(value: Any) -> Any:
    """Element names of :func:`element_to_json` output in snake_case, recursively."""
    if isinstance(value, dict):
        return {_SNAKE.sub("_", k).lower(): snake_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_case(v) for v in value]
    return value


class SopaSimulator(SoapSimulator):
    def __init__(self, fixture_path: Path = FIXTURE) -> None:
        super().__init__(
            system="SOPA",
            namespace=NAMESPACE,
            wsdl_path=WSDL_PATH,
            xsd_path=XSD_PATH,
            fault_element="SopaFault",
        )
        fixture = load_fixture(fixture_path)
        self.municipalities = frozenset(fixture["municipalities"])

        def batches() -> dict[str, Any]:
            records = load_fixture(fixture_path)["service_records"]
            return {code: {"records": list(rows)} for code, rows in records.items()}

        self.service_records = FixtureRecords(batches, check_batch)
        self.operations = {
            self.qname("SendSupportPlanRequest"): self._receipt_handler("SendSupportPlan", "P"),
            self.qname("SendChildAssessmentRequest"): self._receipt_handler(
                "SendChildAssessment", "A"
            ),
            self.qname("DeliverPeriodicReportRequest"): self._receipt_handler(
                "DeliverPeriodicReport", "R"
            ),
            self.qname("NotifyPlacementChangeRequest"): self._placement_change,
            self.qname("FetchServiceRecordsRequest"): self._fetch,
        }

    def _fields(self, payload: etree._Element) -> dict[str, Any]:
        fields = element_to_json(payload, _LISTS)
        fields.pop("IdempotencyKey", None)
        return dict(fields)

    def _check_municipality(self, code: str) -> None:
        if code not in self.municipalities:
            raise SimulatorFault(
                "Client", "UNKNOWN_MUNICIPALITY", f"Unknown municipality code '{code}'"
            )

    def _receipt_handler(
        self, name: str, id_prefix: str
    ) -> Callable[[etree._Element], etree._Element]:
        def handle(payload: etree._Element) -> etree._Element:
            fields = self._fields(payload)
            self._check_municipality(fields["MunicipalityCode"])
            record, duplicate = self.apply(payload, name, fields, id_prefix)
            answer = self.element(f"{name}Response")
            self.element("Status", answer, "ACCEPTED")
            self.element("SopaReference", answer, record.receipt_id)
            self.element("ReceivedAt", answer, record.received_at.isoformat())
            self.element("Duplicate", answer, "true" if duplicate else "false")
            return answer

        return handle

    def _placement_change(self, payload: etree._Element) -> etree._Element:
        fields = self._fields(payload)
        for code in fields["MunicipalityCodes"]:
            self._check_municipality(code)
        record, duplicate = self.apply(payload, "NotifyPlacementChange", fields, "C")
        answer = self.element("NotifyPlacementChangeResponse")
        self.element("Status", answer, "ACCEPTED")
        references = self.element("SopaReferences", answer)
        for code in fields["MunicipalityCodes"]:
            self.element("SopaReference", references, f"{record.receipt_id}-{code}")
        self.element("ReceivedAt", answer, record.received_at.isoformat())
        self.element("Duplicate", answer, "true" if duplicate else "false")
        return answer

    def _fetch(self, payload: etree._Element) -> etree._Element:
        fields = self._fields(payload)
        municipality = fields["MunicipalityCode"]
        self._check_municipality(municipality)
        self.apply(payload, "FetchServiceRecords", fields, "F")
        # xs:date may carry a time zone (2026-01-31Z); the day is what counts.
        start = date.fromisoformat(fields["PeriodFrom"][:10]).isoformat()
        end = date.fromisoformat(fields["PeriodTo"][:10]).isoformat()
        batch = self.service_records.get(municipality) or {"records": []}
        answer = self.element("FetchServiceRecordsResponse")
        records = self.element("Records", answer)
        for r in batch["records"]:
            if r["period_from"] > end or r["period_to"] < start:
                continue
            node = self.element("Record", records)
            self.element("ExternalId", node, r["external_id"])
            self.element("PersonalCode", node, r["personal_code"])
            self.element("ServiceType", node, r["service_type"])
            self.element("ProviderCode", node, r["provider_code"])
            self.element("PeriodFrom", node, r["period_from"])
            self.element("PeriodTo", node, r["period_to"])
            self.element("Volume", node, str(r["volume"]))
            self.element("Unit", node, r["unit"])
            self.element("CostCents", node, str(r["cost_cents"]))
        return answer

    def control(self, request: Request, action: str) -> Response | None:
        kind, _, rest = action.partition("/")
        if kind == "received" and rest in _RECEIVED_KINDS and request.method == "GET":
            return json_response(self._received(_RECEIVED_KINDS[rest]))
        if kind == "service-records" and rest:
            if request.method == "POST":
                return self._add_records(request, rest)
            return self.service_records.control(request, rest)
        return None

    def _received(self, operation: str) -> list[dict[str, Any]]:
        return [
            {
                "idempotency_key": r["idempotency_key"],
                "sopa_reference": r["id"],
                "received_at": r["received_at"],
                **snake_case(r["fields"]),
            }
            for r in self.ledger.records()
            if r["operation"] == operation
        ]

    def _add_records(self, request: Request, municipality: str) -> Response:
        try:
            added = check_batch(request.get_json(silent=True))["records"]
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
        batch = self.service_records.update(
            municipality,
            lambda current: {"records": [*(current or {"records": []})["records"], *added]},
        )
        return json_response({"added": len(added), "total": len(batch["records"])})

    def reset(self) -> None:
        super().reset()
        self.service_records.reset()


def create_app(fixture_path: Path = FIXTURE) -> SopaSimulator:
    return SopaSimulator(fixture_path)
