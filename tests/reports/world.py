"""Hand-built data sets for the report tests: rows written as the processes write them, with
the scope columns the processes stamp, so each test can work out its right answer by hand."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.access import record_kinds
from app.db.models import (
    Adopter,
    AdoptionChild,
    AdoptionMatch,
    AdoptionProposal,
    ChildPlacement,
    ChildProtectionDecision,
    CoPaymentMonth,
    Event,
    GroupHomeStay,
    HumanTask,
    NskCompensation,
    NskReport,
    PeriodicReportDelivery,
    Person,
    ProcessDefinition,
    ProcessInstance,
    ServiceRecord,
    ServiceRecordBatch,
    SupportPlanVersion,
)
from app.demo import valid_personal_code


def at(day: str, hour: int = 10) -> datetime:
    """A UTC moment on an ISO day."""
    d = date.fromisoformat(day)
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


class World:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._definitions: dict[str, int] = {}
        self._seq = 0

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def definition(self, key: str) -> int:
        if key not in self._definitions:
            row = ProcessDefinition(process_key=key, version=1, name=key, file_name=f"{key}.bpmn",
                                    content_hash=f"{key:0<64}"[:64], source_xml="<x/>",
                                    deployed_by="test")
            self.session.add(row)
            self.session.flush()
            self._definitions[key] = row.id
        return self._definitions[key]

    def person(self, municipality: str | None, *, institution: str | None = None,
               orphan_court: str | None = None, confidential: bool = False,
               birth_date: date | None = None) -> Person:
        n = self._next()
        person = Person(personal_code=valid_personal_code(1000 + n), given_name="Anna",
                        family_name=f"Bērziņa{n}", search_name=f"anna bērziņa{n}",
                        birth_date=birth_date or date(1980, 1, 1), municipality_code=municipality,
                        institution_code=institution, orphan_court_code=orphan_court,
                        confidential=confidential)
        self.session.add(person)
        self.session.flush()
        return person

    def instance(self, process_key: str, person: Person | None, *, started: str = "2025-01-10",
                 status: str = "active", case_number: str | None = None,
                 **scope: Any) -> ProcessInstance:
        columns: dict[str, Any] = {
            "record_kind": record_kinds.record_kind_of(process_key),
            "person_id": person.id if person else None,
            "municipality_code": person.municipality_code if person else None,
            "institution_code": person.institution_code if person else None,
            "orphan_court_code": person.orphan_court_code if person else None,
            "confidential": (person.confidential if person else False)
            or record_kinds.is_confidential_kind(record_kinds.record_kind_of(process_key)),
        }
        columns.update(scope)
        n = self._next()
        instance = ProcessInstance(
            definition_id=self.definition(process_key), process_key=process_key,
            business_key=case_number or f"{process_key[:3].upper()}-{n}", status=status,
            state="{}", started_by="test", created_at=at(started), updated_at=at(started),
            version=1, **columns)
        self.session.add(instance)
        self.session.flush()
        return instance

    def task(self, instance: ProcessInstance, element_id: str, *, created: str,
             due: str | None = None, completed: str | None = None, by: str | None = None,
             assignee: str | None = None, cancelled: bool = False) -> HumanTask:
        status = "cancelled" if cancelled else "completed" if completed else "open"
        task = HumanTask(
            instance_id=instance.id, task_guid=f"00000000-0000-0000-0000-{self._next():012d}",
            process_key=instance.process_key, process_version=1,
            business_key=instance.business_key, element_id=element_id, element_name=element_id,
            candidate_groups="planning_region_expert", assignee=assignee,
            due_at=at(due, 23) if due else None, status=status, created_at=at(created),
            completed_at=at(completed, 12) if completed else None, completed_by=by,
            **_scope_of(instance))
        self.session.add(task)
        self.session.flush()
        return task

    def co_payment(self, instance: ProcessInstance, period: str, *, income: int, allowance: int,
                   version: int = 1) -> CoPaymentMonth:
        row = CoPaymentMonth(instance_id=instance.id, period=period, version=version, payments=[],
                             total_cents=income, minimum_percent=15,
                             minimum_allowance_cents=income * 15 // 100,
                             allowance_cents=allowance, co_payment_cents=income - allowance,
                             confirmed_by="test", **_scope_of(instance))
        self.session.add(row)
        self.session.flush()
        return row

    def interview(self, instance: ProcessInstance, on: str, levels: dict[str, int]) -> Event:
        """A completed P1 interview as the engine records it: the task_completed event with
        the submitted needs levels."""
        n = self._next()
        event = Event(chain=f"instance:{instance.id}", seq=n, instance_id=instance.id,
                      occurred_at=at(on), kind="task_completed", actor="exp",
                      element_id="interview",
                      detail={"task_id": n, "data": {"needs": {
                          domain: {"level": level, "notes": ""} for domain, level in
                          levels.items()}}},
                      prev_hash="0" * 64, hash=f"{n:064d}")
        self.session.add(event)
        self.session.flush()
        return event

    def plan(self, instance: ProcessInstance, *services: str, valid_from: str,
             valid_to: str | None = None, version: int = 1) -> SupportPlanVersion:
        plan = SupportPlanVersion(
            instance_id=instance.id, version=version, source="assessment",
            valid_from=date.fromisoformat(valid_from),
            valid_to=date.fromisoformat(valid_to) if valid_to else None,
            content={"goals": ["Dzīvot patstāvīgi"], "services": [
                {"service_type": code, "hours_per_week": 4, "frequency": None, "notes": None}
                for code in services]},
            created_by="test", created_at=at(valid_from), **_scope_of(instance))
        self.session.add(plan)
        self.session.flush()
        return plan

    def service_record(self, person: Person, service_type: str, *, start: str, end: str,
                       status: str = "accepted") -> ServiceRecord:
        batch = ServiceRecordBatch(municipality_code=person.municipality_code or "RIGA",
                                   period_from=date.fromisoformat(start),
                                   period_to=date.fromisoformat(end), source="SOPA",
                                   submitted_by="test")
        self.session.add(batch)
        self.session.flush()
        record = ServiceRecord(
            batch_id=batch.id, personal_code=person.personal_code or "", service_type=service_type,
            provider_code="SP-ATBALSTS", period_from=date.fromisoformat(start),
            period_to=date.fromisoformat(end), volume=Decimal(10), unit="HOURS", cost_cents=10000,
            status=status, record_kind="service", person_id=person.id,
            municipality_code=person.municipality_code, institution_code=person.institution_code,
            orphan_court_code=None, confidential=False)
        self.session.add(record)
        self.session.flush()
        return record

    def stay(self, instance: ProcessInstance, home: str, start: str,
             end: str | None = None) -> GroupHomeStay:
        stay = GroupHomeStay(instance_id=instance.id, group_home_code=home,
                             start_date=date.fromisoformat(start),
                             end_date=date.fromisoformat(end) if end else None,
                             end_reason="ENDED" if end else None, created_by="test",
                             **_scope_of(instance))
        self.session.add(stay)
        self.session.flush()
        return stay

    def nsk_report(self, instance: ProcessInstance, period: str, status: str,
                   lines: list[tuple[Person, str, int]], version: int = 1) -> NskReport:
        report = NskReport(instance_id=instance.id, period=period, version=version, status=status,
                           persons=len({p.id for p, _, _ in lines}),
                           total_cents=sum(a for _, _, a in lines), rates=[],
                           **_scope_of(instance))
        self.session.add(report)
        self.session.flush()
        first = date.fromisoformat(period + "-01")
        for person, service_type, amount in lines:
            record = self.service_record(person, service_type, start=first.isoformat(),
                                         end=first.isoformat())
            self.session.add(NskCompensation(
                report_id=report.id, service_record_id=record.id, service_type=service_type,
                unit="HOURS", period_from=first, period_to=first, volume=Decimal(1),
                cost_cents=amount, days_in_month=30, eligible_days=30, rate_cents=amount,
                amount_cents=amount, reasons=[], record_kind="service", person_id=person.id,
                municipality_code=instance.municipality_code, institution_code=None,
                orphan_court_code=None, confidential=False))
        self.session.flush()
        return report

    def placement(self, instance: ProcessInstance, start: str,
                  end: str | None = None) -> ChildPlacement:
        placement = ChildPlacement(instance_id=instance.id,
                                   placement_date=date.fromisoformat(start), source="institution",
                                   end_date=date.fromisoformat(end) if end else None,
                                   created_by="test", **_scope_of(instance))
        self.session.add(placement)
        self.session.flush()
        return placement

    def report_delivered(self, instance: ProcessInstance, due: str,
                         delivered: str) -> PeriodicReportDelivery:
        n = self._next()
        row = PeriodicReportDelivery(
            instance_id=instance.id, report_date=date.fromisoformat(delivered),
            due_date=date.fromisoformat(due), submitted_by="test", npais_report_id=f"N{n}",
            npais_received_at=at(delivered), sopa_reference=f"S{n}",
            sopa_received_at=at(delivered), **_scope_of(instance))
        self.session.add(row)
        self.session.flush()
        return row

    def separation(self, instance: ProcessInstance, decided: str) -> ChildProtectionDecision:
        n = self._next()
        row = ChildProtectionDecision(npais_decision_id=f"D{n}", kind="SEPARATION",
                                      decision_date=date.fromisoformat(decided),
                                      instance_id=instance.id, received_by="npais",
                                      **_scope_of(instance))
        self.session.add(row)
        self.session.flush()
        return row

    def adoption_child(self, free_on: str, status: str = "free",
                       region: str = "PR-RIGA") -> AdoptionChild:
        person = self.person(None, confidential=True, birth_date=date(2020, 5, 1))
        child = AdoptionChild(birth_date=date(2020, 5, 1), sex="F",
                              free_for_adoption_on=date.fromisoformat(free_on),
                              region_code=region, status=status, created_by="test",
                              person_id=person.id, record_kind="adoption", confidential=True)
        self.session.add(child)
        self.session.flush()
        return child

    def adopter(self) -> Adopter:
        adopter = Adopter(kind="single", applicants=[{"given_name": "Ilze"}],
                          suitability_court_code="RIGA-BT",
                          suitability_decision_on=date(2024, 1, 1),
                          suitability_until=date(2026, 1, 1), registered_on=date(2024, 1, 2),
                          created_by="test", record_kind="adoption", confidential=True)
        self.session.add(adopter)
        self.session.flush()
        return adopter

    def proposal(self, child: AdoptionChild, adopter: Adopter, proposed: str,
                 answer: str | None = None, answered: str | None = None) -> AdoptionProposal:
        instance = self.instance("p11_adoption_match", None, started=proposed)
        match = AdoptionMatch(instance_id=instance.id, child_ids=[child.id],
                              started_on=date.fromisoformat(proposed), started_by="test",
                              record_kind="adoption", confidential=True)
        self.session.add(match)
        self.session.flush()
        proposal = AdoptionProposal(
            match_id=match.id, adopter_id=adopter.id, number=1,
            proposed_on=date.fromisoformat(proposed), answer_due=date.fromisoformat(proposed),
            answer=answer, answered_on=date.fromisoformat(answered) if answered else None,
            record_kind="adoption", confidential=True)
        self.session.add(proposal)
        self.session.flush()
        return proposal


def _scope_of(instance: ProcessInstance) -> dict[str, Any]:
    return {"record_kind": instance.record_kind, "person_id": instance.person_id,
            "municipality_code": instance.municipality_code,
            "institution_code": instance.institution_code,
            "orphan_court_code": instance.orphan_court_code,
            "confidential": instance.confidential}
