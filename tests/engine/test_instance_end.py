"""The step that ends an instance writes what it finished before closing what is left open:
on PostgreSQL a step's writes go as one statement in one snapshot, where two writes to the same
row would not both happen."""
from __future__ import annotations

from sqlalchemy import select

from app.db import transaction
from app.db.models import HumanTask, ProcessInstance
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.services import Services
from tests.engine.helpers import one_task_process

KEY = "p03_last_step"
SOURCE = one_task_process(KEY, groups="social_service")


def test_completing_the_last_task_marks_it_completed_not_cancelled(services: Services) -> None:
    with transaction(services.sessions) as session:
        deploy_source(session, "last_step.bpmn", SOURCE, "test")
    instance_id = services.engine.start(KEY, {}, actor=Actor("t"))
    with services.sessions() as session:
        task_id = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id)).one()
    services.engine.complete_task(task_id, Actor("anna", frozenset({"social_service"})), {})
    with services.sessions() as session:
        task = session.get(HumanTask, task_id)
        instance = session.get(ProcessInstance, instance_id)
        assert task is not None and instance is not None
        assert (task.status, task.completed_by) == ("completed", "anna")
        assert instance.status == "completed"
