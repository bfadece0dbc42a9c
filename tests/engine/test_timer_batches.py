"""A crowd of due timers is fired in batches, one transaction per batch: all or nothing, and a
batch that fails is fired again one timer at a time, so one broken instance costs the others
nothing but a retry."""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.chain import verify_instance_history
from app.config import Settings
from app.db.models import Incident, ProcessInstance
from app.engine.errors import ScriptFailed
from app.engine.runtime import Actor
from app.services import Services, build_services
from workers.timers import claim_due_timers, fire_due_timers

from .helpers import deploy_fixture, event_kinds, open_tasks, timers


@pytest.fixture
def batched(settings: Settings) -> Iterator[Services]:
    """Services whose scheduler fires three timers per transaction."""
    services = build_services(dataclasses.replace(settings, timer_batch=3))
    yield services
    services.db.dispose()


def _waiting_instances(services: Services, divisors: list[int]) -> list[int]:
    """Instances whose timer falls due a moment from now, then that moment waited for."""
    deploy_fixture(services, "wait_then_share.bpmn")
    due = datetime.now(UTC) + timedelta(seconds=1)
    ids = [services.engine.start("wait_then_share", {"due": due.isoformat(), "divisor": d},
                                 business_key=f"B-{k}", actor=Actor("t"))
           for k, d in enumerate(divisors)]
    assert all(t.status == "waiting" for iid in ids for t in timers(services, iid))
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 0.05)
    return ids


def test_a_crowd_of_timers_fires_in_batches(batched: Services) -> None:
    services = batched
    ids = _waiting_instances(services, [1, 2, 4, 5, 10, 20, 25])
    assert fire_due_timers(services, "w1") == 7
    for iid, share in zip(ids, [100, 50, 25, 20, 10, 5, 4], strict=True):
        [timer] = timers(services, iid)
        assert timer.status == "fired" and timer.fired_at is not None
        [check] = open_tasks(services, iid)
        assert check.element_id == "check"
        assert services.engine.task_data(check.id)["share"] == share
        assert event_kinds(services, iid).count("timer_fired") == 1
        with services.sessions() as session:
            assert verify_instance_history(session, session.get(ProcessInstance, iid)).intact


def test_a_batch_is_all_or_nothing(services: Services) -> None:
    ids = _waiting_instances(services, [1, 0, 2])
    claimed = claim_due_timers(services, "w1")
    assert len(claimed) == 3
    with pytest.raises(ScriptFailed):
        services.engine.fire_timers(claimed, "w1")
    # The instance before the broken one was fired in the same transaction: rolled back too.
    for iid in ids:
        assert [t.status for t in timers(services, iid)] == ["waiting"]
        assert "timer_fired" not in event_kinds(services, iid)
        assert open_tasks(services, iid) == []


def test_a_failed_batch_is_fired_one_by_one(batched: Services) -> None:
    services = batched
    ok_first, broken, ok_last = _waiting_instances(services, [1, 0, 2])
    assert fire_due_timers(services, "w1") == 2
    for iid in (ok_first, ok_last):
        assert [t.status for t in timers(services, iid)] == ["fired"]
        assert [t.element_id for t in open_tasks(services, iid)] == ["check"]
    # The broken instance is an incident an operator can see and retry; nothing else of it moved.
    assert [t.status for t in timers(services, broken)] == ["incident"]
    assert open_tasks(services, broken) == []
    with services.sessions() as session:
        [incident] = session.scalars(select(Incident).where(Incident.instance_id == broken))
        assert incident.kind == "timer" and incident.element_id == "share"
        assert "division" in incident.message.lower() or "zero" in incident.message.lower()
    assert fire_due_timers(services, "w1") == 0  # nothing is left to fire, nothing fires twice
