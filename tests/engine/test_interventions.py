"""Moving a stuck instance's token (app.engine.interventions)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.chain import verify_instance_history
from app.db.models import Event, ProcessInstance
from app.engine import interventions
from app.engine.runtime import Actor
from app.services import Services

from .helpers import P9, PLACEMENT_FORM, deploy_processes, open_tasks, p9_start_data

INSTITUTION = Actor("inese", frozenset({"institution"}))


def test_token_moves_back_to_the_placement_task(services: Services) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-I-1", actor=Actor("t"))
    [placement] = open_tasks(services, iid)
    services.engine.complete_task(placement.id, INSTITUTION, PLACEMENT_FORM)
    [report] = open_tasks(services, iid)
    assert report.element_id == "submit_periodic_report"
    assert "register_placement" in interventions.movable_elements(services.engine, iid)

    interventions.move_token(services.engine, iid, "register_placement",
                             "placement registered with the wrong date", "olga")

    [again] = open_tasks(services, iid)
    assert again.element_id == "register_placement" and again.id != placement.id
    with services.sessions() as session:
        event = session.scalars(select(Event).where(
            Event.instance_id == iid, Event.kind == "manual_intervention")).one()
        found = session.get(ProcessInstance, iid)
        assert found is not None and verify_instance_history(session, found).intact
    assert event.actor == "olga" and event.detail["to"] == "register_placement"
    assert event.detail["reason"] == "placement registered with the wrong date"
    assert "submit_periodic_report" in event.detail["from"]
    # It runs on from there.
    services.engine.complete_task(again.id, INSTITUTION, PLACEMENT_FORM)
    assert [t.element_id for t in open_tasks(services, iid)] == ["submit_periodic_report"]


def test_token_move_needs_a_reason_and_a_reached_element(services: Services) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-I-2", actor=Actor("t"))
    with pytest.raises(interventions.MoveRefused, match="reason"):
        interventions.move_token(services.engine, iid, "register_placement", " ", "olga")
    with pytest.raises(interventions.MoveRefused, match="never reached"):
        interventions.move_token(services.engine, iid, "record_report", "skip", "olga")
    with pytest.raises(interventions.MoveRefused, match="no element"):
        interventions.move_token(services.engine, iid, "nowhere", "skip", "olga")
