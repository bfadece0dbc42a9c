"""Corrections SAIS reports for a month it paid (``POST /api/v1/co-payment-corrections``).

SAIS names the case by its reference, or by the person's personal code and the VSAC; the month
is recalculated through the message ``p08_sais_correction``. A correction is applied once per
SAIS's ``correction_id``: the id travels in the message payload, which the engine writes into
the case's event log (``message_correlated``), and that log is where a second delivery finds it.
No table of its own is needed, and a refused correction leaves nothing behind.

Only SAIS's key or the ministry's integration key may deliver: SAIS is not an organisation of
DI Case, so its key is made in the ministry's organisation (see docs/processes/P8.md).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.access.scope import MINISTRY, Viewer, record_filter
from app.cases import personal_codes
from app.db.models import Event, HumanTask, Person, ProcessInstance
from app.domain import co_payment as rules
from app.engine.errors import MessageNotCorrelated
from app.engine.runtime import Actor, Engine

from .service import CORRECTION_MESSAGE, PROCESS_KEY, report_correction

SCHEMA_NAME = "CoPaymentCorrection"
WAITING_STEP = "await_next_month"
Messages = dict[str, list[str]]


class InvalidCorrection(ValueError):
    def __init__(self, fields: Messages) -> None:
        super().__init__("the correction is malformed")
        self.fields = fields


class NotAllowed(PermissionError):
    """The caller is neither SAIS nor the ministry's integration link."""


class UnknownCase(LookupError):
    """No P8 case the caller may address matches."""


class CaseNotWaiting(RuntimeError):
    """The case is confirming a month (or has ended): it takes no correction now."""


class ConflictingDuplicate(RuntimeError):
    """The correction id was delivered before for another month."""


@dataclass(frozen=True)
class Delivery:
    status: str  # accepted | duplicate
    correction_id: str
    case_reference: str
    period: str


# The groups of the keys that carry SAIS's messages: SAIS's own link, or the ministry's integration
# bus. A ministry employee's own key is not one of them.
INTEGRATION_GROUPS = frozenset({"sais", "integration"})


def may_deliver(viewer: Viewer) -> bool:
    return (viewer.works_on_cases and viewer.organisation_kind == MINISTRY
            and bool(INTEGRATION_GROUPS & set(viewer.groups)))


def deliver(engine: Engine, sessions: sessionmaker[Session], viewer: Viewer,
            body: Mapping[str, Any], lang: str = "lv") -> Delivery:
    """Check the correction (the schema held already) and apply it once; raises the above."""
    if not may_deliver(viewer):
        raise NotAllowed()
    correction_id = str(body["correction_id"]).strip()
    period = str(body["period"])
    with sessions() as session:
        instance = find_case(session, viewer, body, lang)
        reference = str(instance.business_key)
        earlier = delivered_period(session, instance.id, correction_id)
        if earlier is not None:
            return _duplicate(correction_id, reference, period, earlier)
        if instance.status != "active":
            raise CaseNotWaiting(reference)
        waiting = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance.id, HumanTask.element_id == WAITING_STEP,
            HumanTask.status == "open"))
        instance_id = instance.id
    if waiting is None:
        raise CaseNotWaiting(reference)
    known = engine.task_data(waiting)
    _check_period(period, str(known.get("admission_date") or ""),
                  str(known.get("current_period") or ""), lang)
    payload = {"correction_id": correction_id, "reason": str(body.get("reason") or "").strip()}
    try:
        report_correction(engine, reference, period,
                          Actor(viewer.username, frozenset(viewer.groups)), payload)
    except MessageNotCorrelated:
        # A delivery of the same correction at the same moment got there first, or a month is
        # being confirmed: the log tells which.
        with sessions() as session:
            earlier = delivered_period(session, instance_id, correction_id)
        if earlier is not None:
            return _duplicate(correction_id, reference, period, earlier)
        raise CaseNotWaiting(reference) from None
    return Delivery("accepted", correction_id, reference, period)


def _duplicate(correction_id: str, reference: str, period: str, earlier: str) -> Delivery:
    if earlier != period:
        raise ConflictingDuplicate(correction_id)
    return Delivery("duplicate", correction_id, reference, period)


def find_case(session: Session, viewer: Viewer, body: Mapping[str, Any],
              lang: str) -> ProcessInstance:
    """The case by reference, or else the person's latest case in the named VSAC; only among the
    caller's records."""
    query = select(ProcessInstance).where(ProcessInstance.process_key == PROCESS_KEY,
                                          record_filter(viewer, ProcessInstance))
    reference = str(body.get("case_reference") or "").strip()
    if reference:
        query = query.where(ProcessInstance.business_key == reference)
    else:
        code, institution = body.get("personal_code"), body.get("institution_code")
        if not code or not institution:
            raise InvalidCorrection({"case_reference": [_say(
                lang, "Jānorāda lietas numurs vai personas kods kopā ar iestādes kodu.",
                "Give the case reference, or the personal code with the institution code.")]})
        try:
            normalised = personal_codes.normalise(str(code))
        except personal_codes.InvalidPersonalCode as err:
            raise InvalidCorrection({"personal_code": [_say(
                lang, "Nederīgs personas kods: ", "Not a valid personal code: ") + str(err)]}
                ) from None
        person_ids = select(Person.id).where(Person.personal_code == normalised)
        query = query.where(ProcessInstance.person_id.in_(person_ids),
                            ProcessInstance.institution_code == str(institution))
    found = session.scalars(query.order_by(
        (ProcessInstance.status == "active").desc(), ProcessInstance.id.desc())).first()
    if found is None:
        raise UnknownCase()
    return found


def delivered_period(session: Session, instance_id: int, correction_id: str) -> str | None:
    """The month an earlier delivery of ``correction_id`` to this case recalculated, if any."""
    details = session.scalars(select(Event.detail).where(
        Event.instance_id == instance_id, Event.kind == "message_correlated"))
    for detail in details:
        payload = (detail or {}).get("payload") or {}
        if (detail or {}).get("message") == CORRECTION_MESSAGE and \
                payload.get("correction_id") == correction_id:
            return str(payload.get("period"))
    return None


def _check_period(period: str, admission_date: str, current_period: str, lang: str) -> None:
    """A correction is for a month of the stay that has been calculated already."""
    try:
        rules.period_bounds(period)
    except ValueError:
        raise InvalidCorrection({"period": [_say(lang, "Mēnesis jānorāda formā GGGG-MM.",
                                                 "Give the month as YYYY-MM.")]}) from None
    first = admission_date[:7]
    if (first and period < first) or (current_period and period > current_period):
        raise InvalidCorrection({"period": [_say(
            lang, f"Lieta aprēķina mēnešus no {first} līdz {current_period}; par {period} "
            "aprēķina nav.",
            f"The case calculates the months {first} to {current_period}; there is no "
            f"calculation for {period}.")]})


def _say(lang: str, lv: str, en: str) -> str:
    return en if lang == "en" else lv
