"""The institution's start screen for a child placed in its care (P9) and the case file's P9
section, through the web app: a valid form starts P9 with the child's scope, a bad one says why in
Latvian and creates nothing, another institution sees nothing of it, and the section shows the
due dates and both receipts once the job runner delivered a report to NPAIS and SOPA."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.access.scope import viewer_of
from app.auth.service import create_user
from app.cases.service import register_person
from app.db import transaction
from app.db.models import (
    AccessLogEntry,
    ChildPlacement,
    HumanTask,
    PeriodicReportDelivery,
    Person,
    ProcessInstance,
)
from app.demo import valid_personal_code
from app.domain.calendar import add_months, today_in_latvia
from app.out_of_family_care import service
from app.services import Services
from tests.engine.helpers import report_form
from tests.web.conftest import PASSWORD, app, csrf_of, login, web_services, web_settings
from workers.jobs import run_due_jobs

__all__ = ["app", "web_services", "web_settings"]

NEW = "/out-of-family-care/placements/new"
_LV_DAY = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")


def signed_in(app: Flask, services: Services, username: str, organisation: str,
              groups: tuple[str, ...] = ("institution",)) -> FlaskClient:
    with transaction(services.sessions) as session:
        create_user(session, username, username.capitalize(), PASSWORD, roles=["caseworker"],
                    groups=list(groups), organisation_code=organisation)
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


@pytest.fixture
def riga(app: Flask, web_services: Services) -> FlaskClient:
    """A caseworker of VSAC «Rīga»."""
    return signed_in(app, web_services, "inese", "VSAC-RIGA")


def new_child(**changes: str) -> dict[str, str]:
    today = today_in_latvia()
    form = {"given_name": "Anna", "family_name": "Bērziņa", "personal_code": "",
            "birth_date": (today - timedelta(days=500)).isoformat(),
            "municipality_code": "RIGA", "placement_date": today.isoformat(),
            "orphan_court_code": "RIGA-BT", "decision_reference": "BT-2026-17"}
    form.update(changes)
    return form


def submit(client: FlaskClient, form: dict[str, str]) -> TestResponse:
    return client.post(NEW, data={"csrf_token": csrf_of(client), **form})


def counts(services: Services) -> tuple[int, int, int]:
    with services.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Person)) or 0,
                session.scalar(select(func.count()).select_from(ProcessInstance)) or 0,
                session.scalar(select(func.count()).select_from(ChildPlacement)) or 0)


def alerts(page: str) -> list[str]:
    return re.findall(r'<p class="alert alert-error" role="alert">([^<]*)</p>', page)


def test_a_new_child_placed_starts_p9_with_the_childs_scope(riga: FlaskClient,
                                                            web_services: Services) -> None:
    page = riga.get(NEW)
    assert page.status_code == 200
    assert "Bērns ievietots aprūpē" in page.text and "Rīgas bāriņtiesa" in page.text

    response = submit(riga, new_child())
    assert response.status_code == 302
    with web_services.sessions() as session:
        [person] = session.scalars(select(Person)).all()
        [instance] = session.scalars(select(ProcessInstance)).all()
        [placement] = session.scalars(select(ChildPlacement)).all()
        [task] = session.scalars(select(HumanTask).where(HumanTask.status == "open")).all()
    assert response.headers["Location"].endswith(f"/persons/{person.id}#placement-{instance.id}")
    assert (person.given_name, person.family_name, person.institution_code,
            person.orphan_court_code, person.municipality_code) == (
        "Anna", "Bērziņa", "VSAC-RIGA", "RIGA-BT", "RIGA")
    assert (instance.process_key, instance.person_id, instance.record_kind,
            instance.institution_code, instance.orphan_court_code,
            instance.municipality_code) == (service.PROCESS_KEY, person.id, "child_protection",
                                            "VSAC-RIGA", "RIGA-BT", "RIGA")
    today = today_in_latvia()
    assert instance.business_key == service.case_number(person.id, today)
    assert (placement.placement_date, placement.source, placement.decision_reference,
            placement.created_by) == (today, "institution", "BT-2026-17", "inese")
    # Registered with what the screen gave: the first report is asked for at once.
    assert (task.element_id, task.candidate_groups, task.person_id) == (
        "submit_periodic_report", "institution", person.id)
    # The case file opens on the placement, which the flash message announces.
    case_file = riga.get(f"/persons/{person.id}").text
    assert "Ievietošana reģistrēta" in case_file and f'id="placement-{instance.id}"' in case_file
    assert add_months(today, 3).strftime("%d.%m.%Y") in case_file  # under 3: three months


def test_a_child_of_the_institutions_records_is_picked_from_the_list(
        riga: FlaskClient, web_services: Services) -> None:
    assert submit(riga, new_child(personal_code=valid_personal_code(901))).status_code == 302
    with web_services.sessions() as session:
        [person] = session.scalars(select(Person)).all()
        [first] = session.scalars(select(ProcessInstance)).all()
    assert f'<option value="{person.id}"' in riga.get(NEW).text
    # Picked again while the placement runs: the same instance, nothing new.
    again = submit(riga, {"person_id": str(person.id),
                          "placement_date": today_in_latvia().isoformat(),
                          "orphan_court_code": "RIGA-BT"})
    assert again.status_code == 302 and again.headers["Location"].endswith(
        f"#placement-{first.id}")
    assert counts(web_services) == (1, 1, 1)


@pytest.mark.parametrize(("changes", "message"), [
    ({"given_name": "", "family_name": ""},
     "Izvēlieties bērnu no saraksta vai norādiet jaunā bērna vārdu un uzvārdu."),
    ({"placement_date": "10.01.2026"}, "Ievietošanas datums: norādiet datumu."),
    ({"placement_date": (today_in_latvia() + timedelta(days=3)).isoformat()},
     "Ievietošanas datums nevar būt nākotnē."),
    ({"birth_date": ""}, "Dzimšanas datums: norādiet datumu."),
    ({"birth_date": "2001-01-01"}, "Bērna dzimšanas datumam jābūt pēdējo 18 gadu laikā."),
    ({"personal_code": "320000-00000"}, "Personas kods nav derīgs."),
    ({"orphan_court_code": ""}, "Izvēlieties bāriņtiesu."),
    ({"orphan_court_code": "ATLANTIDA-BT"}, "Izvēlieties bāriņtiesu."),
    ({"person_id": "999999"}, "Izvēlieties bērnu no saraksta."),
    # Each report goes to this municipality's social service: without it every one would fail.
    ({"municipality_code": ""}, "Izvēlieties pašvaldību, kas atbild par bērnu."),
])
def test_a_bad_form_says_why_in_latvian_and_creates_nothing(
        riga: FlaskClient, web_services: Services, changes: dict[str, str],
        message: str) -> None:
    page = submit(riga, new_child(**changes))
    assert page.status_code == 422
    assert message in alerts(page.text), alerts(page.text)
    assert counts(web_services) == (0, 0, 0)
    # What was typed is still there.
    assert 'value="Bērziņa"' in page.text or changes.get("family_name") == ""


def test_a_placement_before_the_new_childs_birth_registers_no_child(
        riga: FlaskClient, web_services: Services) -> None:
    """Caught before the child is registered: correcting the date and sending the form again
    must not meet a half-registered child."""
    today = today_in_latvia()
    form = new_child(personal_code=valid_personal_code(902),
                     birth_date=(today - timedelta(days=10)).isoformat(),
                     placement_date=(today - timedelta(days=20)).isoformat())
    page = submit(riga, form)
    assert page.status_code == 422
    assert "Ievietošanas datums nevar būt pirms bērna dzimšanas." in alerts(page.text)
    assert counts(web_services) == (0, 0, 0)
    assert submit(riga, dict(form, placement_date=today.isoformat())).status_code == 302
    assert counts(web_services) == (1, 1, 1)


def test_a_listed_child_without_a_municipality_is_not_placed(
        riga: FlaskClient, web_services: Services) -> None:
    with transaction(web_services.sessions) as session:
        staff = viewer_of(session, "inese", ["caseworker"], ["institution"], "VSAC-RIGA")
        child = register_person(session, staff, given_name="Ivo", family_name="Liepiņš",
                                birth_date=today_in_latvia() - timedelta(days=900),
                                institution_code="VSAC-RIGA")
        person_id = child.id
    page = submit(riga, {"person_id": str(person_id),
                         "placement_date": today_in_latvia().isoformat(),
                         "orphan_court_code": "RIGA-BT"})
    assert page.status_code == 422
    assert "Bērna lietā nav norādīta atbildīgā pašvaldība: vispirms norādiet to tur." in \
        alerts(page.text)
    assert counts(web_services) == (1, 0, 0)


def test_only_an_institution_has_the_start_screen(app: Flask, web_services: Services) -> None:
    social = signed_in(app, web_services, "soc", "RIGA", ("social_service",))
    assert social.get(NEW).status_code == 403
    assert social.post(NEW, data={"csrf_token": csrf_of(social), **new_child()}).status_code \
        == 403
    assert counts(web_services) == (0, 0, 0)


def test_another_institution_sees_nothing_of_the_placement(
        app: Flask, riga: FlaskClient, web_services: Services) -> None:
    assert submit(riga, new_child()).status_code == 302
    with web_services.sessions() as session:
        [instance] = session.scalars(select(ProcessInstance)).all()
        [task] = session.scalars(select(HumanTask).where(HumanTask.status == "open")).all()
    vidzeme = signed_in(app, web_services, "vidzeme", "VSAC-VIDZEME")
    assert vidzeme.get(f"/persons/{instance.person_id}").status_code == 404
    assert vidzeme.get(f"/tasks/{task.id}").status_code == 404
    assert f"/tasks/{task.id}" not in vidzeme.get("/inbox?tab=group").text
    assert "Bērziņa" not in vidzeme.get(NEW).text  # not among its children to pick
    ended = vidzeme.post(f"/out-of-family-care/placements/{instance.id}/end",
                         data={"csrf_token": csrf_of(vidzeme), "reason": "Nav mūsu bērns",
                               "end_date": today_in_latvia().isoformat()})
    assert ended.status_code == 404
    # Nor can it place the other institution's child in its own care by its id.
    taken = submit(vidzeme, {"person_id": str(instance.person_id),
                             "placement_date": today_in_latvia().isoformat(),
                             "orphan_court_code": "RIGA-BT"})
    assert taken.status_code == 422 and "Izvēlieties bērnu no saraksta." in alerts(taken.text)
    with web_services.sessions() as session:
        still = session.get(ProcessInstance, instance.id)
        refused = session.scalar(select(func.count()).select_from(AccessLogEntry).where(
            AccessLogEntry.username == "vidzeme", AccessLogEntry.action == "denied"))
    assert still is not None and still.status == "active"
    assert refused is not None and refused >= 2  # the case file and the end form
    # The orphan court named in the placement reads the case file.
    court = signed_in(app, web_services, "ozols", "RIGA-BT", ("orphan_court",))
    assert court.get(f"/persons/{instance.person_id}").status_code == 200


def _run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def _section(page: str) -> str:
    start = page.index('id="out-of-family-care-title"')
    return page[start:page.index("</section>", start)]


def test_the_case_file_shows_due_dates_and_both_receipts(
        riga: FlaskClient, web_services: Services, simulators: dict[str, Any]) -> None:
    today = today_in_latvia()
    placed = add_months(today, -4)  # the first report was due a month ago
    born = (today - timedelta(days=600)).isoformat()
    assert submit(riga, new_child(birth_date=born,
                                  placement_date=placed.isoformat())).status_code == 302
    with web_services.sessions() as session:
        [instance] = session.scalars(select(ProcessInstance)).all()
        [task] = session.scalars(select(HumanTask).where(HumanTask.status == "open")).all()
    _run_jobs(web_services)  # the reminder, the overdue notice and the escalation
    section = _section(riga.get(f"/persons/{instance.person_id}").text)
    first_due = add_months(placed, 3)
    assert f"{first_due.strftime('%d.%m.%Y')} — nokavēts" in section
    assert "Periodisku ziņojumu vēl nav." in section
    assert "VSAC «Rīga»" in section and ">VSAC-RIGA<" not in section  # names, not codes

    # The report as the task's form sends it: a Latvian date, the "care ended" box unticked.
    form = {key: value for key, value in report_form("", False).items()
            if isinstance(value, str) and value}
    form.update(csrf_token=csrf_of(riga), report_date=today.strftime("%d.%m.%Y"))
    response = riga.post(f"/tasks/{task.id}", data=form)
    assert response.status_code == 302, response.text
    _run_jobs(web_services)  # NPAIS, SOPA, the receipts

    with web_services.sessions() as session:
        [row] = session.scalars(select(PeriodicReportDelivery)).all()
    section = _section(riga.get(f"/persons/{instance.person_id}").text)
    assert "Periodiskie ziņojumi un to saņemšanas apliecinājumi" in section
    assert f"<code>{row.npais_report_id}</code>" in section
    assert f"<code>{row.sopa_reference}</code>" in section
    assert today.strftime("%d.%m.%Y") in section and first_due.strftime("%d.%m.%Y") in section
    assert "inese" in section
    # The next report: three months after this one (the child is under three), not yet due.
    following = add_months(today, 3).strftime("%d.%m.%Y")
    assert re.search(rf'Nākamā ziņojuma termiņš</dt>\s*<dd class="nowrap">{following}</dd>',
                     section)
    assert "nokavēts" not in section
    # Every date shown is DD.MM.YYYY (the case number carries the placement day as it is).
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", section.replace(instance.business_key or "", ""))
    assert _LV_DAY.search(section)
