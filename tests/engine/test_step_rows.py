"""The engine's own statements (app.engine.rows): what they store is what SQLAlchemy's column types
would store and give back, driver errors surface as SQLAlchemy's, a failed step leaves nothing
and its connection clean, and the version check refuses a stale write."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.audit.chain import verify_instance_history
from app.db import transaction
from app.db.models import Event, HumanTask, ProcessInstance
from app.engine import derive, rows
from app.engine.errors import TaskAlreadyCompleted
from app.engine.runtime import Actor
from app.engine.specs import specs_for
from app.services import Services

from .helpers import (
    P9,
    PLACEMENT_FORM,
    deploy_fixture,
    deploy_processes,
    open_tasks,
    p9_start_data,
)

INSTITUTION = Actor("inese", frozenset({"institution"}))


def test_timestamps_and_json_read_back_through_the_orm_as_written(services: Services) -> None:
    deploy_processes(services)
    before = datetime.now(UTC)
    iid = services.engine.start(P9, p9_start_data("R-1"), business_key="R-1", actor=Actor("t"))
    after = datetime.now(UTC)
    with services.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        assert instance.created_at.tzinfo is UTC and before <= instance.created_at <= after
        assert instance.updated_at == instance.created_at and instance.ended_at is None
        assert instance.version == 1 and instance.status == "active"
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == iid)).all()
        assert task.created_at.tzinfo is UTC and before <= task.created_at <= after
        events = session.scalars(select(Event).where(Event.instance_id == iid)
                                 .order_by(Event.seq)).all()
        assert [e.kind for e in events] == ["instance_started", "engine_ran"]
        assert events[0].detail["data"] == p9_start_data("R-1")
        assert before <= events[0].occurred_at <= after
        assert instance.event_seq == 2 and instance.last_event_hash == events[-1].hash
        assert verify_instance_history(session, instance).intact
    services.engine.complete_task(task.id, INSTITUTION, PLACEMENT_FORM)
    with services.sessions() as session:
        done = session.get(HumanTask, task.id)
        assert done is not None and done.status == "completed" and done.completed_by == "inese"
        assert done.completed_at is not None and after <= done.completed_at <= datetime.now(UTC)
    # The completion's time, read back by the engine itself, in the refusal of a second attempt.
    with pytest.raises(TaskAlreadyCompleted) as refused:
        services.engine.complete_task(task.id, INSTITUTION, PLACEMENT_FORM)
    assert f"by inese at {done.completed_at:%d.%m.%Y %H:%M} UTC" in str(refused.value)


def test_the_new_instance_id_is_the_one_the_database_gives(services: Services) -> None:
    deploy_processes(services)
    first = services.engine.start(P9, p9_start_data("R-2"), actor=Actor("t"))
    with transaction(services.sessions) as session:  # a row inserted by others in between
        session.execute(text(
            "INSERT INTO process_instance (definition_id, process_key, status, state, started_by, "
            "created_at, updated_at, event_seq, last_event_hash, version, record_kind, "
            "confidential) SELECT definition_id, process_key, 'completed', '{}', 'x', created_at, "
            "updated_at, 0, '', 1, 'other', confidential FROM process_instance WHERE id = :i"),
            {"i": first})
    second = services.engine.start(P9, p9_start_data("R-3"), actor=Actor("t"))
    assert second == first + 2
    assert [t.instance_id for t in open_tasks(services, second)] == [second]


def test_a_driver_error_is_sqlalchemys_and_the_step_leaves_nothing(services: Services) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data("R-4"), actor=Actor("t"))
    with services.sessions() as session:
        count = session.scalar(select(Event.id).where(Event.instance_id == iid)
                               .order_by(Event.id.desc()).limit(1))
    duplicate = rows.sql("INSERT INTO event (chain, seq, instance_id, occurred_at, kind, actor, "
                         "detail, prev_hash, hash) SELECT chain, seq, instance_id, occurred_at, "
                         "kind, actor, detail, prev_hash, hash FROM event WHERE id = ?")
    for _ in range(3):  # the connection goes back to the pool clean each time
        with pytest.raises(IntegrityError), rows.step(services.db) as tx:
            instance = rows.lock_instance(tx, iid)
            instance.status = "suspended"
            rows.write_instance_now(tx, instance)
            tx.run(duplicate, (count,))
    with services.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.status == "active" and instance.version == 1
    # And the pooled connections still work for the engine and for SQLAlchemy.
    [task] = open_tasks(services, iid)
    services.engine.complete_task(task.id, INSTITUTION, PLACEMENT_FORM)
    with services.sessions() as session:
        assert session.scalar(select(ProcessInstance.version).where(ProcessInstance.id == iid)) == 2


def test_a_write_over_a_version_not_read_is_refused(services: Services) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data("R-5"), actor=Actor("t"))
    with pytest.raises(rows.ConcurrentChange), rows.step(services.db) as tx:
        instance = rows.lock_instance(tx, iid)
        instance.version -= 1  # as if it had been read before someone else's write
        instance.status = "suspended"
        tx.event(instance, "instance_suspended", "t")
        rows.write_instance_now(tx, instance)
    with services.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.status == "active" and instance.event_seq == 2
        assert verify_instance_history(session, instance).intact


def test_a_stale_write_left_for_the_commit_is_refused_and_nothing_is_kept(
        services: Services) -> None:
    """The last writes of a step travel with its COMMIT (on PostgreSQL in one round trip, the
    version checked inside the statement): a guard that matches no row still refuses the whole
    step, the task, the other rows and the events included."""
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data("R-5b"), actor=Actor("t"))
    [task] = open_tasks(services, iid)
    with pytest.raises(rows.ConcurrentChange), rows.step(services.db) as tx:
        instance = rows.lock_instance(tx, iid)
        rows.complete_task(tx, task.id, "t")
        instance.version -= 1  # as if it had been read before someone else's write
        tx.event(instance, "task_completed", "t", task.element_id, {"task_id": task.id})
        rows.write_instance(tx, instance)  # left queued: the step's COMMIT sends it
    with services.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.version == 1 and instance.event_seq == 2
        assert session.get(HumanTask, task.id).status == "open"  # type: ignore[union-attr]
        assert verify_instance_history(session, instance).intact
    # The pooled connection is clean: the next step works.
    services.engine.complete_task(task.id, INSTITUTION, PLACEMENT_FORM)
    assert [t.element_id for t in open_tasks(services, iid)] == ["submit_periodic_report"]


def test_a_half_read_statement_does_not_leave_the_connection_behind(services: Services) -> None:
    """An error raised between a read and its use (and kept, with its traceback) must not leave
    the pooled connection in a transaction: the next step would see an old snapshot."""
    deploy_processes(services)
    kept: list[BaseException] = []
    for k in range(3):
        iid = services.engine.start(P9, p9_start_data(f"R-6-{k}"), actor=Actor("t"))
        [task] = open_tasks(services, iid)
        services.engine.complete_task(task.id, INSTITUTION, PLACEMENT_FORM)
        try:
            services.engine.complete_task(task.id, INSTITUTION, PLACEMENT_FORM)
        except TaskAlreadyCompleted as err:
            kept.append(err)
        assert [t.element_id for t in open_tasks(services, iid)] == ["submit_periodic_report"]
    assert len(kept) == 3


def test_the_kinds_of_derived_rows_come_from_the_spec(services: Services) -> None:
    deploy_processes(services)
    deploy_fixture(services, "await_message.bpmn")
    deploy_fixture(services, "wait_then_call.bpmn")
    kinds = {}
    with rows.step(services.db) as tx:
        for key in (P9, "await_message", "wait_then_call"):
            definition, _ = rows.latest_of(rows.latest_definition(tx, key), key)
            kinds[key] = derive.kinds_of(specs_for(tx, definition))
    assert derive.HUMAN in kinds[P9]
    assert derive.MESSAGE in kinds["await_message"] and derive.TIMER not in kinds["await_message"]
    assert {derive.TIMER, derive.JOB} <= kinds["wait_then_call"]


def test_times_bind_as_utc_datetime_does(services: Services) -> None:
    from app.db.models.base import UTCDateTime

    moment = datetime(2026, 3, 29, 3, 30, 0, tzinfo=UTC) + timedelta(hours=3)
    with rows.step(services.db) as tx:
        bound = tx.time(moment.astimezone())
        expected = UTCDateTime().process_bind_param(moment, services.db.dialect)
        if tx.postgres:
            assert bound == expected
        else:  # SQLAlchemy's DATETIME text on SQLite
            assert bound == "2026-03-29 06:30:00.000000" and expected == moment.replace(tzinfo=None)
        assert rows.Tx.read_time(bound) == moment
        with pytest.raises(ValueError):
            tx.time(datetime(2026, 1, 1))  # naive: refused


def _kill_pooled_connection(services: Services) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    with services.db.connect() as conn:  # the connection the pool hands out next
        pid = conn.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
    other = create_engine(services.db.url, poolclass=NullPool)
    with other.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()


def test_a_server_connection_lost_while_idle_is_replaced_before_use(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    import app.db

    if services.db.dialect.name != "postgresql":
        pytest.skip("a server connection")
    deploy_processes(services)
    # Idle long enough to be pinged: the lost connection is replaced, the step does not notice.
    monkeypatch.setattr(app.db, "PING_AFTER_IDLE_SECONDS", 0.0)
    _kill_pooled_connection(services)
    services.engine.start(P9, p9_start_data("R-7"), actor=Actor("t"))
    # Used a moment ago, so not pinged: the step fails once, its connection is dropped, and
    # the next step gets a working one.
    monkeypatch.setattr(app.db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    _kill_pooled_connection(services)
    with pytest.raises(OperationalError):
        services.engine.start(P9, p9_start_data("R-8"), actor=Actor("t"))
    iid = services.engine.start(P9, p9_start_data("R-9"), actor=Actor("t"))
    assert [t.element_id for t in open_tasks(services, iid)] == ["register_placement"]


def test_writes_too_many_for_one_statement_go_one_by_one(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rows, "_MAX_PARAMETERS", 0)
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data("R-10"), actor=Actor("t"))
    [task] = open_tasks(services, iid)
    services.engine.complete_task(task.id, INSTITUTION, PLACEMENT_FORM)
    with pytest.raises(rows.ConcurrentChange), rows.step(services.db) as tx:
        instance = rows.lock_instance(tx, iid)
        instance.version -= 1
        tx.event(instance, "instance_suspended", "t")
        rows.write_instance_now(tx, instance)
    with services.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None and instance.version == 2
        assert verify_instance_history(session, instance).intact
    assert [t.element_id for t in open_tasks(services, iid)] == ["submit_periodic_report"]
