"""In-app messages: the addressed organisation's users see them on /notifications (in their
record scope), with a count in the menu, and mark them received; nobody else sees them."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from app.auth.service import create_user
from app.db import transaction
from app.db.models import OutboxMessage
from app.services import Services
from tests.web.conftest import PASSWORD, csrf_from, login
from workers.outbox import send_due

from .conftest import events, rows

SECTION = "Paziņojumi organizācijai"


def _client(app: Flask, services: Services, username: str, organisation: str,
            roles: tuple[str, ...] = ("caseworker",),
            groups: tuple[str, ...] = ("institution",)) -> FlaskClient:
    with transaction(services.sessions) as session:
        create_user(session, username, username.capitalize(), PASSWORD, roles=list(roles),
                    groups=list(groups), organisation_code=organisation)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _in_app(services: Services, instance_id: int) -> list[OutboxMessage]:
    return [r for r in rows(services, instance_id) if r.channel == "in_app"]


def test_the_institution_sees_the_message_and_marks_it_received(
        app: Flask, web_services: Services, start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["institution"])
    inese = _client(app, web_services, "inese", "VSAC-RIGA")
    # Queued is not delivered yet: nothing to see.
    assert "Bērns šķirts no ģimenes" not in inese.get("/notifications").text
    assert send_due(web_services, "sender-1") == 2

    page = inese.get("/notifications")
    assert page.status_code == 200
    assert SECTION in page.text
    assert "Bērns šķirts no ģimenes" in page.text and "Lietā pieņemts lēmums" in page.text
    assert "P9-2026-0101" in page.text and "15.12.2026" in page.text
    assert 'class="count-badge"' in page.text and ">1</span>" in page.text

    [message] = _in_app(web_services, instance_id)
    done = inese.post(f"/notifications/messages/{message.id}/received",
                      data={"csrf_token": csrf_from(page)})
    assert done.status_code == 302
    [message] = _in_app(web_services, instance_id)
    assert message.status == "acknowledged"
    assert message.acknowledged_by == "inese"
    assert message.acknowledged_at is not None
    page = inese.get("/notifications")
    assert "Atzīmēt kā saņemtu" not in page.text
    assert 'class="count-badge"' not in page.text
    acknowledged = [e for e in events(web_services, instance_id)
                    if e.kind == "outbox_acknowledged"]
    assert [(e.actor, e.detail["by"]) for e in acknowledged] == [("inese", "inese")]


def test_other_organisations_do_not_see_it_or_mark_it(
        app: Flask, web_services: Services, start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["institution", "social_service"])
    assert send_due(web_services, "sender-1") == 4
    for_institution = _in_app(web_services, instance_id)[0]
    other_vsac = _client(app, web_services, "zane", "VSAC-VIDZEME")
    jelgava = _client(app, web_services, "sandra", "JELGAVA", groups=("social_service",))
    riga = _client(app, web_services, "dace", "RIGA", groups=("social_service",))
    for client in (other_vsac, jelgava):
        page = client.get("/notifications")
        assert SECTION in page.text and "Bērns šķirts no ģimenes" not in page.text
        answer = client.post(
            f"/notifications/messages/{for_institution.id}/received",
            data={"csrf_token": csrf_from(page)})
        assert answer.status_code == 404
    # Rīga's social service sees its own message, not the one to the institution.
    page = riga.get("/notifications")
    assert page.text.count("Bērns šķirts no ģimenes") == 1
    answer = riga.post(
        f"/notifications/messages/{for_institution.id}/received",
        data={"csrf_token": csrf_from(page)})
    assert answer.status_code == 404
    assert {r.status for r in _in_app(web_services, instance_id)} == {"sent"}


def test_an_auditor_reads_but_is_not_addressed(app: Flask, web_services: Services,
                                               start_probe: Callable[..., int]) -> None:
    start_probe(["ministry"])
    assert send_due(web_services, "sender-1") == 2
    auditor = _client(app, web_services, "anna", "LM-AUDIT", roles=("auditor",), groups=())
    assert "Bērns šķirts no ģimenes" not in auditor.get("/notifications").text
    ministry = _client(app, web_services, "laura", "LM", roles=("caseworker", "supervisor"),
                       groups=("ministry",))
    assert "Bērns šķirts no ģimenes" in ministry.get("/notifications").text


def test_the_history_page_names_each_step_of_the_delivery(
        app: Flask, web_services: Services, start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["institution"])
    send_due(web_services, "sender-1")
    auditor = _client(app, web_services, "auditore", "LM-AUDIT", roles=("auditor",), groups=())
    page = auditor.get(f"/instances/{instance_id}").text
    assert "Paziņojums ierindots sūtīšanai" in page and "Paziņojums nosūtīts" in page
    assert "iestāde VSAC-RIGA" in page and "DI Case sistēmā" in page
    assert ">outbox_queued<" not in page and ">outbox_sent<" not in page
