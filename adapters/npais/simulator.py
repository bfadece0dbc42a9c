"""A stand-in for NPAIS serving the DI contract (npais.wsdl / npais.xsd) as a WSGI application.

Run it with :func:`adapters.simulators.start_simulator`. WSDL serving, XSD validation, fault
injection, the idempotency ledger and the control API are :class:`adapters.simulators.SoapSimulator`'s
(its module docstring lists the control actions). Orphan court codes come from
``fixtures/orphan_courts.json``. State (applied idempotency keys, acknowledgements) is kept in
memory.

Its own control actions:

* ``GET /_control/notices/<notice id>``: ``{"notice_id", "status", "acknowledged_at"}``.
* ``POST /_control/notices/<notice id>/acknowledge`` ``{"at": ISO 8601 date-time (optional)}``:
  the orphan court confirms the notice (as a court clerk would in NPAIS); GetNoticeStatus
  answers ACKNOWLEDGED from then on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree
from werkzeug.wrappers import Request, Response

from adapters.npais.messages import ACKNOWLEDGED, NAMESPACE, RECEIVED, WSDL_PATH, XSD_PATH
from adapters.simulator_ledger import Ledger
from adapters.simulators import SimulatorFault, SoapSimulator, json_response

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
        self._acknowledged: dict[str, datetime] = {}
        self._ack_lock = threading.Lock()
        self.operations = {
            self.qname("NotifyOrphanCourtRequest"): self._receipt_handler(
                "NotifyOrphanCourt", "NoticeId", "N"
            ),
            self.qname("DeliverPeriodicReportRequest"): self._receipt_handler(
                "DeliverPeriodicReport", "ReportId", "R"
            ),
            self.qname("GetNoticeStatusRequest"): self._notice_status,
        }

    def _notice_ids(self) -> set[str]:
        return {r["id"] for r in self.ledger.records() if r["operation"] == "NotifyOrphanCourt"}

    def notice_state(self, notice_id: str) -> dict[str, Any] | None:
        """The notice's status as GetNoticeStatus reports it; None for an unknown id."""
        if notice_id not in self._notice_ids():
            return None
        with self._ack_lock:
            at = self._acknowledged.get(notice_id)
        return {
            "notice_id": notice_id,
            "status": ACKNOWLEDGED if at else RECEIVED,
            "acknowledged_at": at.isoformat() if at else None,
        }

    def acknowledge(self, notice_id: str, at: datetime | None = None) -> dict[str, Any] | None:
        """The orphan court confirms the notice (the first confirmation's time is kept)."""
        if notice_id not in self._notice_ids():
            return None
        with self._ack_lock:
            self._acknowledged.setdefault(notice_id, at or datetime.now(UTC).replace(microsecond=0))
        return self.notice_state(notice_id)

    def _notice_status(self, payload: etree._Element) -> etree._Element:
        notice_id = payload.findtext(self.qname("NoticeId")) or ""
        state = self.notice_state(notice_id)
        if state is None:
            raise SimulatorFault("Client", "UNKNOWN_NOTICE", f"No notice '{notice_id}'")
        answer = self.element("GetNoticeStatusResponse")
        self.element("NoticeId", answer, notice_id)
        self.element("Status", answer, state["status"])
        if state["acknowledged_at"]:
            self.element("AcknowledgedAt", answer, state["acknowledged_at"])
        return answer

    def control(self, request: Request, action: str) -> Response | None:
        kind, _, rest = action.partition("/")
        if kind != "notices" or not rest:
            return None
        notice_id, _, verb = rest.partition("/")
        if not verb and request.method == "GET":
            state = self.notice_state(notice_id)
        elif verb == "acknowledge" and request.method == "POST":
            body = request.get_json(silent=True) or {}
            try:
                at = _moment(body.get("at")) if isinstance(body, dict) else None
            except (TypeError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400)
            state = self.acknowledge(notice_id, at)
        else:
            return json_response({"error": "Use GET notices/<id> or POST notices/<id>/acknowledge"},
                                 405)
        if state is None:
            return json_response({"error": f"No notice {notice_id!r}"}, 404)
        return json_response(state)

    def reset(self) -> None:
        super().reset()
        with self._ack_lock:
            self._acknowledged.clear()

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


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("'at' must be an ISO 8601 date-time")
    moment = datetime.fromisoformat(value)  # ValueError names the problem
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


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
