"""Orphan-court decisions as NPAIS delivers them (``POST /api/v1/orphan-court-decisions``).

A separation starts a P10 case; a return is delivered to the running case of the same child as
the message ``p10_child_returned``. A message is recognised by NPAIS's decision id and applied
once: the second delivery answers ``duplicate`` and changes nothing. Every check is made before
anything is written, so a refused message leaves no trace but its answer.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.access.scope import MINISTRY, ORPHAN_COURT, SERVICE_PROVIDER, VSAC, Scope, Viewer
from app.access.scope import MUNICIPALITY as MUNICIPALITY_KIND
from app.cases import personal_codes
from app.db import transaction
from app.db.models import (
    ChildProtectionDecision,
    Organisation,
    Person,
    ProcessInstance,
    utcnow,
)
from app.domain import child_protection as rules
from app.domain.calendar import today_in_latvia
from app.engine.errors import MessageNotCorrelated
from app.engine.runtime import Actor, Engine

from .service import PROCESS_KEY, RETURN_MESSAGE

SCHEMA_NAME = "OrphanCourtDecision"
Messages = dict[str, list[str]]


class InvalidDecision(ValueError):
    def __init__(self, fields: Messages) -> None:
        super().__init__("the decision is malformed")
        self.fields = fields


class NotAllowed(PermissionError):
    """The caller may not deliver decisions of this orphan court."""


class UnknownCase(LookupError):
    """No running case of this child that the caller may address."""


class CaseNotWaiting(RuntimeError):
    """The case cannot take the return now (it has ended)."""


class ConflictingDuplicate(RuntimeError):
    """The decision id was delivered before with other content."""


class DecisionInProgress(RuntimeError):
    """Another delivery of this decision is starting its case right now; try again shortly."""


# A delivery whose case has not started after this long was cut off (the server stopped between
# storing the decision and starting the case); the next delivery starts it.
STALE_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class Delivery:
    status: str  # accepted | duplicate
    decision_id: str
    kind: str
    case_number: str | None
    instance_id: int | None


@dataclass(frozen=True)
class Decision:
    """A decision message that passed every check."""

    decision_id: str
    kind: str
    orphan_court_code: str
    decision_date: date
    personal_code: str
    given_name: str
    family_name: str
    municipality_code: str | None
    institution_code: str | None
    placement_date: date | None
    reason: str
    separation_decision_id: str | None


def check_decision(session: Session, body: Mapping[str, Any], lang: str = "lv") -> Decision:
    """The decision, after the schema held: the personal code, the organisations and the dates
    checked; InvalidDecision naming each wrong field."""
    fields: Messages = {}
    child = body["child"]
    try:
        code = personal_codes.normalise(str(child["personal_code"]))
    except personal_codes.InvalidPersonalCode as err:
        fields["child.personal_code"] = [_say(lang, "Nederīgs personas kods: ", "Not a valid "
                                              "personal code: ") + str(err)]
        code = ""
    kind = str(body["kind"])
    decided = date.fromisoformat(str(body["decision_date"]))
    if decided > today_in_latvia():
        fields["decision_date"] = [_say(lang, "Lēmuma datums nevar būt nākotnē.",
                                        "The decision cannot be dated in the future.")]
    court = str(body["orphan_court_code"])
    _expect_organisation(session, fields, "orphan_court_code", court, (ORPHAN_COURT,), lang)
    municipality = body.get("municipality_code")
    institution = body.get("institution_code")
    if municipality:
        _expect_organisation(session, fields, "municipality_code", str(municipality),
                             (MUNICIPALITY_KIND,), lang)
    if institution:
        _expect_organisation(session, fields, "institution_code", str(institution),
                             (VSAC, SERVICE_PROVIDER), lang)
    placed = date.fromisoformat(str(body["placement_date"])) if body.get("placement_date") else None
    if placed is not None and "decision_date" not in fields:
        problem = rules.placement_problem(decided, placed, today_in_latvia())
        if problem:
            fields["placement_date"] = [_say(lang, *problem)]
    if fields:
        raise InvalidDecision(fields)
    return Decision(
        decision_id=str(body["decision_id"]).strip(), kind=kind, orphan_court_code=court,
        decision_date=decided, personal_code=code,
        given_name=str(child["given_name"]).strip(), family_name=str(child["family_name"]).strip(),
        municipality_code=str(municipality) if municipality else None,
        institution_code=str(institution) if institution else None, placement_date=placed,
        reason=str(body.get("reason") or "").strip(),
        separation_decision_id=str(body.get("separation_decision_id") or "").strip() or None)


# The groups of the ministry's keys that carry NPAIS's messages (the NPAIS link, the integration
# bus); a ministry employee's own key is not one of them.
INTEGRATION_GROUPS = frozenset({"npais", "integration"})


def may_deliver(viewer: Viewer, orphan_court_code: str) -> bool:
    """An orphan court delivers its own decisions; the ministry's NPAIS link delivers all."""
    if not viewer.works_on_cases:
        return False
    if viewer.organisation_kind == MINISTRY:
        return bool(INTEGRATION_GROUPS & set(viewer.groups))
    return (viewer.organisation_kind == ORPHAN_COURT
            and viewer.organisation_code == orphan_court_code)


def deliver(engine: Engine, sessions: sessionmaker[Session], viewer: Viewer,
            body: Mapping[str, Any], lang: str = "lv") -> Delivery:
    """Check the decision and apply it once; raises the errors above."""
    with sessions() as session:
        decision = check_decision(session, body, lang)
    if not may_deliver(viewer, decision.orphan_court_code):
        raise NotAllowed(decision.orphan_court_code)
    with sessions() as session:
        earlier = session.scalars(select(ChildProtectionDecision).where(
            ChildProtectionDecision.npais_decision_id == decision.decision_id)).first()
        if earlier is not None and earlier.instance_id is not None:
            return _duplicate(session, earlier, decision)
    actor = Actor(viewer.username, frozenset(viewer.groups))
    if decision.kind == rules.SEPARATION:
        return _separate(engine, sessions, decision, actor, lang)
    return _return(engine, sessions, viewer, decision, actor, lang)


def _duplicate(session: Session, earlier: ChildProtectionDecision,
               decision: Decision) -> Delivery:
    _duplicate_content(earlier, decision)
    person = session.get(Person, earlier.person_id) if earlier.person_id else None
    if person is not None and person.personal_code != decision.personal_code:
        raise ConflictingDuplicate(decision.decision_id)
    if earlier.instance_id is None:
        raise DecisionInProgress(decision.decision_id)
    instance = session.get(ProcessInstance, earlier.instance_id)
    return Delivery("duplicate", decision.decision_id, decision.kind,
                    instance.business_key if instance else None, earlier.instance_id)


def _separate(engine: Engine, sessions: sessionmaker[Session], decision: Decision, actor: Actor,
              lang: str) -> Delivery:
    # The row is written first: its unique decision id is what keeps two deliveries of the same
    # message from starting two cases.
    try:
        with transaction(sessions) as session:
            person = session.scalars(select(Person).where(
                Person.personal_code == decision.personal_code)).first()
            row = session.scalars(select(ChildProtectionDecision).where(
                ChildProtectionDecision.npais_decision_id == decision.decision_id)).first()
            if row is None:
                row = _new_row(decision, actor, person.id if person else None)
                session.add(row)
                session.flush()
            else:
                _resume(session, row, decision)
            row_id, person_id = row.id, row.person_id
            case_number = rules.case_number(decision.decision_date, row.id)
            if row.instance_id is not None:  # an earlier delivery's case, linked just now
                return Delivery("duplicate", decision.decision_id, decision.kind, case_number,
                                row.instance_id)
    except IntegrityError:
        with sessions() as session:
            earlier = session.scalars(select(ChildProtectionDecision).where(
                ChildProtectionDecision.npais_decision_id == decision.decision_id)).one()
            return _duplicate(session, earlier, decision)
    data = {"case_number": case_number, "decision_id": row_id,
            "npais_decision_id": decision.decision_id,
            "decision_date": decision.decision_date.isoformat(),
            "orphan_court_code": decision.orphan_court_code,
            "municipality_code": decision.municipality_code,
            "institution_code": decision.institution_code,
            "person_known": person_id is not None,
            # for the population register, when the child is not known here yet
            "personal_code": decision.personal_code if person_id is None else "",
            "child_given_name": decision.given_name, "child_family_name": decision.family_name,
            "placement_institution_code": decision.institution_code or "",
            "placement_date": decision.placement_date.isoformat() if decision.placement_date
            else ""}
    scope = Scope.for_process(PROCESS_KEY, person_id=person_id,
                              municipality_code=decision.municipality_code,
                              institution_code=decision.institution_code,
                              orphan_court_code=decision.orphan_court_code)
    try:
        instance_id = engine.start(PROCESS_KEY, data, business_key=case_number, actor=actor,
                                   scope=scope)
    except Exception:
        with transaction(sessions) as session:  # nothing of a refused start stays behind
            found = session.get(ChildProtectionDecision, row_id)
            if found is not None and found.instance_id is None:
                session.delete(found)
        raise
    with transaction(sessions) as session:
        found = session.get(ChildProtectionDecision, row_id)
        assert found is not None
        found.instance_id = instance_id
    return Delivery("accepted", decision.decision_id, decision.kind, case_number, instance_id)


def _resume(session: Session, row: ChildProtectionDecision, decision: Decision) -> None:
    """A decision stored before whose case is not linked: link the case if it did start, wait
    while another delivery may still be starting it, or else let this delivery start it."""
    _duplicate_content(row, decision)
    started = session.scalar(select(ProcessInstance.id).where(
        ProcessInstance.process_key == PROCESS_KEY,
        ProcessInstance.business_key == rules.case_number(row.decision_date, row.id)))
    if started is not None:
        row.instance_id = started
    elif row.received_at > utcnow() - STALE_AFTER:
        raise DecisionInProgress(decision.decision_id)


def _duplicate_content(earlier: ChildProtectionDecision, decision: Decision) -> None:
    if (earlier.kind, earlier.orphan_court_code, earlier.decision_date) != (
            decision.kind, decision.orphan_court_code, decision.decision_date):
        raise ConflictingDuplicate(decision.decision_id)


def _return(engine: Engine, sessions: sessionmaker[Session], viewer: Viewer, decision: Decision,
            actor: Actor, lang: str) -> Delivery:
    with sessions() as session:
        separation = _separation_for(session, viewer, decision)
        instance = session.get(ProcessInstance, separation.instance_id)
        if instance is None or instance.status != "active":
            raise CaseNotWaiting(decision.decision_id)
        problem = rules.return_problem(separation.decision_date, decision.decision_date)
        if problem:
            raise InvalidDecision({"decision_date": [_say(lang, *problem)]})
        case_number = str(instance.business_key)
        separation_id, instance_id, person_id = separation.id, instance.id, separation.person_id
        scope = (separation.municipality_code, separation.institution_code)
    try:
        with transaction(sessions) as session:
            row = _new_row(decision, actor, person_id)
            row.separation_id, row.instance_id = separation_id, instance_id
            row.municipality_code, row.institution_code = scope
            session.add(row)
            session.flush()
            row_id = row.id
    except IntegrityError:
        with sessions() as session:
            earlier = session.scalars(select(ChildProtectionDecision).where(
                ChildProtectionDecision.npais_decision_id == decision.decision_id)).one()
            return _duplicate(session, earlier, decision)
    payload = {"decision_id": row_id, "npais_decision_id": decision.decision_id,
               "decision_date": decision.decision_date.isoformat()}
    try:
        engine.correlate(RETURN_MESSAGE, payload, business_key=case_number, actor=actor)
    except Exception as err:
        with transaction(sessions) as session:
            found = session.get(ChildProtectionDecision, row_id)
            if found is not None:
                session.delete(found)
        if isinstance(err, MessageNotCorrelated):
            raise CaseNotWaiting(decision.decision_id) from None
        raise
    return Delivery("accepted", decision.decision_id, decision.kind, case_number, instance_id)


def _separation_for(session: Session, viewer: Viewer,
                    decision: Decision) -> ChildProtectionDecision:
    """The separation a return answers: the one NPAIS names, or else the child's latest with
    this orphan court; only among the caller's records."""
    from app.access.scope import record_filter

    query = select(ChildProtectionDecision).where(
        ChildProtectionDecision.kind == rules.SEPARATION,
        ChildProtectionDecision.instance_id.is_not(None),
        ChildProtectionDecision.orphan_court_code == decision.orphan_court_code,
        record_filter(viewer, ChildProtectionDecision))
    if decision.separation_decision_id:
        query = query.where(
            ChildProtectionDecision.npais_decision_id == decision.separation_decision_id)
    person_id = session.scalar(select(Person.id).where(
        Person.personal_code == decision.personal_code))
    if person_id is None:
        raise UnknownCase(decision.decision_id)
    found = session.scalars(query.where(ChildProtectionDecision.person_id == person_id)
                            .order_by(ChildProtectionDecision.decision_date.desc(),
                                      ChildProtectionDecision.id.desc())).first()
    if found is None:
        raise UnknownCase(decision.decision_id)
    return found


def _new_row(decision: Decision, actor: Actor, person_id: int | None) -> ChildProtectionDecision:
    return ChildProtectionDecision(
        npais_decision_id=decision.decision_id, kind=decision.kind,
        decision_date=decision.decision_date, reason=decision.reason,
        planned_placement_date=decision.placement_date, received_by=actor.username,
        person_id=person_id, record_kind=Scope.for_process(PROCESS_KEY).record_kind,
        municipality_code=decision.municipality_code, institution_code=decision.institution_code,
        orphan_court_code=decision.orphan_court_code, confidential=False)


def _expect_organisation(session: Session, fields: Messages, name: str, code: str,
                         kinds: tuple[str, ...], lang: str) -> None:
    found = session.get(Organisation, code)
    if found is None or not found.active or found.kind not in kinds:
        fields[name] = [_say(lang, f"Nav tādas organizācijas ({code}) vai tā nav šāda veida.",
                             f"No organisation {code} of this kind is known.")]


def _say(lang: str, lv: str, en: str) -> str:
    return en if lang == "en" else lv
