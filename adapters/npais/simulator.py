"""A stand-in for NPAIS serving the DI contract (npais.wsdl / npais.xsd) as a WSGI application.

Run it with :func:`adapters.simulators.start_simulator`. WSDL serving, XSD validation, fault
injection, the idempotency ledger and the control API are :class:`adapters.simulators.SoapSimulator`'s
(its module docstring lists the control actions). Orphan court codes come from
``fixtures/orphan_courts.json``. State (applied idempotency keys) is kept in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from adapters.npais.messages import NAMESPACE, WSDL_PATH, XSD_PATH
from adapters.simulator_ledger import Ledger
from adapters.simulators import SimulatorFault, SoapSimulator

COURTS_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "orphan_courts.json"


def load_orphan_courts(path: Path = COURTS_FIXTURE) -> dict[str, str]:
    """Orphan court code -> name, from the fixture file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {court["code"]: court["name"] for court in data["orphan_courts"]}


class NpaisSimulator(SoapSimulator):
    def __init__(self, orphan_courts: Mapping[str, str], ledger: Ledger | None = None) -> None:
        super().__init__(
            system="NPAIS",
            namespace=NAMESPACE,
            wsdl_path=WSDL_PATH,
            xsd_path=XSD_PATH,
            fault_element="NpaisFault",
            ledger=ledger,
        )
        self.orphan_courts = dict(orphan_courts)
        self.operations = {
            self.qname("NotifyOrphanCourtRequest"): self._receipt_handler(
                "NotifyOrphanCourt", "NoticeId", "N"
            ),
            self.qname("DeliverPeriodicReportRequest"): self._receipt_handler(
                "DeliverPeriodicReport", "ReportId", "R"
            ),
        }

    def _receipt_handler(
        self, name: str, id_element: str, id_prefix: str
    ) -> Callable[[etree._Element], etree._Element]:
        def handle(payload: etree._Element) -> etree._Element:
            fields = _fields(payload)
            court = fields.get("OrphanCourtCode")
            if court not in self.orphan_courts:
                raise SimulatorFault(
                    "Client", "UNKNOWN_ORPHAN_COURT", f"Unknown orphan court code '{court}'"
                )
            record, duplicate = self.apply(payload, name, fields, id_prefix)
            answer = self.element(f"{name}Response")
            self.element(id_element, answer, record.receipt_id)
            self.element("ReceivedAt", answer, record.received_at.isoformat())
            self.element("Duplicate", answer, "true" if duplicate else "false")
            return answer

        return handle


def create_app(orphan_courts_path: Path = COURTS_FIXTURE) -> NpaisSimulator:
    return NpaisSimulator(load_orphan_courts(orphan_courts_path))


def _fields(payload: etree._Element) -> dict[str, Any]:
    """The request content except the key: element name -> text, or list of texts for lists."""
    fields: dict[str, Any] = {}
    for child in payload:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "IdempotencyKey":
            continue
        items = [item.text or "" for item in child if isinstance(item.tag, str)]
        fields[name] = items if len(child) else (child.text or "")
    return fields
