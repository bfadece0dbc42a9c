"""Adoption data is the adoption register unit's alone: no municipality, orphan court, process
owner, administrator without the unit, or the ministry reads it through any page, search,
count, export, API or the process history. Auditors read it, read-only, and every read of a
child card or an adopter file is in the access log. The biological parents' data is shown to
the unit's supervisors only."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.access.scope import viewer_of, visible_instances, visible_tasks
from app.adoption import service
from app.api import keys
from app.auth.service import create_user
from app.db import transaction
from app.db.models import AccessLogEntry, AdoptionChild, AdoptionMatch, HumanTask, Notification
from app.domain.calendar import today_in_latvia
from app.services import Services
from tests.adoption.helpers import complete, make_adopter, make_child, run_all, unit
from tests.web.conftest import PASSWORD, app, login, web_services, web_settings  # noqa: F401

PARENTS = "Māte: Inga Paraudziņa"
# (username, roles, groups, organisation)
OUTSIDERS = [
    ("soc", ("caseworker", "supervisor"), ("social_service",), "RIGA"),
    ("bt", ("caseworker",), ("orphan_court",), "RIGA-BT"),
    ("procesi", ("process_owner",), (), "LM"),
    ("admin", ("admin",), (), "LM"),
    ("admin2", ("admin", "caseworker"), ("adoption_register",), None),
    ("lm", ("caseworker", "supervisor"), ("ministry", "adoption_register"), "LM"),
    ("vsac", ("caseworker",), ("institution",), "VSAC-RIGA"),
]


class World:
    child: int
    person: int
    adopter: int
    match: int
    instance: int
    task: int
    case_number: str


@pytest.fixture
def world(web_services: Services) -> World:  # noqa: F811
    services = web_services
    today = today_in_latvia()
    found = World()
    found.child = make_child(services, 55, born=today - timedelta(days=4 * 365), given="Rūta",
                             parents_info=PARENTS)
    found.adopter = make_adopter(services, "Anna")
    with services.sessions() as session:
        card = session.get(AdoptionChild, found.child)
        assert card is not None and card.person_id is not None
        found.person = card.person_id
        viewer = unit(session)
    started = service.start_match(services, viewer, [found.child], today)
    run_all(services)
    found.match, found.instance = started.match_id, started.instance_id
    with services.sessions() as session:
        task = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == found.instance, HumanTask.status == "open")).one()
        found.task = task.id
        match = session.get(AdoptionMatch, found.match)
        assert match is not None
    with services.sessions() as session:
        from app.db.models import ProcessInstance

        instance = session.get(ProcessInstance, found.instance)
        assert instance is not None and instance.business_key
        found.case_number = instance.business_key
    # a notification about the task exists for the unit (and must not show to anyone else)
    with transaction(services.sessions) as session:
        session.add(Notification(kind="reminder", instance_id=found.instance, task_id=found.task,
                                 recipient_groups="adoption_register",
                                 idempotency_key="p11-access-test",
                                 **service.scope_columns(found.person)))
    return found


def _client(app: Flask, services: Services, username: str, roles: tuple[str, ...],  # noqa: F811
            groups: tuple[str, ...], organisation: str | None) -> FlaskClient:
    with transaction(services.sessions) as session:
        create_user(session, username, username.capitalize(), PASSWORD, roles=list(roles),
                    groups=list(groups), organisation_code=organisation, locale="lv")
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def adoption_pages(world: World) -> list[str]:
    return ["/adoption/children", f"/adoption/children/{world.child}", "/adoption/adopters",
            f"/adoption/adopters/{world.adopter}",
            f"/adoption/adopters/{world.adopter}/extract.pdf", "/adoption/contacts.csv",
            "/adoption/matches", f"/adoption/matches/{world.match}"]


@pytest.mark.parametrize("who", OUTSIDERS, ids=[o[0] for o in OUTSIDERS])
def test_no_outsider_reads_adoption_data_anywhere(app: Flask, web_services: Services,  # noqa: F811
                                                  world: World, who: tuple[Any, ...]) -> None:
    client = _client(app, web_services, *who)
    for path in adoption_pages(world):
        assert client.get(path).status_code == 404, path
    for path in (f"/instances/{world.instance}", f"/instances/{world.instance}/history.json",
                 f"/instances/{world.instance}/history.pdf", f"/tasks/{world.task}",
                 f"/tasks/{world.task}/form"):
        assert client.get(path).status_code in (403, 404), path
    pages = [client.get(path).get_data(as_text=True) for path in (
        "/inbox", "/inbox?tab=groups", "/inbox?tab=team", "/inbox?person=R%C5%ABta",
        "/persons?q=B%C4%93rns55", "/instances", "/notifications", f"/persons/{world.person}")]
    for text in pages:
        assert world.case_number not in text and "Adopcij" not in text
        assert PARENTS not in text
    # the counts come from the same scope: nothing of the adoption register is counted
    with web_services.sessions() as session:
        viewer = viewer_of(session, who[0], who[1], who[2], who[3])
        assert session.scalar(select(func.count()).select_from(
            visible_tasks(viewer).subquery())) == 0
        assert session.scalar(select(func.count()).select_from(
            visible_instances(viewer).subquery())) == 0


def test_an_api_key_outside_the_unit_finds_nothing(app: Flask, web_services: Services,  # noqa: F811
                                                   world: World) -> None:
    for organisation in ("RIGA", "LM", "RIGA-BT"):
        with transaction(web_services.sessions) as session:
            secret = keys.create_key(session, organisation_code=organisation, name=organisation,
                                     roles=["caseworker", "supervisor"],
                                     groups=["adoption_register"], created_by="tests").secret
        client = app.test_client()
        headers = {"Authorization": f"ApiKey {secret}"}
        assert client.get(f"/api/v1/tasks/{world.task}", headers=headers).status_code == 404
        listed = client.get("/api/v1/tasks", headers=headers)
        assert listed.status_code == 200 and world.case_number not in listed.get_data(as_text=True)
        people = client.get("/api/v1/persons?q=R%C5%ABta", headers=headers)
        assert PARENTS not in people.get_data(as_text=True)


def test_the_unit_reads_and_parents_data_is_for_the_supervisor_only(
        app: Flask, web_services: Services, world: World) -> None:  # noqa: F811
    worker = _client(app, web_services, "marta", ("caseworker",), ("adoption_register",),
                     "LM-ADOPT")
    for path in adoption_pages(world):
        assert worker.get(path).status_code == 200, path
    card = worker.get(f"/adoption/children/{world.child}").get_data(as_text=True)
    assert "Rūta" in card and PARENTS not in card
    match = worker.get(f"/adoption/matches/{world.match}").get_data(as_text=True)
    assert "Anna Kalna" in match
    assert worker.get(f"/instances/{world.instance}").status_code == 200
    head = _client(app, web_services, "vadone", ("caseworker", "supervisor"),
                   ("adoption_register",), "LM-ADOPT")
    assert PARENTS in head.get(f"/adoption/children/{world.child}").get_data(as_text=True)
    contacts = worker.get("/adoption/contacts.csv")
    assert "anna@adopters.example" in contacts.get_data(as_text=True)
    assert contacts.headers["Cache-Control"] == "private, no-store"


def test_auditors_read_read_only_and_every_read_is_logged(
        app: Flask, web_services: Services, world: World) -> None:  # noqa: F811
    auditor = _client(app, web_services, "auditors", ("auditor",), (), "LM-AUDIT")
    card = auditor.get(f"/adoption/children/{world.child}")
    assert card.status_code == 200 and PARENTS not in card.get_data(as_text=True)
    assert "Start a match" not in card.get_data(as_text=True)
    assert auditor.get(f"/adoption/adopters/{world.adopter}").status_code == 200
    assert auditor.get(f"/adoption/matches/{world.match}").status_code == 200
    assert auditor.get("/adoption/contacts.csv").status_code == 403
    # a second match cannot be started by an auditor (the child is in a match anyway; try
    # the refusal on the service too)
    with web_services.sessions() as session:
        viewer = viewer_of(session, "auditors", ["auditor"], [], "LM-AUDIT")
    with pytest.raises(service.AdoptionError):
        service.start_match(web_services, viewer, [world.child], today_in_latvia())
    with web_services.sessions() as session:
        logged = {(e.username, e.action, e.record_type, e.record_id) for e in session.scalars(
            select(AccessLogEntry))}
        assert session.scalar(select(func.count()).select_from(AdoptionMatch)) == 1
    assert ("auditors", "view", "adoption_child", world.child) in logged
    assert ("auditors", "view", "adoption_adopter", world.adopter) in logged


def test_every_read_of_a_card_or_file_by_the_unit_is_logged(
        app: Flask, web_services: Services, world: World) -> None:  # noqa: F811
    worker = _client(app, web_services, "marta", ("caseworker",), ("adoption_register",),
                     "LM-ADOPT")
    worker.get(f"/adoption/children/{world.child}")
    worker.get(f"/adoption/children/{world.child}")
    worker.get(f"/adoption/adopters/{world.adopter}/extract.pdf")
    outsider = _client(app, web_services, "soc", ("caseworker",), ("social_service",), "RIGA")
    outsider.get(f"/adoption/children/{world.child}")
    with web_services.sessions() as session:
        rows = [(e.username, e.action, e.record_type, e.record_id) for e in session.scalars(
            select(AccessLogEntry).order_by(AccessLogEntry.id))]
    assert rows.count(("marta", "view", "adoption_child", world.child)) == 2
    assert ("marta", "download", "adoption_adopter", world.adopter) in rows
    assert ("soc", "denied", "adoption_child", world.child) in rows


def test_the_operators_outbox_page_does_not_show_the_adopters_message(
        app: Flask, web_services: Services, world: World) -> None:  # noqa: F811
    complete(web_services, world.instance, "propose_child",
             {"proposed_on": today_in_latvia().isoformat()})
    admin = _client(app, web_services, "admin", ("admin",), (), "LM")
    page = admin.get("/outbox")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "anna@adopters.example" not in text and world.case_number not in text
    # The message is there for the operator to send again, without what it is about.
    assert "Konfidenciāls ieraksts" in text
