"""``outbox.send`` queues one row per recipient and channel in the job's transaction, says so on
the instance's history without breaking its hash chain, and queues nothing twice."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from adapters.registry import CallContext, lookup
from app.audit.chain import verify_instance_history
from app.config import PROJECT_ROOT
from app.db.models import Incident, OutboxMessage, ProcessInstance
from app.engine import incidents
from app.services import Services
from workers.jobs import run_due_jobs

from .conftest import events, job_of, rows

CONTACTS = PROJECT_ROOT / "data" / "notification_contacts.csv"


def test_each_recipient_gets_its_channels(web_services: Services,
                                          start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["orphan_court", "social_service", "institution", "ministry",
                               "police", "child_rights_inspectorate"])
    job = job_of(web_services, instance_id)
    assert job.status == "done"
    queued = rows(web_services, instance_id)
    assert job.result == {"queued": len(queued), "message_ids": [r.id for r in queued]}
    assert [(r.recipient_role, r.recipient_code, r.channel, r.address) for r in queued] == [
        ("orphan_court", "RIGA-BT", "npais", "RIGA"),
        ("social_service", "RIGA", "email", "socialais.dienests@riga.example"),
        ("social_service", "RIGA", "in_app", "RIGA"),
        ("institution", "VSAC-RIGA", "email", "pazinojumi@vsac-riga.example"),
        ("institution", "VSAC-RIGA", "in_app", "VSAC-RIGA"),
        ("ministry", "LM", "email", "di.pazinojumi@lm.example"),
        ("ministry", "LM", "in_app", "LM"),
        ("police", "police", "email", "pazinojumi@vp.example"),
        ("child_rights_inspectorate", "child_rights_inspectorate", "email",
         "pazinojumi@bti.example"),
    ]
    first = queued[0]
    assert {r.status for r in queued} == {"queued"}
    assert (first.topic, first.case_reference, first.due_date) == (
        "CHILD_SEPARATED", "P9-2026-0101", date(2026, 12, 15))
    # The instance's record scope travels with every row, so access is checked per record.
    assert {(r.record_kind, r.municipality_code, r.institution_code, r.orphan_court_code,
             r.confidential) for r in queued} == {
        ("child_protection", "RIGA", "VSAC-RIGA", "RIGA-BT", False)}
    assert len({r.delivery_key for r in queued}) == len(queued)
    assert [e.detail["message_id"] for e in events(web_services, instance_id)] == [
        r.id for r in queued]
    with web_services.sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        assert verify_instance_history(session, instance).intact


def test_an_explicit_organisation_code(web_services: Services,
                                       start_probe: Callable[..., int]) -> None:
    instance_id = start_probe([{"role": "social_service", "code": "JELGAVA"},
                               {"role": "orphan_court", "code": "JELGAVA-BT"}],
                              topic="PLACEMENT_STARTED")
    assert [(r.recipient_code, r.channel, r.address) for r in rows(web_services, instance_id)] == [
        ("JELGAVA", "email", "socialais.dienests@jelgava.example"),
        ("JELGAVA", "in_app", "JELGAVA"),
        ("JELGAVA-BT", "npais", "JELGAVA")]


def test_a_retried_job_queues_nothing_new(web_services: Services,
                                          start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["social_service"])
    job = job_of(web_services, instance_id)
    before = rows(web_services, instance_id)
    # The job runner calls the operation again with the same key (a worker died after it).
    again = lookup("outbox.send")(dict(job.parameters), CallContext(
        job.idempotency_key, instance_id=instance_id, services=web_services))
    assert again == {"queued": 2, "message_ids": [r.id for r in before]}
    with web_services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    assert len(events(web_services, instance_id)) == 2


def _incident_message(web_services: Services, instance_id: int) -> str:
    job = job_of(web_services, instance_id)
    assert job.status == "incident" and job.attempts == 1  # not retried: retrying cannot help
    with web_services.sessions() as session:
        incident = session.scalars(select(Incident).where(
            Incident.instance_id == instance_id)).one()
    assert rows(web_services, instance_id) == []
    return incident.message


def test_a_recipient_without_a_contact_is_an_incident_the_operator_understands(
        web_services: Services, start_probe: Callable[..., int]) -> None:
    instance_id = start_probe([{"role": "institution", "code": "SP-NEZINAMS"}])
    message = _incident_message(web_services, instance_id)
    assert message.startswith("outbox.send: recipient institution: no contact for 'SP-NEZINAMS'")
    assert "data/notification_contacts.csv" in message


def test_wrong_parameters_are_incidents(web_services: Services,
                                        start_probe: Callable[..., int]) -> None:
    unknown_role = start_probe(["prokuratura"], case_number="P9-2026-0102")
    assert "unknown recipient 'prokuratura'" in _incident_message(web_services, unknown_role)
    bad_date = start_probe(["police"], case_number="P9-2026-0103", due_date="15.12.2026")
    assert "'due_date' must be a date YYYY-MM-DD" in _incident_message(web_services, bad_date)
    not_npais = start_probe(["orphan_court"], case_number="P9-2026-0104", topic="SOMETHING_NEW")
    assert "not an NPAIS notice type" in _incident_message(web_services, not_npais)


def test_once_the_contact_is_added_the_operator_retries_the_incident(
        web_services: Services, start_probe: Callable[..., int], tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS.read_text(encoding="utf-8"), encoding="utf-8")
    web_services.settings = dataclasses.replace(web_services.settings,
                                                notification_contacts=contacts)
    instance_id = start_probe([{"role": "institution", "code": "SP-JAUNS"}])
    _incident_message(web_services, instance_id)
    with contacts.open("a", encoding="utf-8") as handle:
        handle.write("SP-JAUNS,Biedrība «Jauns sākums»,pazinojumi@jauns-sakums.example,yes,\n")
    with web_services.sessions() as session:
        [incident] = incidents.open_incidents(session, instance_id)
    incidents.retry(web_services.sessions, incident.id, "operators")
    assert run_due_jobs(web_services, "jobs-1") == 1
    assert job_of(web_services, instance_id).status == "done"
    assert [(r.recipient_name, r.channel) for r in rows(web_services, instance_id)] == [
        ("Biedrība «Jauns sākums»", "email"), ("Biedrība «Jauns sākums»", "in_app")]
