"""Stays in group homes, read and written for P5's operations, pages and panels. No Flask here."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.db.models import GroupHomeStay, Person, ProcessInstance
from app.domain import group_homes as rules
from app.domain.calendar import parse_date
from app.monthly_reports import csv_text, euro_text, start_per_municipality


class StayError(ValueError):
    """The stay data does not allow the step; the message says why."""


def _periods(stays: list[GroupHomeStay]) -> list[rules.StayPeriod]:
    return [rules.StayPeriod(str(s.person_id), s.group_home_code, s.start_date, s.end_date)
            for s in stays]


def stays_in_home(session: Session, home_code: str) -> list[GroupHomeStay]:
    return list(session.scalars(select(GroupHomeStay).where(
        GroupHomeStay.group_home_code == home_code)))


def current_stay(session: Session, instance_id: int) -> GroupHomeStay | None:
    return session.scalars(select(GroupHomeStay).where(
        GroupHomeStay.instance_id == instance_id, GroupHomeStay.end_reason.is_(None))
        .order_by(GroupHomeStay.id.desc())).first()


def _scope_of(instance: ProcessInstance, municipality_code: str | None = None) -> dict[str, Any]:
    return {"person_id": instance.person_id, "record_kind": instance.record_kind,
            "municipality_code": municipality_code or instance.municipality_code,
            "institution_code": instance.institution_code,
            "orphan_court_code": instance.orphan_court_code,
            "confidential": instance.confidential}


def place(session: Session, instance: ProcessInstance, home_code: str, start: date,
          created_by: str) -> GroupHomeStay:
    """Open a stay, within the home's capacity and the instance's municipality (rules raise
    ``PlacementRefused``). The caller commits."""
    if instance.municipality_code is None:
        raise StayError("the case has no municipality")
    existing = current_stay(session, instance.id)
    if existing is not None:  # a retried job, or the same placement again
        return existing
    home = rules.group_home(home_code)
    rules.check_placement(home, _periods(stays_in_home(session, home_code)), start,
                          instance.municipality_code)
    stay = GroupHomeStay(instance_id=instance.id, group_home_code=home_code, start_date=start,
                         created_by=created_by, **_scope_of(instance))
    session.add(stay)
    session.flush()
    return stay


def check_transfer(session: Session, instance: ProcessInstance, target_code: str,
                   on: date) -> rules.GroupHome:
    stay = current_stay(session, instance.id)
    if stay is None:
        raise StayError("the person has no current stay to transfer")
    if on <= stay.start_date:
        raise rules.PlacementRefused("Pārvietošanas datumam jābūt pēc uzturēšanās sākuma")
    from_code = rules.group_home(stay.group_home_code).municipality_code
    target = rules.group_home(target_code)
    rules.check_transfer(target, _periods(stays_in_home(session, target_code)), on, from_code)
    return target


def transfer(session: Session, instance: ProcessInstance, target_code: str, on: date,
             created_by: str) -> tuple[GroupHomeStay, GroupHomeStay]:
    """End the current stay the day before ``on`` and open the stay in the receiving home; both
    rows stay. The person's municipality becomes the receiving one. The caller commits."""
    stay = current_stay(session, instance.id)
    if stay is None:
        earlier = session.scalars(select(GroupHomeStay).where(
            GroupHomeStay.instance_id == instance.id, GroupHomeStay.group_home_code == target_code,
            GroupHomeStay.start_date == on)).first()
        if earlier is not None:  # a retried job: already done
            previous = session.scalars(select(GroupHomeStay).where(
                GroupHomeStay.transferred_to_id == earlier.id)).one()
            return previous, earlier
        raise StayError("the person has no current stay to transfer")
    if stay.group_home_code == target_code:
        raise StayError("the person already lives in that group home")
    target = rules.group_home(target_code)
    new = GroupHomeStay(instance_id=instance.id, group_home_code=target_code, start_date=on,
                        created_by=created_by, **_scope_of(instance, target.municipality_code))
    session.add(new)
    session.flush()
    stay.end_date, stay.end_reason, stay.transferred_to_id = on - timedelta(days=1), \
        "TRANSFERRED", new.id
    person = session.get(Person, instance.person_id) if instance.person_id else None
    if person is not None:
        person.municipality_code = target.municipality_code
    return stay, new


def end_stay(session: Session, instance: ProcessInstance, last_day: date) -> GroupHomeStay:
    stay = current_stay(session, instance.id)
    if stay is None:
        ended = session.scalars(select(GroupHomeStay).where(
            GroupHomeStay.instance_id == instance.id, GroupHomeStay.end_reason == "ENDED")).first()
        if ended is not None:
            return ended
        raise StayError("the person has no current stay")
    if last_day < stay.start_date:
        raise StayError("the stay cannot end before it started")
    stay.end_date, stay.end_reason = last_day, "ENDED"
    return stay


def move_case(session: Session, instance_id: int, municipality_code: str) -> None:
    """Hand the case (the instance's scope) to another municipality.

    The engine offers no call to change an instance's scope; it reads the scope columns afresh at
    every step, so a change written here before the step that creates the next task gives that
    task (and everything after) to the new municipality. Written with a plain UPDATE so that
    the instance's version (the engine's optimistic lock) is left alone.
    """
    session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                    .values(municipality_code=municipality_code))


def report_for(session: Session, municipality_code: str, period: str) -> dict[str, Any]:
    """The monthly report of a municipality's group homes, from the stays (rules.monthly_report)."""
    first, last = rules.period_bounds(period)
    homes = [home.code for home in rules.homes_of(municipality_code)]
    stays = list(session.scalars(select(GroupHomeStay).where(
        GroupHomeStay.group_home_code.in_(homes), GroupHomeStay.start_date <= last,
        or_(GroupHomeStay.end_date.is_(None), GroupHomeStay.end_date >= first))))
    person_ids = {s.person_id for s in stays if s.person_id is not None}
    persons = {str(p.id): {"name": f"{p.given_name} {p.family_name}",
                           "personal_code": p.personal_code or ""}
               for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))}
    return rules.monthly_report(municipality_code, period, _periods(stays), persons)


def report_csv(report: dict[str, Any]) -> str:
    """The report's rows as CSV (``app.monthly_reports.csv_text``), with a totals line."""
    return csv_text(rules.CSV_COLUMNS, report.get("rows", []),
                    ["KOPĀ", "", "", "", "", "", report.get("days", 0), "",
                     euro_text(report.get("cost_cents", 0)),
                     euro_text(report.get("state_share_cents", 0))])


def stay_history(session: Session, instance_ids: list[int]) -> list[GroupHomeStay]:
    if not instance_ids:
        return []
    return list(session.scalars(select(GroupHomeStay).where(
        GroupHomeStay.instance_id.in_(instance_ids)).order_by(GroupHomeStay.start_date,
                                                               GroupHomeStay.id)))


def parse_day(value: Any, what: str) -> date:
    try:
        return parse_date(str(value))
    except ValueError:
        raise StayError(f"{what}: not a date") from None


PLACEMENT_PROCESS = "p05_group_homes"
REPORT_PROCESS = "p05_group_home_report"


def report_business_key(municipality_code: str, period: str) -> str:
    return f"P5-PARSKATS-{municipality_code}-{period}"


def start_monthly_reports(engine: Any, sessions: Any, period: str,
                          municipality_codes: list[str] | None = None) -> list[int]:
    """Start the month's report (p05_group_home_report) for every municipality with group homes
    in the register, once per municipality and month; returns the new instances' ids."""
    rules.period_bounds(period)  # a malformed period fails here, not in the engine
    codes = municipality_codes or sorted({h.municipality_code for h in rules.register().values()})
    return start_per_municipality(engine, sessions, REPORT_PROCESS, period, codes,
                                  report_business_key)
