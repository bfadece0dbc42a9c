"""Two people completing the same task at the same moment: exactly one wins."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.db.models import Event, HumanTask
from app.engine.errors import TaskAlreadyCompleted
from app.engine.runtime import Actor
from app.services import Services

from .helpers import P9, PLACEMENT_FORM, deploy_processes, open_tasks, p9_start_data


def test_concurrent_completion_of_one_task_has_one_winner(services: Services) -> None:
    deploy_processes(services)
    for round_ in range(5):
        iid = services.engine.start(P9, p9_start_data(f"C-{round_}"), business_key=f"C-{round_}",
                                    actor=Actor("t"))
        [task] = open_tasks(services, iid)
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def complete(name: str, task_id: int = task.id, barrier: threading.Barrier = barrier,
                     outcomes: dict[str, object] = outcomes) -> None:
            barrier.wait()
            try:
                services.engine.complete_task(task_id, Actor(name, frozenset({"institution"})),
                                              PLACEMENT_FORM)
                outcomes[name] = "won"
            except TaskAlreadyCompleted as err:
                outcomes[name] = err

        threads = [threading.Thread(target=complete, args=(n,)) for n in ("anna", "peteris")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [n for n, o in outcomes.items() if o == "won"]
        [loser] = [o for o in outcomes.values() if isinstance(o, TaskAlreadyCompleted)]
        assert len(winners) == 1
        assert loser.completed_by == winners[0]
        assert f"already completed by {winners[0]}" in str(loser)
        with services.sessions() as session:
            completed = session.scalar(select(func.count()).select_from(HumanTask).where(
                HumanTask.instance_id == iid, HumanTask.status == "completed"))
            completions = session.scalar(select(func.count()).select_from(Event).where(
                Event.instance_id == iid, Event.kind == "task_completed"))
        assert (completed, completions) == (1, 1)
        assert [t.element_id for t in open_tasks(services, iid)] == ["submit_periodic_report"]


def test_concurrent_claims_of_one_task_have_one_winner(services: Services) -> None:
    from app.engine.errors import NotYourTask

    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data("CL-1"), business_key="CL-1", actor=Actor("t"))
    [task] = open_tasks(services, iid)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def claim(name: str) -> None:
        barrier.wait()
        try:
            services.engine.claim(task.id, Actor(name, frozenset({"institution"})))
            outcomes[name] = "won"
        except NotYourTask as err:
            outcomes[name] = err

    threads = [threading.Thread(target=claim, args=(n,)) for n in ("anna", "peteris")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [n for n, o in outcomes.items() if o == "won"]
    assert len(winners) == 1
    assert open_tasks(services, iid)[0].assignee == winners[0]
