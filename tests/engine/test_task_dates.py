"""Due and follow-up dates of a user task come from the BPMN (task properties evaluated in the
sandbox), and the human task carries the record scope of its instance."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.access.scope import Scope
from app.db import transaction
from app.db.models import HumanTask
from app.domain.calendar import end_of_day
from app.engine.deploy import deploy_source
from app.engine.errors import DeploymentError
from app.engine.runtime import Actor
from app.services import Services
from tests.engine.helpers import one_task_process

KEY = "p03_dated_task"


def _bpmn(due: str, follow_up: str) -> str:
    return one_task_process(KEY, groups="social_service", task_name="Review",
                            properties={"dueDate": due, "followUpDate": follow_up})


def test_due_and_follow_up_dates_are_evaluated_from_the_task_properties(
        services: Services) -> None:
    with transaction(services.sessions) as session:
        deploy_source(session, "dated.bpmn", _bpmn("decision_date", "add_months(decision_date, -1)"),
                      "test")
    scope = Scope.for_process(KEY, municipality_code="RIGA", person_id=None)
    instance_id = services.engine.start(KEY, {"decision_date": "2026-06-30"},
                                        actor=Actor("t"), scope=scope)
    with services.sessions() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()
    assert task.due_at == end_of_day(date(2026, 6, 30))
    assert task.follow_up_at == end_of_day(date(2026, 5, 30))
    # The task is stamped with its instance's scope, so the inbox filters one table.
    assert (task.record_kind, task.municipality_code, task.confidential) == ("service", "RIGA",
                                                                            False)


def test_a_follow_up_expression_that_does_not_compile_is_refused_at_deployment(
        services: Services) -> None:
    with transaction(services.sessions) as session, pytest.raises(DeploymentError) as refused:
        deploy_source(session, "dated.bpmn", _bpmn("decision_date", "decision_date +"), "test")
    assert "work" in str(refused.value)
