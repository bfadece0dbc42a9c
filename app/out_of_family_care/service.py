"""Starting and ending P9 for a child, and the placement and report rows it keeps. No Flask here.

``start_placement`` and ``end_placement`` are interface I2: the institution's start screen, an
NPAIS message and P10 all start and end a placement through them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.organisations import ORPHAN_COURT_SUFFIX
from app.access.scope import Scope
from app.db import transaction
from app.db.models import (
    ChildPlacement,
    HumanTask,
    Organisation,
    PeriodicReportDelivery,
    Person,
    ProcessInstance,
)
from app.engine.errors import MessageNotCorrelated
from app.engine.runtime import Actor

PROCESS_KEY = "p09_out_of_family_care"
END_MESSAGE = "p09_placement_ended"
SOURCES = ("institution", "npais", "p10")
REGISTER_TASK = "register_placement"
REPORT_TASK = "submit_periodic_report"
REASON_MAX = 2000


class PlacementError(ValueError):
    """A placement that cannot start or end as asked; the message is for the person (Latvian)."""


def npais_court_code(orphan_court_code: str) -> str:
    """NPAIS names an orphan court by its municipality (``RIGA``); DI Case's organisation code of
    the court carries a suffix (``RIGA-BT``)."""
    if orphan_court_code.endswith(ORPHAN_COURT_SUFFIX):
        return orphan_court_code[:-len(ORPHAN_COURT_SUFFIX)]
    return orphan_court_code


def case_number(person_id: int, placement_date: date) -> str:
    return f"P9-{placement_date.isoformat()}-{person_id:06d}"


def active_instance_id(session: Session, person_id: int) -> int | None:
    return session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.process_key == PROCESS_KEY, ProcessInstance.person_id == person_id,
        ProcessInstance.status == "active").order_by(ProcessInstance.id.desc()).limit(1))


def start_placement(services: Any, *, person_id: int, placement_date: date, institution_code: str,
                    orphan_court_code: str, actor: Actor, source: str = "institution",
                    decision_reference: str | None = None) -> int:
    """Start P9 for a child already in the ``person`` table; returns the instance id, or the
    id of the child's running P9 instance if there is one (so a repeated NPAIS message or a
    second click starts nothing new).

    The child's record moves into the institution's care and the orphan court's jurisdiction
    (the person's scope columns), so both see the case. Started by the institution itself, the
    placement is registered at once with what the start screen gave; from NPAIS or P10 the
    institution's task to confirm the placement waits in its inbox.
    """
    if source not in SOURCES:
        raise PlacementError(f"Nezināms ievietošanas avots: {source}")
    with transaction(services.sessions) as session:
        running = active_instance_id(session, person_id)
        if running is not None:
            _ensure_placement(session, running, placement_date, source, decision_reference,
                              actor.username)
            return running
        person = session.get(Person, person_id)
        if person is None:
            raise PlacementError("Bērns nav atrasts.")
        if person.birth_date is None:
            raise PlacementError("Bērna dzimšanas datums nav zināms: ievadiet to bērna lietā.")
        if placement_date < person.birth_date:
            raise PlacementError("Ievietošanas datums nevar būt pirms bērna dzimšanas.")
        institution = _organisation(session, institution_code, "iestāde")
        _organisation(session, orphan_court_code, "bāriņtiesa")
        person.institution_code = institution_code
        person.orphan_court_code = orphan_court_code
        scope = Scope.of_person(PROCESS_KEY, person)
        reference = case_number(person_id, placement_date)
        data = {"case_number": reference, "child_birth_date": person.birth_date.isoformat(),
                "placement_date": placement_date.isoformat(),
                # what the process hands to NPAIS; the record's scope keeps the organisation code
                "orphan_court_code": npais_court_code(orphan_court_code),
                "institution_code": institution_code,
                "municipality_code": person.municipality_code or "",
                "placement_source": source, "decision_reference": decision_reference or ""}
        institution_name = institution.name_lv
    instance_id: int = services.engine.start(PROCESS_KEY, data, business_key=reference,
                                             actor=actor, scope=scope)
    if source == "institution":
        _register_now(services, instance_id, actor, {
            "placement_date": data["placement_date"], "child_birth_date": data["child_birth_date"],
            "institution_name": institution_name, "orphan_court_code": data["orphan_court_code"]})
    with transaction(services.sessions) as session:
        _ensure_placement(session, instance_id, placement_date, source, decision_reference,
                          actor.username)
    return instance_id


def _organisation(session: Session, code: str, what: str) -> Organisation:
    found = session.get(Organisation, code) if code else None
    if found is None or not found.active:
        raise PlacementError(f"Nezināma {what}: {code or '—'}")
    return found


def _register_now(services: Any, instance_id: int, actor: Actor, form: dict[str, Any]) -> None:
    with services.sessions() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.element_id == REGISTER_TASK,
            HumanTask.status == "open"))
    if task_id is not None:
        services.engine.complete_task(task_id, actor, form)


def _ensure_placement(session: Session, instance_id: int, placement_date: date, source: str,
                      decision_reference: str | None, created_by: str) -> ChildPlacement:
    found = session.scalars(select(ChildPlacement).where(
        ChildPlacement.instance_id == instance_id)).first()
    if found is not None:
        return found
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise PlacementError(f"Nav procesa {instance_id}")
    row = ChildPlacement(instance_id=instance_id, placement_date=placement_date, source=source,
                         decision_reference=decision_reference or None, created_by=created_by,
                         **_scope_of(instance))
    session.add(row)
    session.flush()
    return row


def _scope_of(instance: ProcessInstance) -> dict[str, Any]:
    return {"person_id": instance.person_id, "record_kind": instance.record_kind,
            "municipality_code": instance.municipality_code,
            "institution_code": instance.institution_code,
            "orphan_court_code": instance.orphan_court_code,
            "confidential": instance.confidential}


def end_placement(services: Any, *, instance_id: int, end_date: date, reason: str,
                  actor: Actor) -> None:
    """The child left the institution: deliver ``p09_placement_ended`` to the instance, which
    cancels its report timers, records the end and tells the orphan court and the social
    service. ``PlacementError`` if the end cannot be taken now."""
    reason = (reason or "").strip()
    if not reason:
        raise PlacementError("Norādiet, kāpēc ievietošana beigusies.")
    if len(reason) > REASON_MAX:
        raise PlacementError(f"Iemesls var būt ne garāks par {REASON_MAX} zīmēm.")
    with services.sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or instance.process_key != PROCESS_KEY:
            raise PlacementError("Ievietošana nav atrasta.")
        if instance.status != "active":
            raise PlacementError("Šī ievietošana jau ir beigusies.")
        placement = session.scalars(select(ChildPlacement).where(
            ChildPlacement.instance_id == instance_id)).first()
        business_key = instance.business_key
    if placement is not None and end_date < placement.placement_date:
        raise PlacementError("Beigu datums nevar būt pirms ievietošanas datuma.")
    try:
        services.engine.correlate(END_MESSAGE, {"end_date": end_date.isoformat(),
                                                "reason": reason},
                                  business_key=business_key, actor=actor)
    except MessageNotCorrelated:
        # Between a report's submission and its delivery the case waits for NPAIS and SOPA.
        raise PlacementError("Ziņojums vēl tiek nosūtīts: mēģiniet pēc brīža vēlreiz.") from None


# --- what the job runner stores (app.out_of_family_care.operations) ------------------------------

def submitted_by(session: Session, instance_id: int) -> str:
    """Who completed the instance's latest periodic report."""
    return session.scalar(select(HumanTask.completed_by).where(
        HumanTask.instance_id == instance_id, HumanTask.element_id == REPORT_TASK,
        HumanTask.status == "completed").order_by(HumanTask.id.desc()).limit(1)) or "system"


def record_report(session: Session, instance: ProcessInstance, *, report_date: date,
                  due_date: date | None, placement_date: date,
                  npais_receipt: Mapping[str, Any], sopa_receipt: Mapping[str, Any],
                  idempotency_key: str | None) -> PeriodicReportDelivery:
    """Keep a delivered report and both receipts; a retried job finds its row again."""
    if idempotency_key:
        earlier = session.scalars(select(PeriodicReportDelivery).where(
            PeriodicReportDelivery.idempotency_key == idempotency_key)).first()
        if earlier is not None:
            return earlier
    _ensure_placement(session, instance.id, placement_date, "institution", None, "system")
    row = PeriodicReportDelivery(
        instance_id=instance.id, report_date=report_date, due_date=due_date,
        submitted_by=submitted_by(session, instance.id),
        npais_report_id=_text(npais_receipt, "report_id", "NPAIS"),
        npais_received_at=_moment(npais_receipt, "NPAIS"),
        sopa_reference=_text(sopa_receipt, "sopa_reference", "SOPA"),
        sopa_received_at=_moment(sopa_receipt, "SOPA"),
        idempotency_key=idempotency_key, **_scope_of(instance))
    session.add(row)
    session.flush()
    return row


def record_end(session: Session, instance: ProcessInstance, *, end_date: date, reason: str,
               placement_date: date) -> ChildPlacement:
    placement = _ensure_placement(session, instance.id, placement_date, "institution", None,
                                  "system")
    if end_date < placement.placement_date:
        raise PlacementError("the end date is before the placement date")
    placement.end_date = end_date
    placement.end_reason = reason[:REASON_MAX] or None
    return placement


def _text(receipt: Mapping[str, Any], key: str, system: str) -> str:
    value = receipt.get(key)
    if not isinstance(value, str) or not value:
        raise PlacementError(f"{system} gave no '{key}' in its receipt")
    return value[:64]


def _moment(receipt: Mapping[str, Any], system: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(receipt.get("received_at") or ""))
    except ValueError:
        raise PlacementError(f"{system} gave no time of receipt") from None
    if moment.tzinfo is None:
        raise PlacementError(f"{system} gave a time of receipt without a time zone")
    return moment


# --- reading ------------------------------------------------------------------------------------

def placements_of(session: Session, instance_ids: Sequence[int]) -> list[ChildPlacement]:
    if not instance_ids:
        return []
    return list(session.scalars(select(ChildPlacement).where(
        ChildPlacement.instance_id.in_(instance_ids)).order_by(ChildPlacement.placement_date)))


def reports_of(session: Session, instance_ids: Sequence[int]) -> list[PeriodicReportDelivery]:
    if not instance_ids:
        return []
    return list(session.scalars(select(PeriodicReportDelivery).where(
        PeriodicReportDelivery.instance_id.in_(instance_ids))
        .order_by(PeriodicReportDelivery.report_date.desc(), PeriodicReportDelivery.id.desc())))


def open_report_tasks(session: Session, instance_ids: Sequence[int]) -> dict[int, HumanTask]:
    """The open report task of each instance (its due date is the next report's)."""
    if not instance_ids:
        return {}
    return {task.instance_id: task for task in session.scalars(select(HumanTask).where(
        HumanTask.instance_id.in_(instance_ids), HumanTask.element_id == REPORT_TASK,
        HumanTask.status == "open"))}
