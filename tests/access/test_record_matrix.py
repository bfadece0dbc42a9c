"""Who may read and change which record: every kind of organisation × every kind of record ×
own and other organisation, walked through the web app as each person would.

Records: an adult's needs assessment (P1-like), a child's out-of-family care case (P9-like) and
an adoption case (P11-like), once in Rīga (VSAC «Rīga», Rīga's orphan court, Rīga planning
region) and once in Daugavpils (VSAC «Latgale», Daugavpils' orphan court, Latgale). Every task
is offered to a group every test user belongs to, so only the record scope decides.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person, start_process_for
from app.db import transaction
from app.db.models import AccessLogEntry, HumanTask
from app.demo import valid_personal_code
from app.engine.deploy import deploy_source
from app.services import Services
from tests.engine.helpers import one_task_process
from tests.web.conftest import PASSWORD, login, post

GROUP = "matrix"
PROCESSES = {"assessment": "p01_matrix_assessment", "child": "p09_matrix_child",
             "adoption": "p11_matrix_adoption"}


@dataclass(frozen=True)
class Place:
    municipality: str
    institution: str
    orphan_court: str


PLACES = {"riga": Place("RIGA", "VSAC-RIGA", "RIGA-BT"),
          "dpils": Place("DAUGAVPILS", "VSAC-LATGALE", "DAUGAVPILS-BT")}
RECORDS = [f"{place}_{kind}" for place in PLACES for kind in PROCESSES]

# (organisation, role) → the records it may read. Everything else must be invisible.
EXPECTED_READ = {
    ("RIGA", "caseworker"): {"riga_assessment", "riga_child"},
    ("DAUGAVPILS", "caseworker"): {"dpils_assessment", "dpils_child"},
    ("PR-RIGA", "interviewer"): {"riga_assessment"},
    ("PR-LATGALE", "interviewer"): {"dpils_assessment"},
    ("VSAC-RIGA", "caseworker"): {"riga_assessment", "riga_child"},
    ("VSAC-LATGALE", "caseworker"): {"dpils_assessment", "dpils_child"},
    ("SP-ATBALSTS", "caseworker"): set(),
    ("RIGA-BT", "caseworker"): {"riga_child"},
    ("DAUGAVPILS-BT", "caseworker"): {"dpils_child"},
    ("LM", "caseworker"): {"riga_assessment", "riga_child", "dpils_assessment", "dpils_child"},
    ("LM-ADOPT", "caseworker"): {"riga_adoption", "dpils_adoption"},
    ("LM-AUDIT", "auditor"): set(RECORDS),
    ("LM", "process_owner"): {"riga_assessment", "riga_child", "dpils_assessment", "dpils_child"},
}
# Who may change what they can read: those who work on cases; auditors and process owners never.
WRITERS = {"caseworker", "interviewer"}


@dataclass
class World:
    persons: dict[str, int]
    tasks: dict[str, int]
    codes: dict[str, str]


@pytest.fixture
def world(web_services: Services) -> World:
    with transaction(web_services.sessions) as session:
        for key in PROCESSES.values():
            deploy_source(session, f"{key}.bpmn",
                          one_task_process(key, groups=GROUP, task_name=f"Matrix work {key}"), "test")
    persons, tasks, codes = {}, {}, {}
    for number, record in enumerate(RECORDS, start=100):
        place_name, kind = record.split("_")
        place = PLACES[place_name]
        code = valid_personal_code(number)
        with transaction(web_services.sessions) as session:
            registrar = viewer_of(session, "registrar", ["caseworker"], [GROUP],
                                  "LM-ADOPT" if kind == "adoption" else place.municipality)
            person = register_person(
                session, registrar, given_name="Matrix", family_name=record.replace("_", " "),
                personal_code=code, municipality_code=place.municipality,
                institution_code=place.institution,
                orphan_court_code=place.orphan_court if kind != "assessment" else None,
                confidential=kind == "adoption")
        with web_services.sessions() as session:
            instance = start_process_for(web_services.engine, session, registrar, person.id,
                                         PROCESSES[kind], {}, business_key=record)
        with web_services.sessions() as session:
            tasks[record] = session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == instance)).one()
        persons[record], codes[record] = person.id, code
    return World(persons, tasks, codes)


@pytest.fixture
def client_for(app: Flask, web_services: Services) -> Callable[[str, str], FlaskClient]:
    def make(organisation: str, role: str) -> FlaskClient:
        username = f"{role}-{organisation}".lower()
        with transaction(web_services.sessions) as session:
            create_user(session, username, username, PASSWORD, [role], [GROUP], organisation)
        client = app.test_client()
        assert login(client, username).status_code == 302
        return client
    return make


def _visible_in(html: str, world: World, link: str) -> set[str]:
    ids = {int(found) for found in re.findall(rf'href="/{link}/(\d+)"', html)}
    table = world.tasks if link == "tasks" else world.persons
    return {record for record, record_id in table.items() if record_id in ids}


@pytest.mark.parametrize(("organisation", "role"), sorted(EXPECTED_READ))
def test_each_organisation_reads_exactly_its_own_records(
        organisation: str, role: str, world: World, web_services: Services,
        client_for: Callable[[str, str], FlaskClient]) -> None:
    client = client_for(organisation, role)
    expected = EXPECTED_READ[(organisation, role)]
    for record in RECORDS:
        allowed = record in expected
        person_page = client.get(f"/persons/{world.persons[record]}")
        task_page = client.get(f"/tasks/{world.tasks[record]}")
        assert person_page.status_code == (200 if allowed else 404), record
        assert task_page.status_code == (200 if allowed else 404), record
        if allowed:
            assert f"Matrix {record.replace('_', ' ')}" in person_page.text
        # Search by the exact personal code reveals nothing outside the scope.
        found = client.get("/persons", query_string={"q": world.codes[record]})
        assert (f'/persons/{world.persons[record]}"' in found.text) == allowed, record
    # Search by name and every inbox tab list only what may be read, and counts agree.
    by_name = client.get("/persons", query_string={"q": "matrix"})
    assert _visible_in(by_name.text, world, "persons") == expected
    listed: set[str] = set()
    for tab in ("mine", "group", "team", "completed"):
        page = client.get("/inbox", query_string={"tab": tab})
        assert page.status_code == 200
        listed |= _visible_in(page.text, world, "tasks")
    assert listed <= expected
    if role in WRITERS:
        # Offered to a group the person is in: every readable task is in "my groups".
        groups = client.get("/inbox", query_string={"tab": "group"})
        assert _visible_in(groups.text, world, "tasks") == expected
        assert re.search(rf'tab-current">[^<]*<span class="count"[^>]*>{len(expected)}<',
                         groups.text), "the tab count matches the list"


@pytest.mark.parametrize(("organisation", "role"), sorted(EXPECTED_READ))
def test_each_organisation_changes_only_what_it_may(
        organisation: str, role: str, world: World, web_services: Services,
        client_for: Callable[[str, str], FlaskClient]) -> None:
    client = client_for(organisation, role)
    readable = EXPECTED_READ[(organisation, role)]
    for record in RECORDS:
        may_change = record in readable and role in WRITERS
        response = post(client, f"/tasks/{world.tasks[record]}/claim")
        assert response.status_code == (302 if may_change else 404), record
        with web_services.sessions() as session:
            assignee = session.get(HumanTask, world.tasks[record]).assignee  # type: ignore[union-attr]
        assert (assignee is not None) == may_change, record
        if may_change:
            assert post(client, f"/tasks/{world.tasks[record]}").status_code == 302
        else:
            assert post(client, f"/tasks/{world.tasks[record]}").status_code == 404


def test_refused_looks_and_case_file_views_are_in_the_access_log(
        world: World, web_services: Services,
        client_for: Callable[[str, str], FlaskClient]) -> None:
    client = client_for("RIGA-BT", "caseworker")
    assert client.get(f"/persons/{world.persons['riga_child']}").status_code == 200
    assert client.get(f"/persons/{world.persons['dpils_child']}").status_code == 404
    assert client.get(f"/tasks/{world.tasks['riga_adoption']}").status_code == 404
    with web_services.sessions() as session:
        entries = [(e.username, e.action, e.record_type, e.record_id)
                   for e in session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id))]
    user = "caseworker-riga-bt"
    assert (user, "view", "person", world.persons["riga_child"]) in entries
    assert (user, "denied", "person", world.persons["dpils_child"]) in entries
    assert (user, "denied", "task", world.tasks["riga_adoption"]) in entries


def test_the_full_personal_code_is_shown_only_to_those_who_work_on_the_case(
        world: World, client_for: Callable[[str, str], FlaskClient]) -> None:
    code = world.codes["riga_child"]
    person = world.persons["riga_child"]
    assert code in client_for("RIGA", "caseworker").get(f"/persons/{person}").text
    audited = client_for("LM-AUDIT", "auditor").get(f"/persons/{person}").text
    assert code not in audited and code[:6] + "-*****" in audited
