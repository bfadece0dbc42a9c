"""P5's internal service-task operations: they write stays in their own transaction inside the
job runner, so a failure is a retry or an incident like any adapter call."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from adapters.registry import AdapterError, CallContext, operation
from app.db.models import ProcessInstance
from app.domain import group_homes as rules
from app.internal_operations import instance_transaction

from . import service


def _with_instance(name: str, call: CallContext,
                   work: Callable[[Session, ProcessInstance], dict[str, Any]]) -> dict[str, Any]:
    with instance_transaction(name, call, service.StayError) as (session, instance):
        return work(session, instance)


@operation("group_homes.place")
def place(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    def work(session: Session, instance: ProcessInstance) -> dict[str, Any]:
        start = service.parse_day(params.get("start_date"), "start_date")
        try:
            stay = service.place(session, instance, str(params.get("group_home_code")), start,
                                 "system")
        except rules.PlacementRefused as refused:
            return {"placed": False, "reason": str(refused), "stay_id": None,
                    "group_home_name": "", "municipality_code": instance.municipality_code}
        home = rules.group_home(stay.group_home_code)
        return {"placed": True, "reason": "", "stay_id": stay.id, "group_home_name": home.name,
                "municipality_code": home.municipality_code}
    return _with_instance("group_homes.place", call, work)


@operation("group_homes.check_transfer")
def check_transfer(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    def work(session: Session, instance: ProcessInstance) -> dict[str, Any]:
        on = service.parse_day(params.get("transfer_date"), "transfer_date")
        stay = service.current_stay(session, instance.id)
        from_code = rules.group_home(stay.group_home_code).municipality_code if stay else None
        try:
            target = service.check_transfer(session, instance, str(params.get(
                "target_group_home_code")), on)
        except rules.PlacementRefused as refused:
            return {"possible": False, "reason": str(refused), "from_municipality_code": from_code,
                    "to_municipality_code": None, "to_group_home_name": ""}
        return {"possible": True, "reason": "", "from_municipality_code": from_code,
                "to_municipality_code": target.municipality_code,
                "to_group_home_name": target.name}
    return _with_instance("group_homes.check_transfer", call, work)


@operation("group_homes.move_case")
def move_case(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    code = params.get("municipality_code")
    if not code:
        raise AdapterError("group_homes.move_case needs municipality_code", retryable=False)

    def work(session: Session, instance: ProcessInstance) -> dict[str, Any]:
        service.move_case(session, instance.id, str(code))
        return {"municipality_code": code}
    return _with_instance("group_homes.move_case", call, work)


@operation("group_homes.transfer_stay")
def transfer_stay(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    def work(session: Session, instance: ProcessInstance) -> dict[str, Any]:
        on = service.parse_day(params.get("transfer_date"), "transfer_date")
        ended, new = service.transfer(session, instance, str(params.get(
            "target_group_home_code")), on, "system")
        return {"stay_id": new.id, "ended_stay_id": ended.id}
    return _with_instance("group_homes.transfer_stay", call, work)


@operation("group_homes.end_stay")
def end_stay(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    def work(session: Session, instance: ProcessInstance) -> dict[str, Any]:
        stay = service.end_stay(session, instance,
                                service.parse_day(params.get("end_date"), "end_date"))
        return {"stay_id": stay.id, "end_date": stay.end_date.isoformat() if stay.end_date else None}
    return _with_instance("group_homes.end_stay", call, work)


@operation("group_homes.compile_report")
def compile_report(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    code, period = params.get("municipality_code"), str(params.get("period") or "")
    if not code:
        raise AdapterError("group_homes.compile_report needs municipality_code", retryable=False)
    try:
        rules.period_bounds(period)
    except ValueError:
        raise AdapterError(f"group_homes.compile_report: period {period!r} is not YYYY-MM",
                           retryable=False) from None
    return _with_instance("group_homes.compile_report", call,
                          lambda session, _instance: service.report_for(session, str(code), period))
