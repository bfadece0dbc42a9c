"""Comparing versions and moving running instances between them (app.engine.migration)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.audit.chain import verify_instance_history
from app.db import transaction
from app.db.models import Event, ProcessDefinition, ProcessInstance
from app.engine import migration
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.services import Services

from .helpers import (
    P9,
    PLACEMENT_FORM,
    deploy_processes,
    instance,
    open_tasks,
    p9_start_data,
    report_form,
    timers,
)

SOURCE = (Path(__file__).parents[2] / "processes" / f"{P9}.bpmn").read_text(encoding="utf-8")
INSTITUTION = Actor("inese", frozenset({"institution"}))


def report_form_changed() -> str:
    return SOURCE.replace("p09_periodic_report.json", "p09_periodic_report_v2.json")


def placement_removed() -> str:
    """P9 without the placement task: the start event leads straight to the reporting."""
    text = re.sub(r'\s*<bpmn:userTask id="register_placement".*?</bpmn:userTask>', "", SOURCE,
                  flags=re.DOTALL)
    text = re.sub(r'\s*<bpmn:sequenceFlow id="flow_register_init"[^>]*/>', "", text)
    text = re.sub(r'\s*<bpmndi:BPMN\w+ id="(register_placement|flow_register_init)_di".*?'
                  r'</bpmndi:BPMN\w+>', "", text)
    text = text.replace('targetRef="register_placement"', 'targetRef="start_reporting"')
    return text.replace("<bpmn:incoming>flow_register_init</bpmn:incoming>",
                        "<bpmn:incoming>flow_start_register</bpmn:incoming>")


def deploy(services: Services, source: str) -> None:
    with transaction(services.sessions) as session:
        deploy_source(session, f"{P9}.bpmn", source, "test")


def chain_intact(services: Services, instance_id: int) -> bool:
    with services.sessions() as session:
        found = session.get(ProcessInstance, instance_id)
        assert found is not None
        return verify_instance_history(session, found).intact


def waiting_for_report(services: Services) -> int:
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-M-1", actor=Actor("t"))
    [placement] = open_tasks(services, iid)
    services.engine.complete_task(placement.id, INSTITUTION, PLACEMENT_FORM)
    return iid


def test_compare_lists_the_changed_form() -> None:
    changes = migration.compare_sources(SOURCE, report_form_changed())
    assert [(c.element_id, c.change, c.fields) for c in changes] == [
        ("submit_periodic_report", "changed", ("form",))]


def test_compare_lists_a_removed_element() -> None:
    changes = migration.compare_sources(SOURCE, placement_removed())
    assert ("register_placement", "removed") in [(c.element_id, c.change) for c in changes]


def test_instance_moves_to_a_version_whose_form_changed_and_back(services: Services) -> None:
    deploy_processes(services)
    iid = waiting_for_report(services)
    [before] = open_tasks(services, iid)
    assert before.form_key == "p09_periodic_report.json"
    timers_before = [(t.element_id, t.status, t.due_at) for t in timers(services, iid)]
    deploy(services, report_form_changed())

    [candidate] = migration.plan(services.engine, P9, 1, 2)
    assert candidate.can_move and "submit_periodic_report" in candidate.waiting_in, candidate
    outcome = migration.migrate(services.engine, P9, 1, 2, "owner")
    assert outcome.migrated == [iid] and not outcome.refused

    [after] = open_tasks(services, iid)
    assert after.form_key == "p09_periodic_report_v2.json" and after.process_version == 2
    assert [(t.element_id, t.status, t.due_at) for t in timers(services, iid)] == timers_before
    with services.sessions() as session:
        definition_version = session.scalar(
            select(ProcessInstance.definition_id).where(ProcessInstance.id == iid))
        event = session.scalars(select(Event).where(Event.instance_id == iid,
                                                    Event.kind == "instance_migrated")).one()
    assert event.actor == "owner"
    assert (event.detail["from_version"], event.detail["to_version"]) == (1, 2)
    assert definition_version == event.detail["to_definition_id"]
    assert chain_intact(services, iid)

    migration.revert(services.engine, iid, "owner")
    [back] = open_tasks(services, iid)
    assert back.form_key == "p09_periodic_report.json"
    assert instance(services, iid).definition_id == event.detail["from_definition_id"]
    assert [(t.element_id, t.status, t.due_at) for t in timers(services, iid)] == timers_before
    assert chain_intact(services, iid)

    # Back on version 1, it still runs on: the report can be submitted.
    assert migration.plan(services.engine, P9, 1, 2)[0].can_move


def test_instance_waiting_in_a_removed_element_cannot_move(services: Services) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-M-2", actor=Actor("t"))
    deploy(services, placement_removed())

    [candidate] = migration.plan(services.engine, P9, 1, 2)
    assert not candidate.can_move
    assert "register_placement" in candidate.reason and "no longer has" in candidate.reason
    outcome = migration.migrate(services.engine, P9, 1, 2, "owner")
    assert outcome.migrated == [] and [c.instance_id for c in outcome.refused] == [iid]
    with pytest.raises(migration.MigrationRefused):
        migration.migrate_instance(services.engine, iid, 2, "owner")
    with services.sessions() as session:
        stays_on = session.get(ProcessDefinition, instance(services, iid).definition_id)
        assert stays_on is not None and (stays_on.process_key, stays_on.version) == (P9, 1)
    assert chain_intact(services, iid)


def test_revert_is_refused_once_the_instance_moved_on(services: Services) -> None:
    deploy_processes(services)
    iid = waiting_for_report(services)
    deploy(services, report_form_changed())
    migration.migrate_instance(services.engine, iid, 2, "owner")
    [report] = open_tasks(services, iid)
    services.engine.claim(report.id, INSTITUTION)
    services.engine.unclaim(report.id, INSTITUTION)  # no state change: still revertible
    migration.revert(services.engine, iid, "owner")
    migration.migrate_instance(services.engine, iid, 2, "owner")
    [report] = open_tasks(services, iid)
    services.engine.complete_task(report.id, INSTITUTION, report_form("2025-03-20", False))
    with pytest.raises(migration.MigrationRefused, match="moved on"):
        migration.revert(services.engine, iid, "owner")
    assert chain_intact(services, iid)
