"""The named queries reports count from: one SQLAlchemy Core select per source.

A source is built with a ``restrict`` callback from the engine. Every branch of the select calls
it with the table whose scope columns decide who may see the row and with the column that dates
the fact (and, for something that lasts, the column that ends it); the callback returns the
conditions (``app.access.scope.record_filter``, the territory, the period), so access applies in
SQL on the indexed base table, never to rows in Python.

Every source's select names these columns, which the engine and the drill-down rely on:

- ``instance_id``, ``case_number``, ``person_id``: the record behind a figure;
- ``fact_date``: the day the fact is counted on (for a month's figure, ``YYYY-MM``);
- ``month``: the fact's month (``YYYY-MM``), the time axis of reports "over time";

and its own dimension and measure columns, listed in ``Source.columns``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import reduce
from typing import Any, Literal, Protocol

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from app.db.models import (
    AdoptionChild,
    AdoptionMatch,
    AdoptionProposal,
    ChildPlacement,
    ChildProtectionDecision,
    CoPaymentMonth,
    GroupHomeStay,
    HumanTask,
    NskCompensation,
    NskReport,
    Organisation,
    PeriodicReportDelivery,
    ProcessInstance,
    ReportGroupHome,
    ReportNeedsLevel,
    ReportPlannedService,
    ServiceRecord,
    SupportPlanVersion,
)
from app.domain.group_homes import STATE_COFINANCING_SHARE_PERCENT
from app.domain.service_types import ADULT_SERVICE_TYPES

from .sql import day_of, days_between, greatest, least, month_of

# How a source dates its facts: a DATE column, a UTC timestamp, or a ``YYYY-MM`` text.
DateKind = Literal["date", "timestamp", "month"]


class Restrict(Protocol):
    def __call__(self, entity: Any, starts: Any, kind: DateKind,
                 ends: Any = None) -> list[ColumnElement[bool]]:
        """Conditions on ``entity``'s rows: visible to the viewer, in the territory, and dated
        in the period (with ``ends``: lasting into it)."""


@dataclass(frozen=True)
class Context:
    """What a source may need besides the restriction: the period's days (``end`` is the first
    day after it) and the moment "overdue" and "so far" are judged at."""

    now: datetime
    start: date
    end: date

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def last_day(self) -> date:
        """The period's last day, or today while the period is still running."""
        return min(self.end - timedelta(days=1), self.today)


Build = Callable[[Restrict, Context], Select[Any]]


@dataclass(frozen=True)
class Source:
    name: str
    build: Build
    columns: frozenset[str]  # dimension and measure columns besides the common ones
    derived: bool  # reads tables of app.reports.facts (refreshed before it runs)


SOURCES: dict[str, Source] = {}


def source(name: str, columns: str, *, derived: bool = False) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        SOURCES[name] = Source(name, build, frozenset(columns.split()), derived)
        return build
    return register


def _region_of(municipality_code: Any) -> tuple[Any, ColumnElement[bool]]:
    """The organisation row of a municipality, to read its planning region from."""
    municipality = aliased(Organisation)
    return municipality, municipality.code == municipality_code


def _case_number(instance_id: Any) -> Any:
    """The case number (business key) of an instance, for the drill-down list. An alias of its
    own, so that over ``process_instance`` itself the lookup is still one row per instance (the
    bare table would be read as the subquery's own, every instance's key at once)."""
    instance = aliased(ProcessInstance)
    return (select(instance.business_key).where(instance.id == instance_id)
            .scalar_subquery())


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 where the condition holds, else 0: a measure that sums it counts the rows."""
    return case((condition, literal(1)), else_=literal(0))


# --- assessments and IAPs -------------------------------------------------------------------

@source("assessment_tasks",
        "region municipality expert process step task_status days_open")
def assessment_tasks(restrict: Restrict, context: Context) -> Select[Any]:
    """Human tasks of the assessment processes (P1, P2), one row each, with their state judged
    against the task's own deadline (``due_at``, set by the process from its rule)."""
    municipality, on = _region_of(HumanTask.municipality_code)
    now = context.now
    status = case(
        (and_(HumanTask.status == "completed",
              (HumanTask.due_at.is_(None)) | (HumanTask.completed_at <= HumanTask.due_at)),
         literal("done")),
        (HumanTask.status == "completed", literal("done_late")),
        (HumanTask.due_at < now, literal("overdue")),
        else_=literal("in_progress"))
    return (
        select(HumanTask.instance_id.label("instance_id"),
               HumanTask.business_key.label("case_number"),
               HumanTask.person_id.label("person_id"),
               HumanTask.created_at.label("fact_date"),
               month_of(HumanTask.created_at).label("month"),
               municipality.region_code.label("region"),
               HumanTask.municipality_code.label("municipality"),
               func.coalesce(HumanTask.completed_by, HumanTask.assignee, "").label("expert"),
               HumanTask.process_key.label("process"),
               HumanTask.element_id.label("step"),
               status.label("task_status"),
               days_between(HumanTask.created_at,
                            func.coalesce(HumanTask.completed_at, now)).label("days_open"))
        .select_from(HumanTask).outerjoin(municipality, on)
        .where(HumanTask.record_kind == "assessment", HumanTask.status != "cancelled",
               *restrict(HumanTask, HumanTask.created_at, "timestamp")))


# --- money --------------------------------------------------------------------------------

@source("co_payment_months",
        "region municipality institution co_payment_cents allowance_cents income_cents")
def co_payment_months(restrict: Restrict, context: Context) -> Select[Any]:
    """P8: each resident's month as last calculated (a SAIS correction adds a later version of
    the month; only the latest counts)."""
    municipality, on = _region_of(CoPaymentMonth.municipality_code)
    newer = aliased(CoPaymentMonth)
    latest = ~select(newer.id).where(newer.instance_id == CoPaymentMonth.instance_id,
                                     newer.period == CoPaymentMonth.period,
                                     newer.version > CoPaymentMonth.version).exists()
    return (
        select(CoPaymentMonth.instance_id.label("instance_id"),
               _case_number(CoPaymentMonth.instance_id).label("case_number"),
               CoPaymentMonth.person_id.label("person_id"),
               CoPaymentMonth.period.label("fact_date"),
               CoPaymentMonth.period.label("month"),
               municipality.region_code.label("region"),
               CoPaymentMonth.municipality_code.label("municipality"),
               CoPaymentMonth.institution_code.label("institution"),
               CoPaymentMonth.co_payment_cents.label("co_payment_cents"),
               CoPaymentMonth.allowance_cents.label("allowance_cents"),
               CoPaymentMonth.total_cents.label("income_cents"))
        .select_from(CoPaymentMonth).outerjoin(municipality, on)
        .where(latest, *restrict(CoPaymentMonth, CoPaymentMonth.period, "month")))


# --- DI progress ----------------------------------------------------------------------------

P1 = "p01_adult_needs_assessment"
# Processes that only run for a person living in a state long-term care institution: the P1
# application comes from one, P6 prepares its residents, P8 is their co-payment.
INSTITUTION_PROCESSES = (P1, "p06_community_preparation", "p08_co_payment")


def _stage(stage: str, entity: Any, instance_id: Any, day: Any, restrict: Restrict,
           kind: DateKind, *where: ColumnElement[bool]) -> Select[Any]:
    municipality, on = _region_of(entity.municipality_code)
    case_number = (literal(None, String) if instance_id is None
                   else _case_number(instance_id))
    instance_id = literal(None, Integer) if instance_id is None else instance_id
    return (select(instance_id.label("instance_id"), case_number.label("case_number"),
                   entity.person_id.label("person_id"), day_of(day).label("fact_date"),
                   month_of(day).label("month"), municipality.region_code.label("region"),
                   entity.municipality_code.label("municipality"), literal(stage).label("stage"))
            .select_from(entity).outerjoin(municipality, on)
            .where(entity.person_id.is_not(None), *where, *restrict(entity, day, kind)))


@source("di_stages", "region municipality stage")
def di_stages(restrict: Restrict, context: Context) -> Select[Any]:
    """The steps of a person's way out of the institution, one row per step reached:
    ``in_institution`` (a case that only runs for an institution's resident started),
    ``assessed`` (the P1 interview completed), ``iap`` (the first IAP version stored) and
    ``community`` (an accepted community-service record or a group-home stay began)."""
    return union_all(
        _stage("in_institution", ProcessInstance, ProcessInstance.id, ProcessInstance.created_at,
               restrict, "timestamp", ProcessInstance.process_key.in_(INSTITUTION_PROCESSES)),
        _stage("assessed", HumanTask, HumanTask.instance_id, HumanTask.completed_at, restrict,
               "timestamp", HumanTask.process_key == P1, HumanTask.element_id == "interview",
               HumanTask.status == "completed"),
        _stage("iap", SupportPlanVersion, SupportPlanVersion.instance_id,
               SupportPlanVersion.created_at, restrict, "timestamp",
               SupportPlanVersion.version == 1),
        # A service record belongs to the municipality's monthly submission, not to a case of
        # the person's: the drill-down links it through the person.
        _stage("community", ServiceRecord, None, ServiceRecord.period_from, restrict, "date",
               ServiceRecord.status == "accepted"),
        _stage("community", GroupHomeStay, GroupHomeStay.instance_id, GroupHomeStay.start_date,
               restrict, "date"),
    ).subquery("stages").select()


# --- assessments and IAPs: see assessment_tasks above -----------------------------------------

# --- services -------------------------------------------------------------------------------

@source("planned_services", "region municipality service_type delivered_person "
        "undelivered_person hours_per_week", derived=True)
def planned_services(restrict: Restrict, context: Context) -> Select[Any]:
    """Each service of each IAP version in force during the period, and whether the person got
    that service in the period (an accepted P3 record of the same type overlapping it)."""
    planned = ReportPlannedService
    municipality, on = _region_of(planned.municipality_code)
    delivered = exists(select(literal(1)).select_from(ServiceRecord).where(
        ServiceRecord.person_id == planned.person_id,
        ServiceRecord.service_type == planned.service_type, ServiceRecord.status == "accepted",
        *restrict(ServiceRecord, ServiceRecord.period_from, "date", ServiceRecord.period_to)))
    return (select(planned.instance_id.label("instance_id"),
                   _case_number(planned.instance_id).label("case_number"),
                   planned.person_id.label("person_id"), planned.valid_from.label("fact_date"),
                   month_of(planned.valid_from).label("month"),
                   municipality.region_code.label("region"),
                   planned.municipality_code.label("municipality"),
                   planned.service_type.label("service_type"),
                   case((delivered, planned.person_id)).label("delivered_person"),
                   case((~delivered, planned.person_id)).label("undelivered_person"),
                   planned.hours_per_week.label("hours_per_week"))
            .select_from(planned).outerjoin(municipality, on)
            .where(*restrict(planned, planned.valid_from, "date", planned.valid_to)))


# --- outcomes -------------------------------------------------------------------------------

def _earlier(a: Any, b: Any) -> ColumnElement[bool]:
    """Interview ``a`` came before ``b`` (by day, then by the order the events were written)."""
    return or_(a.assessed_on < b.assessed_on,
               and_(a.assessed_on == b.assessed_on, a.event_id < b.event_id))


@source("needs_changes", "region municipality domain service_mix level_before level_after "
        "improved unchanged worsened", derived=True)
def needs_changes(restrict: Restrict, context: Context) -> Select[Any]:
    """Per person and life domain: the needs level at the first interview and at the latest
    re-assessment (dated on the re-assessment), with the mix of services the person received
    in between (accepted P3 records overlapping the time between the two interviews)."""
    after, before, other = (aliased(ReportNeedsLevel) for _ in range(3))
    municipality, on = _region_of(after.municipality_code)
    first = ~exists(select(literal(1)).where(other.person_id == before.person_id,
                                             other.domain == before.domain, _earlier(other, before)))
    other2 = aliased(ReportNeedsLevel)
    latest = ~exists(select(literal(1)).where(other2.person_id == after.person_id,
                                              other2.domain == after.domain, _earlier(after, other2)))
    parts: list[ColumnElement[Any]] = [case((exists(select(literal(1)).where(
        ServiceRecord.person_id == after.person_id, ServiceRecord.service_type == code,
        ServiceRecord.status == "accepted", ServiceRecord.period_from <= after.assessed_on,
        ServiceRecord.period_to >= before.assessed_on)), literal(code + " ")), else_=literal(""))
        for code in ADULT_SERVICE_TYPES]
    mix = reduce(lambda left, right: left + right, parts)
    change = after.level - before.level
    return (select(after.instance_id.label("instance_id"),
                   _case_number(after.instance_id).label("case_number"),
                   after.person_id.label("person_id"), after.assessed_on.label("fact_date"),
                   month_of(after.assessed_on).label("month"),
                   municipality.region_code.label("region"),
                   after.municipality_code.label("municipality"), after.domain.label("domain"),
                   func.rtrim(mix).label("service_mix"),
                   before.level.label("level_before"), after.level.label("level_after"),
                   _flag(change < 0).label("improved"), _flag(change == 0).label("unchanged"),
                   _flag(change > 0).label("worsened"))
            .select_from(after)
            .join(before, and_(before.person_id == after.person_id, before.domain == after.domain,
                               _earlier(before, after)))
            .outerjoin(municipality, on)
            .where(first, latest, *restrict(after, after.assessed_on, "date")))


# --- money ------------------------------------------------------------------------------------

@source("nsk_compensations", "region municipality service_type amount_cents eligible_days")
def nsk_compensations(restrict: Restrict, context: Context) -> Select[Any]:
    """P7: the lines of the NSK reports the ministry approved (a returned version is replaced by
    the next; only the approved one is paid), dated on the report's month."""
    municipality, on = _region_of(NskCompensation.municipality_code)
    return (select(NskReport.instance_id.label("instance_id"),
                   _case_number(NskReport.instance_id).label("case_number"),
                   NskCompensation.person_id.label("person_id"),
                   NskReport.period.label("fact_date"), NskReport.period.label("month"),
                   municipality.region_code.label("region"),
                   NskCompensation.municipality_code.label("municipality"),
                   NskCompensation.service_type.label("service_type"),
                   NskCompensation.amount_cents.label("amount_cents"),
                   NskCompensation.eligible_days.label("eligible_days"))
            .select_from(NskCompensation)
            .join(NskReport, NskReport.id == NskCompensation.report_id)
            .outerjoin(municipality, on)
            .where(NskReport.status == "approved",
                   *restrict(NskCompensation, NskReport.period, "month")))


# The state's share in hundredths of a percent, so SQL rounds it in integers like
# app.domain.group_homes.state_share_cents (half up to whole cents).
_SHARE_BASIS_POINTS = int(STATE_COFINANCING_SHARE_PERCENT * 100)


@source("group_home_days", "region municipality group_home days cost_cents state_share_cents",
        derived=True)
def group_home_days(restrict: Restrict, context: Context) -> Select[Any]:
    """P5: each group-home stay's days of service in the period (first and last day both
    count, as ``app.domain.group_homes.days_in_period``), their cost at the home's daily cost
    and the state's co-financing share of it (Cabinet Regulation No. 829 (2007))."""
    stay, home = GroupHomeStay, ReportGroupHome
    municipality, on = _region_of(stay.municipality_code)
    last = context.end - timedelta(days=1)
    days = days_between(greatest(stay.start_date, context.start),
                        least(func.coalesce(stay.end_date, last), last)) + 1
    cost = days * home.daily_cost_cents
    return (select(stay.instance_id.label("instance_id"),
                   _case_number(stay.instance_id).label("case_number"),
                   stay.person_id.label("person_id"), stay.start_date.label("fact_date"),
                   month_of(stay.start_date).label("month"),
                   municipality.region_code.label("region"),
                   stay.municipality_code.label("municipality"),
                   stay.group_home_code.label("group_home"), days.label("days"),
                   cost.label("cost_cents"),
                   ((cost * _SHARE_BASIS_POINTS + 5000) // 10000).label("state_share_cents"))
            .select_from(stay).join(home, home.code == stay.group_home_code)
            .outerjoin(municipality, on)
            .where(*restrict(stay, stay.start_date, "date", stay.end_date)))


# --- children ---------------------------------------------------------------------------------

P9_REPORT_TASK = "submit_periodic_report"


@source("p9_reports", "region municipality institution orphan_court report_status")
def p9_reports(restrict: Restrict, context: Context) -> Select[Any]:
    """P9's periodic reports due in the period: delivered on or before the due day (on time),
    after it (late), or still not delivered once the due day has passed (missing: the open
    report task past its deadline)."""
    delivery = PeriodicReportDelivery
    d_muni, d_on = _region_of(delivery.municipality_code)
    delivered = (
        select(delivery.instance_id.label("instance_id"),
               _case_number(delivery.instance_id).label("case_number"),
               delivery.person_id.label("person_id"), delivery.due_date.label("fact_date"),
               month_of(delivery.due_date).label("month"), d_muni.region_code.label("region"),
               delivery.municipality_code.label("municipality"),
               delivery.institution_code.label("institution"),
               delivery.orphan_court_code.label("orphan_court"),
               case((delivery.report_date <= delivery.due_date, literal("on_time")),
                    else_=literal("late")).label("report_status"))
        .select_from(delivery).outerjoin(d_muni, d_on)
        .where(delivery.due_date.is_not(None), *restrict(delivery, delivery.due_date, "date")))
    task = HumanTask
    t_muni, t_on = _region_of(task.municipality_code)
    missing = (
        select(task.instance_id.label("instance_id"), task.business_key.label("case_number"),
               task.person_id.label("person_id"), day_of(task.due_at).label("fact_date"),
               month_of(task.due_at).label("month"), t_muni.region_code.label("region"),
               task.municipality_code.label("municipality"),
               task.institution_code.label("institution"),
               task.orphan_court_code.label("orphan_court"), literal("missing").label(
                   "report_status"))
        .select_from(task).outerjoin(t_muni, t_on)
        .where(task.process_key == "p09_out_of_family_care", task.element_id == P9_REPORT_TASK,
               task.status == "open", task.due_at < context.now,
               *restrict(task, task.due_at, "timestamp")))
    return union_all(delivered, missing).subquery("p9").select()


@source("placements", "region municipality institution orphan_court days_in_care ended")
def placements(restrict: Restrict, context: Context) -> Select[Any]:
    """P9 stays in out-of-family care that lasted into the period: days in care from the
    placement to its end, or to the period's last day (today while it runs) for a child still
    in care; ``ended`` marks stays that ended in the period."""
    placement = ChildPlacement
    municipality, on = _region_of(placement.municipality_code)
    until = least(func.coalesce(placement.end_date, context.last_day), context.last_day)
    return (select(placement.instance_id.label("instance_id"),
                   _case_number(placement.instance_id).label("case_number"),
                   placement.person_id.label("person_id"),
                   placement.placement_date.label("fact_date"),
                   month_of(placement.placement_date).label("month"),
                   municipality.region_code.label("region"),
                   placement.municipality_code.label("municipality"),
                   placement.institution_code.label("institution"),
                   placement.orphan_court_code.label("orphan_court"),
                   days_between(placement.placement_date, until).label("days_in_care"),
                   _flag(and_(placement.end_date.is_not(None), placement.end_date >= context.start,
                              placement.end_date < context.end)).label("ended"))
            .select_from(placement).outerjoin(municipality, on)
            .where(*restrict(placement, placement.placement_date, "date", placement.end_date)))


@source("separations", "region municipality orphan_court response_days contacted waiting")
def separations(restrict: Restrict, context: Context) -> Select[Any]:
    """P10: the orphan courts' separation decisions of the period and the days from the
    decision to the social worker's first contact with the family (the family survey
    completed); ``waiting`` marks decisions whose survey is not done yet."""
    decision = ChildProtectionDecision
    survey = aliased(HumanTask)
    municipality, on = _region_of(decision.municipality_code)
    return (select(decision.instance_id.label("instance_id"),
                   _case_number(decision.instance_id).label("case_number"),
                   decision.person_id.label("person_id"), decision.decision_date.label("fact_date"),
                   month_of(decision.decision_date).label("month"),
                   municipality.region_code.label("region"),
                   decision.municipality_code.label("municipality"),
                   decision.orphan_court_code.label("orphan_court"),
                   days_between(decision.decision_date, survey.completed_at)
                   .label("response_days"),
                   _flag(survey.id.is_not(None)).label("contacted"),
                   _flag(survey.id.is_(None)).label("waiting"))
            .select_from(decision)
            .outerjoin(survey, and_(survey.instance_id == decision.instance_id,
                                    survey.element_id == "survey_family",
                                    survey.status == "completed"))
            .outerjoin(municipality, on)
            .where(decision.kind == "SEPARATION",
                   *restrict(decision, decision.decision_date, "date")))


# --- adoption ---------------------------------------------------------------------------------

@source("adoption_children", "region child_status waiting_days")
def adoption_children(restrict: Restrict, context: Context) -> Select[Any]:
    """P11: children in the adoption register free for adoption by the period's end, by status,
    with the days each child not yet adopted has waited since being declared free."""
    child = AdoptionChild
    waiting = case((child.status != "adopted",
                    days_between(child.free_for_adoption_on, context.last_day)))
    return (select(literal(None, Integer).label("instance_id"),
                   literal(None).label("case_number"), child.person_id.label("person_id"),
                   child.free_for_adoption_on.label("fact_date"),
                   month_of(child.free_for_adoption_on).label("month"),
                   child.region_code.label("region"), child.status.label("child_status"),
                   waiting.label("waiting_days"))
            .select_from(child)
            .where(*restrict(child, child.free_for_adoption_on, "date")))


@source("adoption_proposals", "answer adopter_id match_id answer_days")
def adoption_proposals(restrict: Restrict, context: Context) -> Select[Any]:
    """P11: the proposals of a child to an adopter made in the period and their answer
    (``WAITING`` while none), with the days the adopter took to answer."""
    proposal = AdoptionProposal
    return (select(AdoptionMatch.instance_id.label("instance_id"),
                   _case_number(AdoptionMatch.instance_id).label("case_number"),
                   literal(None, Integer).label("person_id"),
                   proposal.proposed_on.label("fact_date"),
                   month_of(proposal.proposed_on).label("month"),
                   func.coalesce(proposal.answer, "WAITING").label("answer"),
                   proposal.adopter_id.label("adopter_id"), proposal.match_id.label("match_id"),
                   days_between(proposal.proposed_on, proposal.answered_on).label("answer_days"))
            .select_from(proposal).join(AdoptionMatch, AdoptionMatch.id == proposal.match_id)
            .where(*restrict(proposal, proposal.proposed_on, "date")))
