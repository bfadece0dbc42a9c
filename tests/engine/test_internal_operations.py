"""The product's own service-task operations run only in the job runner, with the job's
instance, and a refusal of the data is an incident-worthy, non-retryable error naming them."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from adapters.registry import AdapterError, CallContext
from app.db.models import Notification
from app.engine.runtime import Actor
from app.internal_operations import instance_transaction, job_services
from app.services import Services
from tests.engine.helpers import P9, deploy_processes, open_tasks, p9_start_data


def test_outside_the_job_runner_they_are_refused() -> None:
    with pytest.raises(AdapterError, match="tasks.remind runs only inside the job runner") as err:
        job_services("tasks.remind", CallContext("key"))
    assert not err.value.retryable


def test_an_unknown_instance_is_refused(services: Services) -> None:
    call = CallContext("key", instance_id=987654, services=services)
    with pytest.raises(AdapterError, match="no process instance 987654"), \
            instance_transaction("documents.generate", call):
        pass


def test_a_refusal_rolls_back_and_names_the_operation(services: Services) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-I-1", actor=Actor("t"))
    [task] = open_tasks(services, iid)
    call = CallContext("key-1", instance_id=iid, services=services)
    with pytest.raises(AdapterError) as err, \
            instance_transaction("tasks.escalate", call, ValueError) as (session, instance):
        session.add(Notification(kind="escalation", instance_id=instance.id, task_id=task.id,
                                 recipient_groups="x", idempotency_key="key-1"))
        session.flush()
        raise ValueError("the supervisors' group is missing")
    assert str(err.value) == "tasks.escalate: the supervisors' group is missing"
    assert not err.value.retryable
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 0
