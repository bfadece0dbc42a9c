from __future__ import annotations

from sqlalchemy import select, text

from app.audit.chain import SYSTEM_CHAIN, verify_chain, verify_instance_history
from app.db import transaction
from app.db.models import Event, ProcessInstance
from app.engine.runtime import Actor
from app.services import Services

from .helpers import P9, PLACEMENT_FORM, deploy_processes, open_tasks, p9_start_data


def _history(services: Services, iid: int):  # type: ignore[no-untyped-def]
    with services.sessions() as session:
        found = session.get(ProcessInstance, iid)
        return verify_instance_history(session, found)


def _started(services: Services) -> int:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data(), business_key="H-1", actor=Actor("t"))
    services.engine.complete_task(open_tasks(services, iid)[0].id,
                                  Actor("inese", frozenset({"institution"})), PLACEMENT_FORM)
    return iid


def test_an_untouched_history_verifies(services: Services) -> None:
    iid = _started(services)
    check = _history(services, iid)
    assert check.intact and check.events >= 4
    with services.sessions() as session:
        assert verify_chain(session, SYSTEM_CHAIN).intact


def test_an_edited_event_is_detected_at_its_place(services: Services) -> None:
    iid = _started(services)
    with transaction(services.sessions) as session:
        target = session.scalars(select(Event).where(Event.instance_id == iid,
                                                     Event.kind == "task_completed")).one()
        session.execute(text("UPDATE event SET actor = 'someone-else' WHERE id = :id"),
                        {"id": target.id})
        seq = target.seq
    check = _history(services, iid)
    assert not check.intact and check.first_bad_seq == seq
    assert "changed" in check.problem


def test_removed_events_are_detected_in_the_middle_and_at_the_end(services: Services) -> None:
    iid = _started(services)
    with transaction(services.sessions) as session:
        last = session.scalars(select(Event).where(Event.instance_id == iid)
                               .order_by(Event.seq.desc()).limit(1)).one()
        session.execute(text("DELETE FROM event WHERE id = :id"), {"id": last.id})
    assert not _history(services, iid).intact
    with transaction(services.sessions) as session:
        session.execute(text("DELETE FROM event WHERE instance_id = :i AND seq = 2"), {"i": iid})
    check = _history(services, iid)
    assert not check.intact and check.first_bad_seq == 2
