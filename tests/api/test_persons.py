"""/api/v1/persons: search, the case file, registering a person and starting a process."""
from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import func, select

from app.db.models import Person
from app.demo import valid_personal_code
from app.services import Services
from tests.api.conftest import Api, access_log, error_of, task_of

ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CHILD = {"given_name": "Līga", "family_name": "Bērziņa", "sex": "F",
         "municipality_code": "RIGA", "institution_code": "VSAC-RIGA",
         "orphan_court_code": "RIGA-BT"}


def _persons(services: Services) -> int:
    with services.sessions() as session:
        return session.scalar(select(func.count()).select_from(Person)) or 0


def test_search_by_name_or_code_is_logged(institution_api: Api, p9: int,
                                          web_services: Services) -> None:
    person_id = task_of(web_services, p9).person_id
    by_name = institution_api.get("/persons?q=p9-2026-0001").get_json()
    assert [p["id"] for p in by_name["items"]] == [person_id] and by_name["count"] == 1
    code = by_name["items"][0]["personal_code"]
    # A caseworker's client works on the case: the whole code.
    assert re.fullmatch(r"\d{6}-\d{5}", code)
    by_code = institution_api.get(f"/persons?q={code.replace('-', '')}").get_json()
    assert [p["id"] for p in by_code["items"]] == [person_id]
    assert institution_api.get("/persons?q=").get_json() == {"items": [], "count": 0}
    searches = access_log(web_services, "search")
    assert len(searches) == 2 and all(e.path == "/api/v1/persons" for e in searches)
    assert all(code not in e.path for e in access_log(web_services))


def test_the_case_file_has_the_person_processes_steps_and_timeline(
        institution_api: Api, p9: int, web_services: Services) -> None:
    person_id = task_of(web_services, p9).person_id
    response = institution_api.get(f"/persons/{person_id}")
    assert response.status_code == 200
    file = response.get_json()
    assert file["may_change"] is True
    assert file["person"]["id"] == person_id
    assert file["person"]["family_name"] == "P9-2026-0001"
    assert re.fullmatch(r"\d{6}-\d{5}", file["person"]["personal_code"])
    [instance] = file["instances"]
    assert instance["process_key"] == "p09_out_of_family_care"
    assert instance["business_key"] == "P9-2026-0001" and instance["status"] == "active"
    assert [s["task_id"] for s in instance["current_steps"]] == [p9]
    assert instance["current_steps"][0]["element_id"] == "register_placement"
    kinds = [entry["kind"] for entry in file["timeline"]]
    assert "instance_started" in kinds
    assert all(ISO_INSTANT.match(entry["occurred_at"]) for entry in file["timeline"])
    [view] = access_log(web_services, "view")
    assert (view.record_type, view.record_id) == ("person", person_id)


def test_register_a_person(institution_api: Api, web_services: Services) -> None:
    code = valid_personal_code(4242)
    response = institution_api.post("/persons", json=dict(CHILD, personal_code=code.replace("-", ""),
                                                          birth_date="2024-05-01"))
    assert response.status_code == 201, response.text
    person = response.get_json()
    assert person["personal_code"] == code
    assert person["birth_date"] == "2024-05-01"
    assert response.headers["Location"] == f"/api/v1/persons/{person['id']}"
    assert institution_api.get(f"/persons/{person['id']}").status_code == 200
    again = institution_api.post("/persons", json=dict(CHILD, personal_code=code))
    assert again.status_code == 409 and error_of(again)["code"] == "duplicate_person"


def test_a_dated_code_gives_the_birth_date(institution_api: Api) -> None:
    response = institution_api.post("/persons", json=dict(CHILD, personal_code="161175-19997"))
    assert response.status_code == 201, response.text
    assert response.get_json()["birth_date"] == "1975-11-16"


def test_registration_data_that_cannot_be_used_is_422_and_nothing_is_saved(
        institution_api: Api, web_services: Services) -> None:
    before = _persons(web_services)
    cases = [
        ({"family_name": "X"}, {"given_name"}),
        (dict(CHILD, personal_code="161175-19998"), {"personal_code"}),
        (dict(CHILD, birth_date="01.05.2024"), {"birth_date"}),
        (dict(CHILD, sex="X"), {"sex"}),
        (dict(CHILD, municipality_code="NOWHERE"), {"municipality_code"}),
        (dict(CHILD, favourite_colour="blue"), {"body"}),
    ]
    for body, fields in cases:
        response = institution_api.post("/persons", json=body, headers={"Accept-Language": "en"})
        assert response.status_code == 422, (body, response.text)
        assert set(error_of(response)["fields"]) == fields, body
    bad_code = institution_api.post("/persons", json=dict(CHILD, personal_code="161175-19998"),
                                    headers={"Accept-Language": "en"})
    assert error_of(bad_code)["fields"]["personal_code"] == [
        "the check digit does not match; please check the code"]
    assert _persons(web_services) == before


def test_a_person_outside_the_clients_records_is_refused(institution_api: Api,
                                                        web_services: Services) -> None:
    before = _persons(web_services)
    response = institution_api.post("/persons", json=dict(
        CHILD, municipality_code="DAUGAVPILS", institution_code="VSAC-LATGALE",
        orphan_court_code="DAUGAVPILS-BT"))
    assert response.status_code == 403 and error_of(response)["code"] == "outside_scope"
    assert _persons(web_services) == before


def test_start_a_process_for_a_person(institution_api: Api, web_services: Services) -> None:
    person = institution_api.post("/persons", json=CHILD).get_json()
    response = institution_api.post(f"/persons/{person['id']}/processes", json={
        "process_key": "p09_out_of_family_care", "business_key": "P9-2026-0042",
        "data": {"case_number": "P9-2026-0042", "child_birth_date": "2024-05-01",
                 "placement_date": "2026-01-10", "orphan_court_code": "RIGA-BT"}})
    assert response.status_code == 201, response.text
    instance = response.get_json()
    assert instance["process_key"] == "p09_out_of_family_care"
    assert instance["business_key"] == "P9-2026-0042"
    assert instance["started_by"] == "api:vsac-riga-sync"
    [step] = instance["current_steps"]
    assert step["element_id"] == "register_placement"
    assert task_of(web_services, step["task_id"]).person_id == person["id"]
    file = institution_api.get(f"/persons/{person['id']}").get_json()
    assert [i["id"] for i in file["instances"]] == [instance["id"]]


def test_starting_needs_a_known_process_and_a_readable_person(
        institution_api: Api, api_as: Callable[..., Api]) -> None:
    person = institution_api.post("/persons", json=CHILD).get_json()
    unknown = institution_api.post(f"/persons/{person['id']}/processes",
                                   json={"process_key": "p99_nothing"})
    assert unknown.status_code == 404 and error_of(unknown)["code"] == "unknown_process"
    invalid = institution_api.post(f"/persons/{person['id']}/processes", json={"data": {}})
    assert invalid.status_code == 422 and set(error_of(invalid)["fields"]) == {"process_key"}
    missing = institution_api.post(f"/persons/{person['id'] + 1000}/processes",
                                   json={"process_key": "p09_out_of_family_care"})
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"


def test_a_nul_character_in_the_body_is_refused_and_nothing_is_stored(
        institution_api: Api, web_services: Services) -> None:
    with web_services.sessions() as db:
        before = db.scalar(select(func.count()).select_from(Person))
    response = institution_api.post("/persons", json=dict(CHILD, family_name="Bēr\x00ziņa"))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_json"
    assert "NUL" in response.get_json()["error"]["message"]
    with web_services.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Person)) == before
