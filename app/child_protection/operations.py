"""P10's internal service-task operations: registering the child the decision is about, and
starting and ending the child's P9 placement (I2). Each is safe to run again: a retried job
finds the child, the running placement or the ended one instead of doing it twice."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from adapters.registry import AdapterError, CallContext, operation
from app.access.scope import viewer_of
from app.cases.service import register_person
from app.db import transaction
from app.db.models import ChildProtectionDecision, Organisation, Person, ProcessInstance
from app.domain import child_protection as rules
from app.domain.calendar import parse_date, today_in_latvia
from app.engine.errors import EngineError
from app.engine.runtime import Actor
from app.internal_operations import instance_transaction, job_services

from .service import P9_KEY, SYSTEM_ACTOR, separation_of

SYSTEM = Actor(SYSTEM_ACTOR, frozenset())


class Refused(ValueError):
    """The data cannot be applied; the job becomes an incident that says why."""


@operation("child_protection.register_child")
def register_child(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Find or register the child from the population register's entry (``register``, the
    result of ``pmlp.get_person``), or from the decision's names when the register does not
    know the code; the case and its decision then belong to the child."""
    name = "child_protection.register_child"
    register = params.get("register")
    if not isinstance(register, dict):
        raise AdapterError(f"{name}: 'register' must be the population register's answer",
                           retryable=False)
    found = bool(register.get("found"))
    with instance_transaction(name, call, Refused, ValueError) as (session, instance):
        code = str(params.get("personal_code") or "")
        person = session.scalars(select(Person).where(Person.personal_code == code)).first()
        if person is None:
            registrar = viewer_of(session, SYSTEM_ACTOR, ["caseworker"], [],
                                  instance.orphan_court_code)
            given = str((register.get("given_name") if found else None)
                        or params.get("given_name") or "").strip()
            family = str((register.get("family_name") if found else None)
                         or params.get("family_name") or "").strip()
            if not given or not family:
                raise Refused("neither the register nor the decision names the child")
            born = register.get("birth_date") if found else None
            person = register_person(
                session, registrar, given_name=given, family_name=family, personal_code=code,
                birth_date=parse_date(str(born)) if born else None,
                sex=register.get("sex") if found else None,
                municipality_code=instance.municipality_code,
                institution_code=instance.institution_code,
                orphan_court_code=instance.orphan_court_code,
                address=str(register.get("declared_address") or "") if found else "")
        instance.person_id = person.id
        decision = separation_of(session, instance.id)
        if decision is not None:
            decision.person_id, decision.register_found = person.id, found
        return {"person_id": person.id, "register_found": found}


@operation("child_protection.start_placement")
def start_placement(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Start the control of the child's stay (P9) at the institution from the decision or the
    social worker, and record it on the decision."""
    name = "child_protection.start_placement"
    services = job_services(name, call)
    institution = str(params.get("institution_code") or "")
    try:
        placed = parse_date(str(params.get("placement_date") or ""))
    except ValueError:
        raise AdapterError(f"{name}: 'placement_date' must be a date", retryable=False) from None
    with services.sessions() as session:
        instance = session.get(ProcessInstance, call.instance_id)
        decision = separation_of(session, int(call.instance_id))  # type: ignore[arg-type]
        if instance is None or decision is None or instance.person_id is None:
            raise AdapterError(f"{name}: the case has no decision or no child", retryable=False)
        kind = session.scalar(select(Organisation.kind).where(Organisation.code == institution))
        if kind not in ("vsac", "service_provider"):
            raise AdapterError(f"{name}: no care institution {institution!r}", retryable=False)
        problem = rules.placement_problem(decision.decision_date, placed, today_in_latvia())
        if problem:
            raise AdapterError(f"{name}: {problem[1]}", retryable=False)
        person_id, court = instance.person_id, str(instance.orphan_court_code or "")
        reference = decision.npais_decision_id
    try:
        from app.out_of_family_care.service import start_placement as start_p9
    except ImportError:
        raise AdapterError(f"{name}: P9 (out-of-family care) is not installed",
                           retryable=False) from None
    try:
        p9_id = start_p9(services, person_id=person_id, placement_date=placed,
                         institution_code=institution, orphan_court_code=court, actor=SYSTEM,
                         source="p10", decision_reference=reference)
    except (EngineError, ValueError) as err:  # P9's PlacementError says why, in Latvian
        raise AdapterError(f"{name}: P9 did not start: {err}", retryable=False) from None
    with instance_transaction(name, call) as (session, instance):
        decision = separation_of(session, instance.id)
        assert decision is not None
        decision.placement_instance_id, decision.placed_on = p9_id, placed
        decision.placed_institution_code = institution
        if instance.institution_code != institution:
            # The institution that took the child is the one that works on the case now.
            instance.institution_code = decision.institution_code = institution
    return {"p9_instance_id": p9_id, "placement_date": placed.isoformat(),
            "institution_code": institution}


@operation("child_protection.end_placement")
def end_placement(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """The court returned the child: end the P9 placement, if there is one still running."""
    name = "child_protection.end_placement"
    services = job_services(name, call)
    returned = params.get("return_decision")
    if not isinstance(returned, dict) or not returned.get("decision_date"):
        raise AdapterError(f"{name}: 'return_decision' must carry the decision's date",
                           retryable=False)
    end_date = parse_date(str(returned["decision_date"]))
    with services.sessions() as session:
        decision = separation_of(session, int(call.instance_id))  # type: ignore[arg-type]
        if decision is None:
            raise AdapterError(f"{name}: the case has no separation decision", retryable=False)
        p9 = _running_placement(session, decision)
        p9_id = p9.id if p9 is not None else decision.placement_instance_id
        running = p9 is not None
    ended = False
    if running and p9_id is not None:
        try:
            from app.out_of_family_care.service import end_placement as end_p9
        except ImportError:
            raise AdapterError(f"{name}: P9 (out-of-family care) is not installed",
                               retryable=False) from None
        reason = (f"Bāriņtiesa nolēma atgriezt bērnu ģimenē "
                  f"(lēmums {returned.get('npais_decision_id') or ''}).")
        try:
            end_p9(services, instance_id=p9_id, end_date=end_date, reason=reason, actor=SYSTEM)
        except EngineError as err:
            raise AdapterError(f"{name}: P9 did not end: {err}", retryable=False) from None
        except ValueError as err:
            # P9 may be delivering a report just now and take the end a moment later.
            raise AdapterError(f"{name}: P9 did not end: {err}", retryable=True) from None
        ended = True
    with transaction(services.sessions) as session:
        row = session.get(ChildProtectionDecision, decision.id)
        assert row is not None
        if p9_id is not None and row.placement_ended_on is None:
            row.placement_ended_on = end_date
    return {"p9_instance_id": p9_id, "ended": ended, "end_date": end_date.isoformat()}


def _running_placement(session: Any, decision: ChildProtectionDecision) -> ProcessInstance | None:
    # The P9 instance this case started; or, if the job that started it did not get to record
    # it, the child's running P9 instance.
    if decision.placement_instance_id is not None:
        found = session.get(ProcessInstance, decision.placement_instance_id)
        return found if found is not None and found.status == "active" else None
    if decision.person_id is None:
        return None
    result: ProcessInstance | None = session.scalars(select(ProcessInstance).where(
        ProcessInstance.process_key == P9_KEY, ProcessInstance.person_id == decision.person_id,
        ProcessInstance.status == "active").order_by(ProcessInstance.id.desc())).first()
    return result
