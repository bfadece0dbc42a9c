"""Hand-built data sets for the report tests: rows written as the processes write them, with
the scope columns the processes stamp, so each test can work out its right answer by hand."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.access import record_kinds
from app.db.models import (
    CoPaymentMonth,
    HumanTask,
    Person,
    ProcessDefinition,
    ProcessInstance,
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


def _scope_of(instance: ProcessInstance) -> dict[str, Any]:
    return {"record_kind": instance.record_kind, "person_id": instance.person_id,
            "municipality_code": instance.municipality_code,
            "institution_code": instance.institution_code,
            "orphan_court_code": instance.orphan_court_code,
            "confidential": instance.confidential}
