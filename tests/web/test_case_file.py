"""The case file: one page per person with their processes, current steps, what was recorded,
documents and the timeline; every view is in the access log."""
from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from app.db.models import AccessLogEntry, HumanTask
from app.services import Services
from tests.web.conftest import PLACEMENT_FORM, post


def _person_of(services: Services, task_id: int) -> int:
    with services.sessions() as session:
        person = session.scalar(select(HumanTask.person_id).where(HumanTask.id == task_id))
    assert person is not None
    return person


def test_the_case_file_shows_processes_answers_and_timeline(anna: FlaskClient, p9_task: int,
                                                            web_services: Services) -> None:
    person = _person_of(web_services, p9_task)
    before = anna.get(f"/persons/{person}").text
    assert "Reģistrēt ievietošanu" in before  # the current step, linked
    assert "Notiek" in before and "Procesa sākums" not in before
    assert post(anna, f"/tasks/{p9_task}", PLACEMENT_FORM).status_code == 302
    page = anna.get(f"/persons/{person}").text
    assert "Iesniegt periodisko ziņojumu" in page
    # What the institution recorded, with the form's labels.
    assert "Kas reģistrēts" in page and PLACEMENT_FORM["institution_name"].split(",")[0] in page
    assert "Iestāde" in page
    assert "Uzdevums izpildīts" in page and "engine_ran" not in page
    assert "Veidlapām pievienotās datnes" in page
    with web_services.sessions() as session:
        views = session.scalars(select(AccessLogEntry).where(
            AccessLogEntry.record_type == "person", AccessLogEntry.record_id == person)).all()
    assert [v.action for v in views] == ["view", "view"]
    assert {v.username for v in views} == {"anna"}


def test_find_a_person_by_name_or_code(anna: FlaskClient, p9_task: int,
                                       web_services: Services) -> None:
    person = _person_of(web_services, p9_task)
    found = anna.get("/persons?q=p9-2026").text
    assert f'href="/persons/{person}"' in found
    assert f'href="/persons/{person}"' not in anna.get("/persons?q=nobody").text
    assert "Jūsu iestādes lietās neviens neatbilst" in anna.get("/persons?q=nobody").text
    assert anna.get("/persons/999999").status_code == 404
