"""The consistency check the reliability tests rely on finds what it is meant to find: a row
that went back to waiting, a waiting task without its row, a second row for one task, and an
event missing from a history."""
from __future__ import annotations

from sqlalchemy import delete, select, update

from app.db import transaction
from app.db.models import Event, HumanTask, Job, Timer
from app.engine.runtime import Actor
from app.services import Services
from workers.jobs import run_due_jobs

from .consistency import check_instances
from .harness import PROBE, deploy_probe, probe_data


def _start(services: Services, number: int, wait_for: str) -> int:
    business_key, data = probe_data(number, wait_for=wait_for)
    return services.engine.start(PROBE, data, business_key=business_key, actor=Actor("t"))


def test_the_check_passes_agreeing_instances_and_names_each_disagreement(
        services: Services, simulators: object) -> None:
    deploy_probe(services)
    # 1-4 wait at their review task; 5 waits on a timer a day away.
    waiting_review = [_start(services, n, "PT0S") for n in range(1, 5)]
    waiting_timer = _start(services, 5, "P1D")
    while run_due_jobs(services, "runner"):
        pass
    with services.sessions() as session:
        before = check_instances(session)
    assert before.problems == []
    assert (before.jobs_done, before.timers_fired) == (5, 0)  # PT0S fires as it is reached

    first, second, third, fourth = waiting_review
    with transaction(services.sessions) as session:
        session.execute(update(Job).where(Job.instance_id == first).values(status="ready"))
        session.execute(delete(HumanTask).where(HumanTask.instance_id == second))
        timer = session.scalars(select(Timer).where(Timer.instance_id == waiting_timer)).one()
        session.add(Timer(instance_id=waiting_timer, task_guid=timer.task_guid,
                          element_id=timer.element_id, due_at=timer.due_at, status="waiting"))
        last = session.scalars(select(Event).where(Event.instance_id == third)
                               .order_by(Event.seq.desc()).limit(1)).one()
        session.delete(last)

    with services.sessions() as session:
        after = check_instances(session)
    named = {int(p.split(":")[0].removeprefix("instance ")) for p in after.problems}
    assert named == {first, second, third, waiting_timer}, after.problems
    assert fourth not in named
    text = "\n".join(after.problems)
    assert "job row" in text and "its task is not waiting" in text
    assert "human task" in text and "waits without an open row" in text
    assert "has 2 rows" in text
    assert "event chain broken" in text
