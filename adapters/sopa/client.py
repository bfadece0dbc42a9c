"""Calling SOPA over SOAP with zeep (:class:`adapters.soap.SoapSystem`), every failure an
AdapterError.

Settings: ``sopa_url`` (required), ``sopa_client_cert``, ``sopa_client_key``,
``sopa_ca_bundle``. Nothing logged here contains request or response content: plans,
assessments and service records are about people.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from adapters.registry import CallContext
from adapters.soap import SoapSystem, as_date, as_datetime
from adapters.sopa.messages import (
    BINDING,
    NAMESPACE,
    WSDL_PATH,
    ChildAssessment,
    PeriodicReport,
    PlacementChangeNotice,
    Receipt,
    ServiceRecord,
    SupportPlan,
)

SOPA = SoapSystem(
    name="SOPA",
    prefix="sopa",
    wsdl_path=WSDL_PATH,
    binding=BINDING,
    fault_detail=f"{{{NAMESPACE}}}SopaFault",
)


def send_support_plan(call: CallContext, plan: SupportPlan) -> Receipt:
    services = [
        {
            "ServiceType": s.service_type,
            "HoursPerWeek": s.hours_per_week,
            "Frequency": s.frequency,
        }
        for s in plan.services
    ]
    reply = SOPA.invoke(
        call,
        "SendSupportPlan",
        lambda service: service.SendSupportPlan(
            IdempotencyKey=call.idempotency_key,
            MunicipalityCode=plan.municipality_code,
            CaseReference=plan.case_reference,
            PlanVersion=plan.plan_version,
            Plan={
                "Goals": {"Goal": list(plan.goals)},
                "Services": {"Service": services},
                "ValidFrom": plan.valid_from,
                "ValidTo": plan.valid_to,
            },
        ),
    )
    return SOPA.read(reply, "the receipt fields", _receipt)


def send_child_assessment(call: CallContext, assessment: ChildAssessment) -> Receipt:
    reply = SOPA.invoke(
        call,
        "SendChildAssessment",
        lambda service: service.SendChildAssessment(
            IdempotencyKey=call.idempotency_key,
            MunicipalityCode=assessment.municipality_code,
            CaseReference=assessment.case_reference,
            ChildGroup=assessment.child_group,
            ServicesNeeded={"Service": list(assessment.services_needed)},
            Summary=assessment.summary,
        ),
    )
    return SOPA.read(reply, "the receipt fields", _receipt)


def notify_placement_change(call: CallContext, notice: PlacementChangeNotice) -> Receipt:
    reply = SOPA.invoke(
        call,
        "NotifyPlacementChange",
        lambda service: service.NotifyPlacementChange(
            IdempotencyKey=call.idempotency_key,
            MunicipalityCodes={"MunicipalityCode": list(notice.municipality_codes)},
            CaseReference=notice.case_reference,
            Change=notice.change,
            FromGroupHome=notice.from_group_home,
            ToGroupHome=notice.to_group_home,
            EffectiveDate=notice.effective_date,
        ),
    )

    def convert(r: Any) -> Receipt:
        references = tuple(str(ref) for ref in r.SopaReferences.SopaReference)
        if len(references) != len(notice.municipality_codes):
            raise ValueError("one SopaReference per municipality")
        return Receipt(str(r.Status), references, as_datetime(r.ReceivedAt), _bool(r.Duplicate))

    return SOPA.read(reply, "a receipt with one reference per municipality", convert)


def deliver_periodic_report(call: CallContext, report: PeriodicReport) -> Receipt:
    reply = SOPA.invoke(
        call,
        "DeliverPeriodicReport",
        lambda service: service.DeliverPeriodicReport(
            IdempotencyKey=call.idempotency_key,
            MunicipalityCode=report.municipality_code,
            CaseReference=report.case_reference,
            ReportPeriodEnd=report.report_period_end,
            ContactWithParents=report.contact_with_parents,
            ContactWithSiblings=report.contact_with_siblings,
            ContactWithOthers=report.contact_with_others,
            Cooperation=report.cooperation,
            PhysicalDevelopment=report.physical_development,
            PsychosocialDevelopment=report.psychosocial_development,
        ),
    )
    return SOPA.read(reply, "the receipt fields", _receipt)


def fetch_service_records(
    call: CallContext, municipality_code: str, period_from: date, period_to: date
) -> list[ServiceRecord]:
    reply = SOPA.invoke(
        call,
        "FetchServiceRecords",
        lambda service: service.FetchServiceRecords(
            IdempotencyKey=call.idempotency_key,
            MunicipalityCode=municipality_code,
            PeriodFrom=period_from,
            PeriodTo=period_to,
        ),
    )

    def convert(r: Any) -> list[ServiceRecord]:
        # zeep unwraps a response with one child: here the Record list itself (None if empty).
        found = r if isinstance(r, list) or r is None else r.Records.Record
        return [
            ServiceRecord(
                external_id=str(rec.ExternalId),
                personal_code=str(rec.PersonalCode),
                service_type=str(rec.ServiceType),
                provider_code=str(rec.ProviderCode),
                period_from=as_date(rec.PeriodFrom),
                period_to=as_date(rec.PeriodTo),
                volume=_decimal(rec.Volume),
                unit=str(rec.Unit),
                cost_cents=_int(rec.CostCents),
            )
            for rec in found or []
        ]

    return SOPA.read(reply, "well-formed service records", convert)


def _receipt(reply: Any) -> Receipt:
    return Receipt(
        str(reply.Status),
        (str(reply.SopaReference),),
        as_datetime(reply.ReceivedAt),
        _bool(reply.Duplicate),
    )


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not an xs:boolean")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("not an integer")
    return value


def _decimal(value: Any) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError("not an xs:decimal")
    return value
