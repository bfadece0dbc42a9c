"""Reminders and escalations: a task's boundary timers fire, the job runner makes the
notifications, and each person sees those addressed to them, in their scope, while the task is
open."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.db import transaction
from app.db.models import Notification
from app.domain.calendar import today_in_latvia
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
from app.notifications import service
from app.notifications.service import ESCALATION, NotificationError, notify
from app.services import Services
from tests.web.conftest import PASSWORD, login, open_tasks, start_for_child
from workers.jobs import run_due_jobs

KEY = "p03_deadline_probe"


def deadline_process(due: str, remind_at: str) -> str:
    """One social-service task with a due date, a reminder and an escalation (both timers are
    non-interrupting, so the task stays open)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="d" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="{KEY}" name="Termiņa pārbaude" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="submit_records" name="Iesniegt pakalpojumu datus">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidateGroups" value="social_service" />
        <spiffworkflow:property name="dueDate" value="'{due}'" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="reminder" cancelActivity="false" attachedToRef="submit_records">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">'{remind_at}'</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:serviceTask id="remind">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="tasks.remind" resultVariable="reminded">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="task" type="str" value="'submit_records'" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="reminded_end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="overdue" cancelActivity="false" attachedToRef="submit_records">
      <bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">'{due}'</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:serviceTask id="escalate">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="tasks.escalate" resultVariable="escalated">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="task" type="str" value="'submit_records'" />
            <spiffworkflow:parameter id="supervisor_group" type="str" value="'social_service_supervisor'" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f5</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="escalated_end"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="submit_records" />
    <bpmn:sequenceFlow id="f2" sourceRef="submit_records" targetRef="end" />
    <bpmn:sequenceFlow id="f3" sourceRef="reminder" targetRef="remind" />
    <bpmn:sequenceFlow id="f4" sourceRef="remind" targetRef="reminded_end" />
    <bpmn:sequenceFlow id="f5" sourceRef="overdue" targetRef="escalate" />
    <bpmn:sequenceFlow id="f6" sourceRef="escalate" targetRef="escalated_end" />
  </bpmn:process>
</bpmn:definitions>
"""


def viewer(services: Services, username: str, groups: list[str], organisation: str,
           roles: tuple[str, ...] = ("caseworker",)):  # type: ignore[no-untyped-def]
    with services.sessions() as session:
        return viewer_of(session, username, roles, groups, organisation)


def start_overdue(services: Services, case_number: str, municipality: str = "RIGA") -> int:
    """An instance whose reminder and deadline have both passed; returns the instance id."""
    with transaction(services.sessions) as session:
        deploy_source(session, f"{KEY}.bpmn", deadline_process("2025-01-31T22:00:00+00:00",
                                                               "2025-01-25T22:00:00+00:00"),
                      "test")
    return start_for_child(services, KEY, {}, case_number, municipality=municipality)


@pytest.fixture
def overdue_instance(web_services: Services) -> int:
    instance_id = start_overdue(web_services, "P3-NOTIFY-1")
    # Both timers were due when the instance started: two jobs wait, and the runner makes them.
    assert run_due_jobs(web_services, "w1") == 2
    return instance_id


def test_the_group_is_reminded_and_the_supervisors_see_the_escalation(
        web_services: Services, overdue_instance: int) -> None:
    worker = viewer(web_services, "dace", ["social_service"], "RIGA")
    chief = viewer(web_services, "guntis", ["social_service", "social_service_supervisor"],
                   "RIGA", ("caseworker", "supervisor"))
    with web_services.sessions() as session:
        seen_by_worker = service.for_viewer(session, worker)
        seen_by_chief = service.for_viewer(session, chief)
    assert [n.kind for n in seen_by_worker] == ["reminder"]
    assert seen_by_worker[0].row.task.element_name == "Iesniegt pakalpojumu datus"
    # The deadline passes at midnight in Latvia: the due day is the day before it.
    assert seen_by_worker[0].row.due_day == date(2025, 1, 31)
    assert seen_by_worker[0].row.due_state == "overdue"
    assert seen_by_worker[0].row.person_name == "Bērns P3-NOTIFY-1"
    # The supervisor is in the group too, but the passed deadline says all the reminder did.
    assert [n.kind for n in seen_by_chief] == ["escalation"]


def test_nobody_outside_the_scope_or_the_groups_sees_them(
        web_services: Services, overdue_instance: int) -> None:
    elsewhere = viewer(web_services, "sandra", ["social_service", "social_service_supervisor"],
                       "JELGAVA", ("caseworker", "supervisor"))
    other_group = viewer(web_services, "inese", ["institution"], "VSAC-RIGA")
    auditor = viewer(web_services, "anna", [], "LM-AUDIT", ("auditor",))
    with web_services.sessions() as session:
        for person in (elsewhere, other_group, auditor):
            assert service.for_viewer(session, person) == []
            assert service.count_for_viewer(session, person) == 0


def test_a_reminder_of_an_assigned_task_goes_to_the_assignee_only(web_services: Services) -> None:
    instance_id = start_overdue(web_services, "P3-NOTIFY-2")
    [task] = open_tasks(web_services, instance_id)
    web_services.engine.claim(task.id, Actor("dace", frozenset({"social_service"})))
    assert run_due_jobs(web_services, "w1") == 2
    with web_services.sessions() as session:
        mine = service.for_viewer(session, viewer(web_services, "dace", ["social_service"], "RIGA"))
        colleague = service.for_viewer(session, viewer(web_services, "ilze", ["social_service"],
                                                       "RIGA"))
    assert [n.kind for n in mine] == ["reminder"]
    assert colleague == []


def test_a_retried_job_makes_nothing_twice(web_services: Services, overdue_instance: int) -> None:
    with transaction(web_services.sessions) as session:
        key = session.scalars(select(Notification.idempotency_key).where(
            Notification.kind == ESCALATION)).one()
        assert notify(session, overdue_instance, "submit_records", ESCALATION, key,
                      "social_service_supervisor") == 1
    with web_services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 2


def test_an_escalation_without_a_supervisor_group_is_refused(
        web_services: Services, overdue_instance: int) -> None:
    with transaction(web_services.sessions) as session, pytest.raises(NotificationError):
        notify(session, overdue_instance, "submit_records", ESCALATION, "fresh-key", " ")


def test_notifications_end_with_the_task(web_services: Services, overdue_instance: int) -> None:
    [task] = open_tasks(web_services, overdue_instance)
    web_services.engine.complete_task(task.id, Actor("dace", frozenset({"social_service"})), {})
    chief = viewer(web_services, "guntis", ["social_service_supervisor"], "RIGA",
                   ("caseworker", "supervisor"))
    with web_services.sessions() as session:
        assert service.for_viewer(session, chief) == []


def test_the_page_and_the_menu_count(app: Flask, web_services: Services,
                                     overdue_instance: int) -> None:
    with transaction(web_services.sessions) as session:
        create_user(session, "guntis", "Guntis", PASSWORD, roles=["caseworker", "supervisor"],
                    groups=["social_service", "social_service_supervisor"],
                    organisation_code="RIGA")
    client: FlaskClient = app.test_client()
    assert login(client, "guntis").status_code == 302
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "Iesniegt pakalpojumu datus" in page.text
    assert "Eskalēts: termiņš pagājis" in page.text
    assert 'class="count-badge"' in page.text and ">1</span>" in page.text  # one task to see to
    assert today_in_latvia().strftime("%d.%m.%Y") in page.text  # when they were made, DD.MM.YYYY
    assert "31.01.2025" in page.text and "01.02.2025" not in page.text  # the due day
    assert "Bērns P3-NOTIFY-1" in page.text and "Nokavēts" in page.text


def test_the_page_needs_a_sign_in(app: Flask, make_user: Callable[..., str]) -> None:
    response = app.test_client().get("/notifications")
    assert response.status_code in (302, 401)
