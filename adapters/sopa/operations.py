"""Service-task operations backed by SOPA, the municipalities' social-assistance system.

Parameters are checked with :class:`adapters.params.Params` before any network call; the
nested support plan is checked here field by field with the same non-retryable errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from adapters.params import Params
from adapters.registry import CallContext, operation
from adapters.sopa import client
from adapters.sopa.messages import (
    CASE_REFERENCE_MAX,
    CHILD_GROUPS,
    GROUP_HOME_MAX,
    HOURS_PER_WEEK_MAX,
    LIST_MAX,
    MUNICIPALITIES_MAX,
    PLACEMENT_CHANGES,
    REPORT_SECTION_MAX,
    REPORT_SECTIONS,
    SERVICE_TYPES,
    SHORT_TEXT_MAX,
    SUMMARY_MAX,
    ChildAssessment,
    PeriodicReport,
    PlacementChangeNotice,
    PlannedService,
    Receipt,
    SupportPlan,
)

_PLAN_PARAMS = frozenset({"municipality_code", "case_reference", "plan_version", "plan"})
_PLAN_FIELDS = frozenset({"goals", "services", "valid_from", "valid_to"})
_SERVICE_FIELDS = frozenset({"service_type", "hours_per_week", "frequency"})
_ASSESSMENT_PARAMS = frozenset(
    {"municipality_code", "case_reference", "child_group", "services_needed", "summary"}
)
_PLACEMENT_PARAMS = frozenset(
    {
        "municipality_codes",
        "case_reference",
        "change",
        "from_group_home",
        "to_group_home",
        "effective_date",
    }
)
_REPORT_PARAMS = frozenset(
    {"municipality_code", "case_reference", "report_period_end", *REPORT_SECTIONS}
)
_FETCH_PARAMS = frozenset({"municipality_code", "period_from", "period_to"})
# Which group homes each kind of change names: (from_group_home, to_group_home) required.
_GROUP_HOMES_NEEDED = {
    "GROUP_HOME_PLACEMENT": (False, True),
    "GROUP_HOME_TRANSFER": (True, True),
    "GROUP_HOME_END": (True, False),
}


@operation("sopa.send_support_plan")
def send_support_plan(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Send a version of a person's support plan to the municipality's SOPA.

    Params: ``municipality_code``, ``case_reference``, ``plan_version`` (integer from 1),
    ``plan`` ``{goals: [str], services: [{service_type, hours_per_week: number|null,
    frequency: str|null}], valid_from, valid_to}``. Returns ``status`` ("ACCEPTED"),
    ``sopa_reference``, ``received_at`` (ISO 8601), ``duplicate``.
    """
    p = _Params("sopa.send_support_plan", params, _PLAN_PARAMS)
    plan = SupportPlan(
        municipality_code=p.code("municipality_code"),
        case_reference=p.case_reference(CASE_REFERENCE_MAX),
        plan_version=p.integer("plan_version", 1, 1_000_000),
        **p.plan(),
    )
    return _receipt_result(client.send_support_plan(call, plan))


@operation("sopa.send_child_assessment")
def send_child_assessment(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Send a child's needs assessment to the municipality's SOPA.

    Params: ``municipality_code``, ``case_reference``, ``child_group`` (INSTITUTION, FAMILY),
    ``services_needed`` (list of str), ``summary``. Returns as ``sopa.send_support_plan``.
    """
    p = _Params("sopa.send_child_assessment", params, _ASSESSMENT_PARAMS)
    assessment = ChildAssessment(
        municipality_code=p.code("municipality_code"),
        case_reference=p.case_reference(CASE_REFERENCE_MAX),
        child_group=p.choice("child_group", CHILD_GROUPS),
        services_needed=p.texts("services_needed", p.params.get("services_needed")),
        summary=p.text("summary", SUMMARY_MAX),
    )
    return _receipt_result(client.send_child_assessment(call, assessment))


@operation("sopa.notify_placement_change")
def notify_placement_change(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Notify each municipality concerned of a group-home placement, transfer or end.

    Params: ``municipality_codes`` (non-empty list), ``case_reference``, ``change``
    (GROUP_HOME_PLACEMENT needs ``to_group_home``, GROUP_HOME_TRANSFER both,
    GROUP_HOME_END ``from_group_home``), ``from_group_home``, ``to_group_home`` (str or null),
    ``effective_date``. Returns ``status``, ``sopa_references`` (one per municipality, in
    order), ``received_at``, ``duplicate``.
    """
    p = _Params("sopa.notify_placement_change", params, _PLACEMENT_PARAMS)
    change = p.choice("change", PLACEMENT_CHANGES)
    homes: list[str | None] = []
    for key, needed in zip(("from_group_home", "to_group_home"), _GROUP_HOMES_NEEDED[change]):
        if needed:
            homes.append(p.text(key, GROUP_HOME_MAX))
        elif p.params.get(key) is None:
            homes.append(None)
        else:
            homes.append(p.text(key, GROUP_HOME_MAX))
    notice = PlacementChangeNotice(
        municipality_codes=p.codes("municipality_codes", MUNICIPALITIES_MAX),
        case_reference=p.case_reference(CASE_REFERENCE_MAX),
        change=change,
        from_group_home=homes[0],
        to_group_home=homes[1],
        effective_date=p.iso_date("effective_date"),
    )
    receipt = client.notify_placement_change(call, notice)
    return {
        "status": receipt.status,
        "sopa_references": list(receipt.references),
        "received_at": receipt.received_at.isoformat(),
        "duplicate": receipt.duplicate,
    }


@operation("sopa.deliver_periodic_report")
def deliver_periodic_report(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Deliver an institution's periodic report on a child in care to the social service (P9).

    Params: ``municipality_code`` (the municipality responsible for the child),
    ``case_reference``, ``report_period_end`` (YYYY-MM-DD) and the texts
    ``contact_with_parents``, ``contact_with_siblings``, ``contact_with_others``,
    ``cooperation``, ``physical_development``, ``psychosocial_development``.
    Returns as ``sopa.send_support_plan``.
    """
    p = _Params("sopa.deliver_periodic_report", params, _REPORT_PARAMS)
    sections = {name: p.text(name, REPORT_SECTION_MAX) for name in REPORT_SECTIONS}
    report = PeriodicReport(
        municipality_code=p.code("municipality_code"),
        case_reference=p.case_reference(CASE_REFERENCE_MAX),
        report_period_end=p.iso_date("report_period_end"),
        **sections,
    )
    return _receipt_result(client.deliver_periodic_report(call, report))


@operation("sopa.fetch_service_records")
def fetch_service_records(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """The municipality's records of services provided that overlap a period (process P3).

    Params: ``municipality_code``, ``period_from``, ``period_to`` (YYYY-MM-DD). Returns
    ``records``: ``[{external_id, personal_code, service_type, provider_code, period_from,
    period_to, volume (number), unit (HOURS/DAYS/SESSIONS), cost_cents (int)}]``.
    """
    p = _Params("sopa.fetch_service_records", params, _FETCH_PARAMS)
    municipality = p.code("municipality_code")
    period_from, period_to = p.iso_date("period_from"), p.iso_date("period_to")
    if period_to < period_from:
        raise p.error("parameter 'period_to' is before 'period_from'")
    records = client.fetch_service_records(call, municipality, period_from, period_to)
    return {
        "records": [
            {
                "external_id": r.external_id,
                "personal_code": r.personal_code,
                "service_type": r.service_type,
                "provider_code": r.provider_code,
                "period_from": r.period_from.isoformat(),
                "period_to": r.period_to.isoformat(),
                "volume": _number(r.volume),
                "unit": r.unit,
                "cost_cents": r.cost_cents,
            }
            for r in records
        ]
    }


def _receipt_result(receipt: Receipt) -> dict[str, Any]:
    return {
        "status": receipt.status,
        "sopa_reference": receipt.references[0],
        "received_at": receipt.received_at.isoformat(),
        "duplicate": receipt.duplicate,
    }


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


class _Params(Params):
    """The generic checks plus the support plan's nested fields."""

    def __init__(self, op: str, params: Any, allowed: frozenset[str]) -> None:
        super().__init__(op, params, allowed, system="SOPA")

    def texts(self, key: str, value: Any) -> tuple[str, ...]:
        if value is None:
            raise self.error(f"parameter '{key}' is required")
        if not isinstance(value, (list, tuple)):
            raise self.error(f"parameter '{key}' must be a list of strings")
        if len(value) > LIST_MAX:
            raise self.error(f"parameter '{key}' may hold at most {LIST_MAX} items")
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise self.error(f"parameter '{key}' must hold non-empty strings")
            if len(item) > SHORT_TEXT_MAX:
                raise self.error(f"parameter '{key}' holds a text longer than {SHORT_TEXT_MAX}")
        return tuple(value)

    def plan(self) -> dict[str, Any]:
        plan = self.params.get("plan")
        if plan is None:
            raise self.error("parameter 'plan' is required")
        if not isinstance(plan, Mapping):
            raise self.error("parameter 'plan' must be an object")
        unknown = sorted(set(plan) - _PLAN_FIELDS)
        if unknown:
            raise self.error(f"unknown field(s) in 'plan': {', '.join(unknown)}")
        valid_from = self.date_value("plan.valid_from", plan.get("valid_from"))
        valid_to = self.date_value("plan.valid_to", plan.get("valid_to"))
        if valid_to < valid_from:
            raise self.error("parameter 'plan.valid_to' is before 'plan.valid_from'")
        return {
            "goals": self.texts("plan.goals", plan.get("goals")),
            "services": self.services(plan.get("services")),
            "valid_from": valid_from,
            "valid_to": valid_to,
        }

    def services(self, value: Any) -> tuple[PlannedService, ...]:
        key = "plan.services"
        if value is None:
            raise self.error(f"parameter '{key}' is required")
        if not isinstance(value, (list, tuple)):
            raise self.error(f"parameter '{key}' must be a list of objects")
        if len(value) > LIST_MAX:
            raise self.error(f"parameter '{key}' may hold at most {LIST_MAX} items")
        services = []
        for index, item in enumerate(value):
            where = f"{key}[{index}]"
            if not isinstance(item, Mapping):
                raise self.error(f"parameter '{where}' must be an object")
            unknown = sorted(set(item) - _SERVICE_FIELDS)
            if unknown:
                raise self.error(f"unknown field(s) in '{where}': {', '.join(unknown)}")
            if item.get("service_type") not in SERVICE_TYPES:
                raise self.error(
                    f"parameter '{where}.service_type' must be one of {', '.join(SERVICE_TYPES)}"
                )
            hours = item.get("hours_per_week")
            if hours is not None and (
                isinstance(hours, bool)
                or not isinstance(hours, (int, float))
                or not 0 <= hours <= HOURS_PER_WEEK_MAX
            ):
                raise self.error(
                    f"parameter '{where}.hours_per_week' must be a number from 0 to "
                    f"{HOURS_PER_WEEK_MAX} or null"
                )
            frequency = item.get("frequency")
            if frequency is not None and (
                not isinstance(frequency, str)
                or not frequency.strip()
                or len(frequency) > SHORT_TEXT_MAX
            ):
                raise self.error(
                    f"parameter '{where}.frequency' must be a text of up to "
                    f"{SHORT_TEXT_MAX} characters or null"
                )
            services.append(
                PlannedService(
                    service_type=item["service_type"],
                    hours_per_week=None if hours is None else Decimal(str(hours)),
                    frequency=frequency,
                )
            )
        return tuple(services)
