"""Moving a stuck instance's token from the cockpit: a reason is required, the move lands in
the history as a manual_intervention."""
from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from app.db.models import Event, HumanTask
from app.engine.runtime import Actor
from app.services import Services
from tests.engine.helpers import P9, PLACEMENT_FORM, p9_start_data
from tests.web.conftest import post


def _open(services: Services, iid: int) -> list[str]:
    with services.sessions() as session:
        return list(session.scalars(select(HumanTask.element_id).where(
            HumanTask.instance_id == iid, HumanTask.status == "open")))


def test_operator_moves_a_token_back_with_a_reason(operator: FlaskClient,
                                                   web_services: Services) -> None:
    iid = web_services.engine.start(P9, p9_start_data(), business_key="P9-O-1", actor=Actor("t"))
    with web_services.sessions() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))
    assert task_id is not None
    web_services.engine.complete_task(task_id, Actor("inese", frozenset({"institution"})),
                                      PLACEMENT_FORM)
    assert "move-token" in operator.get("/operations").text

    refused = post(operator, "/operations/move-token",
                   {"instance_id": str(iid), "element_id": "register_placement", "reason": " "})
    assert refused.status_code == 302 and _open(web_services, iid) == ["submit_periodic_report"]

    done = post(operator, "/operations/move-token",
                {"instance_id": str(iid), "element_id": "register_placement",
                 "reason": "Ievietošanas datums kļūdains"})
    assert done.status_code == 302
    assert _open(web_services, iid) == ["register_placement"]
    with web_services.sessions() as session:
        event = session.scalars(select(Event).where(
            Event.instance_id == iid, Event.kind == "manual_intervention")).one()
    assert event.detail["reason"] == "Ievietošanas datums kļūdains"
