"""P11's service-task operations. Each runs in the job runner, takes ``match_id``, and is safe to
run again: a retried job finds what its first run stored instead of doing it twice."""
from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from sqlalchemy import select

from adapters.registry import AdapterError, CallContext, operation
from app.audit.chain import append_instance_event
from app.db.models import (
    Adopter,
    AdoptionChild,
    AdoptionMatch,
    AdoptionProposal,
    OutboxMessage,
    Person,
    ProcessInstance,
)
from app.domain import adoption as rules
from app.domain.calendar import end_of_day, parse_date, today_in_latvia
from app.internal_operations import instance_transaction, job_services

from . import service
from .service import AdoptionError

OUTCOMES = ("ACCEPTED", "REFUSED", "NO_ANSWER", "NOT_COMPLETED")


def _match(session: Any, instance: Any, params: dict[str, Any], name: str) -> AdoptionMatch:
    try:
        match_id = int(params.get("match_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise AdapterError(f"{name}: 'match_id' must be a number", retryable=False) from None
    found = session.get(AdoptionMatch, match_id)
    if found is None or found.instance_id not in (None, instance.id):
        raise AdapterError(f"{name}: match {match_id} is not this instance's", retryable=False)
    found.instance_id = instance.id
    return found


def _current(session: Any, found: AdoptionMatch) -> AdoptionProposal | None:
    return session.scalars(select(AdoptionProposal).where(
        AdoptionProposal.match_id == found.id).order_by(AdoptionProposal.number.desc())).first()


def _day(params: dict[str, Any], key: str) -> date:
    value = params.get(key)
    return parse_date(str(value)) if value else today_in_latvia()


@operation("adoption.check_health")
def check_health(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Validate each child's health data against VDEĀVK (the disability decision in force
    today) and record the answer on the child card."""
    name = "adoption.check_health"
    services = job_services(name, call)
    from adapters.vdeavk import client as vdeavk

    with services.sessions() as session:
        instance = session.get(ProcessInstance, call.instance_id)
        found = _match(session, instance, params, name)
        codes = [(card.id, session.scalar(select(Person.personal_code).where(
            Person.id == card.person_id))) for card in (
            session.get(AdoptionChild, child_id) for child_id in found.child_ids)
            if card is not None]
    today = today_in_latvia()
    answers = {}
    for number, (child_id, code) in enumerate(codes, start=1):
        if not code:
            continue  # a child without a personal code cannot be checked; the card says so
        # one call per child, each under its own key (VDEĀVK answers a key once)
        per_child = dataclasses.replace(call, idempotency_key=f"{call.idempotency_key}-c{number}")
        answers[child_id] = vdeavk.get_disability_status(per_child, code, today)
    with instance_transaction(name, call) as (session, instance):
        checked = 0
        for child_id, decision in answers.items():
            card = session.get(AdoptionChild, child_id)
            if card is None:
                continue
            card.disability_checked_on = today
            card.disability_found = decision is not None
            card.disability_severity = decision.severity if decision else None
            card.disability_opinion_number = decision.opinion_number if decision else None
            card.special_care_opinion = decision.special_care_opinion if decision else False
            conditions = set(card.health_conditions or ())
            if decision is not None:
                conditions.add("disability")
                if decision.special_care_opinion:
                    conditions.add("special_care")
            card.health_conditions = sorted(conditions)
            checked += 1
    return {"checked": checked, "on": today.isoformat()}


@operation("adoption.next_candidate")
def next_candidate(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Compute the ranked list today (adopters asked before in this match left out) and name
    the first adopter, or none."""
    name = "adoption.next_candidate"
    with instance_transaction(name, call, AdoptionError) as (session, instance):
        found = _match(session, instance, params, name)
        result = service.compute(session, found, today_in_latvia())
        first = result.first
        found.status = "searching" if first else found.status
        return {"adopter_id": first.adopter_id if first else None,
                "eligible": len(result.eligible), "excluded": len(result.excluded)}


@operation("adoption.record_proposal")
def record_proposal(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """The specialist proposed the children to the adopter: the proposal row with its answer
    deadline, and the letter's data (the children as the letter names them)."""
    name = "adoption.record_proposal"
    with instance_transaction(name, call, AdoptionError, ValueError) as (session, instance):
        found = _match(session, instance, params, name)
        existing = session.scalars(select(AdoptionProposal).where(
            AdoptionProposal.idempotency_key == call.idempotency_key)).first()
        proposed_on = _day(params, "proposed_on")
        adopter_id = int(params.get("adopter_id") or 0)
        chosen = session.get(Adopter, adopter_id)
        if chosen is None:
            raise AdoptionError(f"no adopter {adopter_id}")
        if existing is None:
            number = len(service.proposals_of(session, found.id)) + 1
            existing = AdoptionProposal(
                match_id=found.id, adopter_id=adopter_id, number=number, proposed_on=proposed_on,
                answer_due=rules.answer_due(proposed_on), idempotency_key=call.idempotency_key,
                **service.scope_columns(found.person_id))
            session.add(existing)
            session.flush()
        found.status, found.adopter_id = "proposed", adopter_id
        cards = [session.get(AdoptionChild, child_id) for child_id in found.child_ids]
        persons = service.persons_of(session, [c for c in cards if c is not None])
        letter = {
            "case_number": instance.business_key or "", "proposed_on": proposed_on.isoformat(),
            "answer_due": existing.answer_due.isoformat(), "number": existing.number,
            "adopter_name": service.adopter_name(chosen), "address": chosen.address,
            "children": [{"given_name": persons[c.person_id].given_name if c.person_id in persons
                          else "", "birth_date": c.birth_date.isoformat(), "sex": c.sex,
                          "health": ", ".join(c.health_conditions or ()),
                          "special_needs": c.special_needs} for c in cards if c is not None]}
        return {"proposal_id": existing.id, "number": existing.number,
                "answer_due": existing.answer_due.isoformat(),
                "answer_deadline": end_of_day(existing.answer_due).isoformat(),
                "letter": letter}


@operation("adoption.notify_adopter")
def notify_adopter(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Queue an e-mail to the adopter's own address through the outbox (delivered and retried
    by the outbox sender). It says only that the register has a proposal, the case number and
    the answer deadline: no child's name, age or health (e-mail leaves the product); the
    proposal letter with the child's description is handed over at the meeting. An adopter
    without an e-mail address is told by the letter alone (``queued`` 0)."""
    name = "adoption.notify_adopter"
    with instance_transaction(name, call, AdoptionError) as (session, instance):
        found = _match(session, instance, params, name)
        before = session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.idempotency_key == call.idempotency_key))
        if before is not None:
            return {"queued": 1, "message_ids": [before]}
        proposal = _current(session, found)
        chosen = session.get(Adopter, found.adopter_id) if found.adopter_id else None
        if proposal is None or chosen is None:
            raise AdoptionError("no proposal to notify of")
        if not chosen.email:
            return {"queued": 0, "message_ids": []}
        case = instance.business_key or f"P11-{instance.id}"
        text = (f"Adopcijas reģistrs Jums ir sagatavojis piedāvājumu (lieta {case}). Lūdzam "
                f"sazināties ar Adopcijas reģistra nodaļu un sniegt atbildi līdz "
                f"{proposal.answer_due.strftime('%d.%m.%Y')}.")
        row = OutboxMessage(
            instance_id=instance.id, idempotency_key=call.idempotency_key,
            delivery_key=f"{call.idempotency_key}-m1"[:128], case_reference=case[:120],
            topic="ADOPTION_PROPOSAL", subject=f"Adopcijas reģistra piedāvājums ({case})",
            text=text, due_date=proposal.answer_due, recipient_role="adopter",
            recipient_code=f"ADOPTER-{chosen.id}", recipient_name="Adoptētājs",
            channel="email", address=chosen.email, status="queued", attempts=0,
            max_attempts=job_services(name, call).settings.outbox_max_attempts,
            **service.scope_columns(found.person_id))
        session.add(row)
        session.flush()
        append_instance_event(session, instance, "outbox_queued", "outbox", None, {
            "message_id": row.id, "channel": row.channel, "recipient_role": row.recipient_role,
            "recipient_code": row.recipient_code, "topic": row.topic})
        return {"queued": 1, "message_ids": [row.id]}


@operation("adoption.record_outcome")
def record_outcome(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """What came of the current proposal: the adopter's answer (ACCEPTED, REFUSED, NO_ANSWER
    when the deadline passed), the getting-to-know period's dates, the court's decision, or
    NOT_COMPLETED when getting to know or the court did not lead to the adoption."""
    name = "adoption.record_outcome"
    outcome = str(params.get("outcome") or "")
    if outcome not in OUTCOMES:
        raise AdapterError(f"{name}: 'outcome' must be one of {', '.join(OUTCOMES)}",
                           retryable=False)
    with instance_transaction(name, call, AdoptionError, ValueError) as (session, instance):
        found = _match(session, instance, params, name)
        proposal = _current(session, found)
        if proposal is None:
            raise AdoptionError("the match has no proposal")
        proposal.answer = outcome
        proposal.answered_on = _day(params, "on")
        proposal.reason = str(params.get("reason") or proposal.reason or "")[:4000]
        for key in ("meeting_from", "meeting_until", "court_decision_on"):
            if params.get(key):
                setattr(proposal, key, parse_date(str(params[key])))
        if params.get("court_reference"):
            proposal.court_reference = str(params["court_reference"])[:80]
        if outcome == "ACCEPTED":
            found.status = str(params.get("next_status") or "getting_to_know")[:20]
        else:
            found.status, found.adopter_id = "searching", None
        return {"proposal_id": proposal.id, "outcome": outcome}


@operation("adoption.finalise")
def finalise(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """The court's adoption decision is final: archive the match and everything in it."""
    name = "adoption.finalise"
    with instance_transaction(name, call, AdoptionError, ValueError) as (session, instance):
        found = _match(session, instance, params, name)
        final_on = _day(params, "final_on")
        if found.final_on is None:
            service.archive_adoption(session, found, final_on)
        return {"final_on": found.final_on.isoformat() if found.final_on else None,
                "retention_until": found.retention_until.isoformat()
                if found.retention_until else None}


@operation("adoption.close_unmatched")
def close_unmatched(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    name = "adoption.close_unmatched"
    with instance_transaction(name, call, AdoptionError) as (session, instance):
        found = _match(session, instance, params, name)
        if found.ended_on is None:
            service.close_without_adopter(session, found, today_in_latvia())
        return {"status": found.status}
