"""Many people on the same tasks at once, and two job runners and two timer schedulers racing
for the same rows, through the engine steps the web views and the workers call. No deadlock
(every thread ends), no lost update (the history replays to the rows), no double completion, no
job run twice, no timer fired twice.

tests/engine/test_concurrency.py has two people completing, or claiming, one task at one moment.
"""
from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy import select

from app.db import transaction
from app.db.models import Event, HumanTask
from app.engine.deploy import deploy_source
from app.engine.errors import EngineError
from app.engine.runtime import Actor
from app.services import Services
from tests.engine.helpers import one_task_process
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers

from .consistency import check_instances
from .harness import PROBE, REVIEWERS, deploy_probe, instance_counts, probe_data

TEAM = "team"
PEOPLE = [f"worker{i}" for i in range(8)]
SUPERVISOR = Actor("supervisor", frozenset({TEAM}))
# Long enough to hang a test that deadlocks, not a measure of speed.
HANG = 120.0


@dataclass
class Outcomes:
    """What each thread was told: successes, by (task, operation, who), and refusals by type."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    succeeded: Counter[tuple[int, str, str]] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)

    def record(self, task_id: int, operation: str, who: str, call: Callable[..., None],
               *args: Any) -> None:
        try:
            call(*args)
        except EngineError as err:
            with self.lock:
                self.refused[type(err).__name__] += 1
            return
        with self.lock:
            self.succeeded[(task_id, operation, who)] += 1

    def count(self, operation: str, task_id: int | None = None) -> int:
        return sum(n for (t, op, _), n in self.succeeded.items()
                   if op == operation and task_id in (None, t))


def _run_threads(targets: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG)
    assert not any(t.is_alive() for t in threads), "a thread is stuck: deadlock"


def test_many_people_claiming_releasing_assigning_and_completing_the_same_tasks(
        services: Services) -> None:
    with transaction(services.sessions) as session:
        deploy_source(session, "shared.bpmn", one_task_process("shared", groups=TEAM), "test")
    instance_ids = [services.engine.start("shared", {}, business_key=f"S-{i}", actor=Actor("t"))
                    for i in range(6)]
    with services.sessions() as session:
        task_ids = list(session.scalars(select(HumanTask.id).order_by(HumanTask.id)))
    outcomes = Outcomes()
    start = threading.Barrier(len(PEOPLE) + 1)

    def person(name: str, seed: int) -> None:
        rng, actor = random.Random(seed), Actor(name, frozenset({TEAM}))
        start.wait()
        for _ in range(30):
            task_id = rng.choice(task_ids)
            operation = rng.choices(["claim", "release", "complete"], [5, 3, 1])[0]
            if operation == "complete":
                outcomes.record(task_id, operation, name, services.engine.complete_task, task_id,
                                actor, {"by": name})
            else:
                call = services.engine.claim if operation == "claim" else services.engine.unclaim
                outcomes.record(task_id, operation, name, call, task_id, actor)

    def supervisor() -> None:
        rng = random.Random(99)
        start.wait()
        for _ in range(40):
            task_id, to = rng.choice(task_ids), rng.choice([*PEOPLE, None])
            outcomes.record(task_id, f"assign:{to}", SUPERVISOR.username, services.engine.assign,
                            task_id, SUPERVISOR, to)

    _run_threads([lambda n=n, i=i: person(n, i) for i, n in enumerate(PEOPLE)] + [supervisor])
    for task_id in task_ids:  # what the crowd left open, its assignee (or anyone) completes
        with services.sessions() as session:
            row = session.get(HumanTask, task_id)
            assert row is not None
            who = row.assignee or "closer"
        if row.status == "open":
            outcomes.record(task_id, "complete", who, services.engine.complete_task, task_id,
                            Actor(who, frozenset({TEAM})), {"by": who})

    assert outcomes.refused["NotYourTask"] > 0  # the crowd did get in each other's way
    with services.sessions() as session:
        rows = {r.id: r for r in session.scalars(select(HumanTask))}
        events = list(session.scalars(select(Event).where(Event.instance_id.in_(instance_ids))
                                      .order_by(Event.instance_id, Event.seq)))
        consistency = check_instances(session)
    assert consistency.problems == []
    assert dict(consistency.instances) == {"completed": len(instance_ids)}
    by_kind = Counter(e.kind for e in events)
    # Every success is in the history once, and nothing else is.
    assert by_kind["task_completed"] == outcomes.count("complete") == len(task_ids)
    assert by_kind["task_claimed"] == outcomes.count("claim")
    assert by_kind["task_released"] == outcomes.count("release")
    assert by_kind["task_assigned"] == sum(n for (_, op, _), n in outcomes.succeeded.items()
                                           if op.startswith("assign:"))
    for task_id in task_ids:
        assert outcomes.count("complete", task_id) == 1
        _replay(task_id, rows[task_id], [e for e in events if e.detail.get("task_id") == task_id])


def _replay(task_id: int, row: HumanTask, history: list[Event]) -> None:
    """The task's history, replayed, ends where its row is, and each step was allowed when it
    happened: a claim of an unassigned task, a release and a completion by the assignee (or of
    an unassigned task). A lost update, or a check made outside the lock, breaks one of these."""
    assignee: str | None = None
    completed_by = None
    for event in history:
        assert completed_by is None, f"task {task_id}: {event.kind} after its completion"
        if event.kind == "task_claimed":
            assert assignee in (None, event.actor), f"task {task_id}: claimed from {assignee}"
            assignee = event.actor
        elif event.kind == "task_released":
            assert assignee == event.actor, f"task {task_id}: released by {event.actor}"
            assignee = None
        elif event.kind == "task_assigned":
            assert event.detail["from"] == assignee, f"task {task_id}: assigned from a stale value"
            assignee = event.detail["to"]
        elif event.kind == "task_completed":
            assert assignee in (None, event.actor), f"task {task_id}: completed over {assignee}"
            completed_by = event.actor
    assert (row.status, row.completed_by, row.assignee) == ("completed", completed_by, assignee)


def test_two_job_runners_and_two_timer_schedulers_racing_for_the_same_rows(
        services: Services, simulators: dict[str, Any]) -> None:
    npais = simulators["npais"].url
    deploy_probe(services)
    instances = 30
    for number in range(1, instances + 1):
        business_key, data = probe_data(number, wait_for="PT0.5S")
        services.engine.start(PROBE, data, business_key=business_key, actor=Actor("t"))
    done = threading.Event()
    fired: Counter[str] = Counter()
    ran: Counter[str] = Counter()
    failures: list[BaseException] = []

    def loop(step: Callable[[], int]) -> Callable[[], None]:
        def run() -> None:
            try:
                while not done.is_set():
                    if not step():  # idle: poll again soon, as the workers' loops do
                        done.wait(0.02)
            except BaseException as err:  # noqa: BLE001 - the test reports it below
                failures.append(err)
                done.set()
        return run

    def counted(counter: Counter[str], name: str, step: Callable[[], int]) -> Callable[[], int]:
        def run() -> int:
            found = step()
            counter[name] += found
            return found
        return run

    def runner(name: str) -> Callable[[], None]:
        return loop(counted(ran, name, lambda: run_due_jobs(services, name, limit=3)))

    def scheduler(name: str) -> Callable[[], None]:
        return loop(counted(fired, name, lambda: fire_due_timers(services, name, limit=3)))

    reviewer = Actor("reviewer", frozenset({REVIEWERS}))

    def caseworker() -> int:
        with services.sessions() as session:
            open_tasks = list(session.scalars(select(HumanTask.id).where(HumanTask.status == "open")))
            all_done = instance_counts(session)["completed"] == instances
        for task_id in open_tasks:
            services.engine.complete_task(task_id, reviewer, {"reviewed": True})
        if all_done:
            done.set()
        return len(open_tasks)

    _run_threads([runner("runner-a"), runner("runner-b"), scheduler("scheduler-a"),
                  scheduler("scheduler-b"), loop(caseworker)])
    assert failures == []

    assert sum(fired.values()) == instances  # each timer fired by one scheduler, once
    assert sum(ran.values()) == 2 * instances  # each job claimed once, by one runner
    with services.sessions() as session:
        consistency = check_instances(session)
    assert consistency.problems == []
    assert consistency.job_attempts == consistency.jobs_done == 2 * instances
    assert consistency.timers_fired == instances
    ledger = requests.get(f"{npais}/_control/applied", timeout=5).json()
    assert len(ledger["applied"]) == 2 * instances
    assert set(ledger["received"].values()) == {1}  # no call was made twice
