"""P9's demo children through the real engine, job runner and simulators: the states the demo
promises (overdue, due within 14 days, a delivered report, an NPAIS placement to register)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.db.models import HumanTask, PeriodicReportDelivery
from app.domain.calendar import today_in_latvia
from app.out_of_family_care import demo, panels
from app.services import Services
from tests.engine.helpers import deploy_processes


def test_the_demo_children_are_in_the_promised_states(services: Services) -> None:
    deploy_processes(services)
    today = today_in_latvia()
    demo.load_demo(services, today)
    demo.load_demo(services, today)  # idempotent
    with services.sessions() as session:
        open_tasks = list(session.scalars(select(HumanTask).where(HumanTask.status == "open")))
        assert sorted(t.element_id for t in open_tasks) == [
            "register_placement", "submit_periodic_report", "submit_periodic_report",
            "submit_periodic_report"]
        dues = sorted(t.due_at.date() for t in open_tasks if t.due_at)
        assert dues[0] < today  # one overdue
        assert any(today <= d <= today + timedelta(days=panels.DUE_SOON_DAYS + 1) for d in dues)
        assert len(session.scalars(select(PeriodicReportDelivery)).all()) == 1
