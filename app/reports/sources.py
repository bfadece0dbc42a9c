"""The named queries reports count from: one SQLAlchemy Core select per source.

A source is built with a ``restrict`` callback from the engine. Every branch of the select calls
it with the table whose scope columns decide who may see the row and with the column that dates
the fact; the callback returns the conditions (``app.access.scope.record_filter``, the territory,
the period), so access applies in SQL on the indexed base table, never to rows in Python.

Every source's select names these columns, which the engine and the drill-down rely on:

- ``instance_id``, ``case_number``, ``person_id``: the record behind a figure;
- ``fact_date``: the date the fact is counted on (an ISO date or ``YYYY-MM``);
- ``month``: the fact's month (``YYYY-MM``), the time axis of reports "over time";

and its own dimension and measure columns, listed in ``Source.columns``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, select
from sqlalchemy.orm import aliased

from app.db.models import CoPaymentMonth, HumanTask, Organisation

from .sql import days_between, month_of

# How a source dates its facts: a DATE column, a UTC timestamp, or a ``YYYY-MM`` text.
DateKind = Literal["date", "timestamp", "month"]
Restrict = Callable[[Any, Any, DateKind], list[ColumnElement[bool]]]


@dataclass(frozen=True)
class Context:
    """What a source may need besides the restriction: the moment "overdue" is judged at."""

    now: datetime


@dataclass(frozen=True)
class Source:
    name: str
    build: Callable[[Restrict, Context], Select[Any]]
    columns: frozenset[str]  # dimension and measure columns besides the common ones


SOURCES: dict[str, Source] = {}


def source(name: str, columns: str) -> Callable[[Callable[[Restrict, Context], Select[Any]]],
                                               Callable[[Restrict, Context], Select[Any]]]:
    def register(build: Callable[[Restrict, Context], Select[Any]]
                 ) -> Callable[[Restrict, Context], Select[Any]]:
        SOURCES[name] = Source(name, build, frozenset(columns.split()))
        return build
    return register


def _region_of(municipality_code: Any) -> tuple[Any, ColumnElement[bool]]:
    """The organisation row of a municipality, to read its planning region from."""
    municipality = aliased(Organisation)
    return municipality, municipality.code == municipality_code


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
    from app.db.models import ProcessInstance
    return (
        select(CoPaymentMonth.instance_id.label("instance_id"),
               ProcessInstance.business_key.label("case_number"),
               CoPaymentMonth.person_id.label("person_id"),
               CoPaymentMonth.period.label("fact_date"),
               CoPaymentMonth.period.label("month"),
               municipality.region_code.label("region"),
               CoPaymentMonth.municipality_code.label("municipality"),
               CoPaymentMonth.institution_code.label("institution"),
               CoPaymentMonth.co_payment_cents.label("co_payment_cents"),
               CoPaymentMonth.allowance_cents.label("allowance_cents"),
               CoPaymentMonth.total_cents.label("income_cents"))
        .select_from(CoPaymentMonth)
        .join(ProcessInstance, ProcessInstance.id == CoPaymentMonth.instance_id)
        .outerjoin(municipality, on)
        .where(latest, *restrict(CoPaymentMonth, CoPaymentMonth.period, "month")))
