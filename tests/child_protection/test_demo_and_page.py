"""P10's demo cases through the simulators, and the decisions page with the case file as the
orphan court and another municipality see them."""
from __future__ import annotations

from datetime import date

from flask import Flask
from sqlalchemy import select

from app.auth.service import create_user
from app.child_protection.demo import load_demo
from app.db import transaction
from app.db.models import AccessLogEntry, ChildProtectionDecision, ProcessInstance
from app.services import Services
from tests.web.conftest import PASSWORD, app, login, web_services, web_settings  # noqa: F401 - the web fixtures


def _user(services: Services, username: str, organisation: str, group: str) -> None:
    with transaction(services.sessions) as session:
        create_user(session, username, username.capitalize(), PASSWORD, roles=["caseworker"],
                    groups=[group], organisation_code=organisation)


def test_demo_decisions_and_the_page(app: Flask, web_services: Services) -> None:  # noqa: F811
    services = web_services
    load_demo(services, date.today())
    load_demo(services, date.today())  # a second load adds nothing
    with services.sessions() as session:
        rows = session.scalars(select(ChildProtectionDecision)
                               .order_by(ChildProtectionDecision.id)).all()
        assert [r.kind for r in rows] == ["SEPARATION", "SEPARATION", "RETURN"]
        placed, returned = rows[0], rows[1]
        assert placed.placement_instance_id is not None
        assert session.get(ProcessInstance, placed.placement_instance_id).status == "active"  # type: ignore[union-attr]
        assert session.get(ProcessInstance, placed.instance_id).status == "active"  # type: ignore[union-attr,arg-type]
        assert session.get(ProcessInstance, returned.instance_id).status == "completed"  # type: ignore[union-attr,arg-type]
        assert session.get(ProcessInstance, returned.placement_instance_id).status == "completed"  # type: ignore[union-attr,arg-type]

    _user(services, "bt", "RIGA-BT", "orphan_court")
    _user(services, "jelgava", "JELGAVA", "social_service")
    court = app.test_client()
    assert login(court, "bt").status_code == 302
    page = court.get("/child-protection/decisions")
    assert page.status_code == 200
    assert "DEMO-RIGA-BT-0001" in page.text and "Gatis Jansons" in page.text
    file = court.get(f"/persons/{placed.person_id}")
    assert file.status_code == 200 and "Policija konstatēja" in file.text
    other = app.test_client()
    assert login(other, "jelgava").status_code == 302
    assert "DEMO-RIGA-BT" not in other.get("/child-protection/decisions").text
    assert other.get(f"/persons/{placed.person_id}").status_code == 404
    with services.sessions() as session:
        looks = session.scalars(select(AccessLogEntry.record_type).where(
            AccessLogEntry.username == "bt")).all()
    assert "person_list" in looks and "person" in looks
