"""/api/v1/tasks: the inbox, the task, its form, and claim, release, assign, delegate, take back
and complete, with the web inbox's rules and JSON errors."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from app.engine.runtime import Actor
from app.services import Services
from tests.api.conftest import (
    PLACEMENT_FORM,
    Api,
    access_log,
    error_of,
    event_kinds,
    make_user,  # noqa: F401 - fixture
    task_of,
)

ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PLACEMENT = {k: v for k, v in PLACEMENT_FORM.items() if v}


def test_the_group_tab_lists_the_task_with_counts(institution_api: Api, p9: int) -> None:
    response = institution_api.get("/tasks?tab=group")
    assert response.status_code == 200
    page = response.get_json()
    assert page["tab"] == "group" and page["total"] == 1 and page["page"] == 1
    assert page["counts"] == {"mine": 0, "group": 1, "team": 0, "completed": 0, "overdue": 0}
    [item] = page["items"]
    assert item["id"] == p9
    assert item["element_id"] == "register_placement"
    assert item["name"] == "Reģistrēt ievietošanu"
    assert item["process_key"] == "p09_out_of_family_care"
    assert item["business_key"] == "P9-2026-0001"
    assert item["candidate_groups"] == ["institution"]
    assert item["assignee"] is None and item["status"] == "open"
    assert ISO_INSTANT.match(item["created_at"])
    # Task lists show the masked code, as the web inbox does.
    assert item["person"]["name"] == "Bērns P9-2026-0001"
    assert item["person"]["personal_code"].endswith("-*****")
    assert response.headers["Cache-Control"] == "no-store"


def test_the_default_tab_is_mine_and_filters_apply(institution_api: Api, p9: int) -> None:
    assert institution_api.get("/tasks").get_json()["items"] == []
    assert institution_api.get("/tasks?tab=group&process=p01_other").get_json()["total"] == 0
    assert institution_api.get("/tasks?tab=group&task=register_placement").get_json()["total"] == 1
    assert institution_api.get("/tasks?tab=group&person=P9-2026-0001").get_json()["total"] == 1
    assert institution_api.get("/tasks?tab=group&due=none").get_json()["total"] == 1
    assert institution_api.get("/tasks?tab=group&due=overdue").get_json()["total"] == 0
    paged = institution_api.get("/tasks?tab=group&page=2&page_size=1").get_json()
    assert paged["items"] == [] and paged["total"] == 1 and paged["pages"] == 1


def test_a_person_search_sorted_by_person_finds_the_task(institution_api: Api, p9: int) -> None:
    # Sorting by person puts the person in the outer query as well as in the search's subquery.
    for term in ("Bērns", "bērns p9"):
        found = institution_api.get(f"/tasks?tab=group&person={term}&sort=person").get_json()
        assert [item["id"] for item in found["items"]] == [p9], term
    assert institution_api.get("/tasks?tab=group&person=Nav&sort=person").get_json()["total"] == 0
    by_code = institution_api.get("/tasks?tab=group&person=320000-00016&sort=person")
    assert by_code.status_code == 200 and by_code.get_json()["total"] == 0


def test_unusable_list_parameters_are_named(institution_api: Api) -> None:
    response = institution_api.get("/tasks?tab=all&sort=x&page=0&page_size=1000")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_data"
    assert set(error["fields"]) == {"tab", "sort", "page", "page_size"}


def test_a_task_comes_with_its_form_and_the_data_the_case_holds(
        institution_api: Api, p9: int, web_services: Services) -> None:
    response = institution_api.get(f"/tasks/{p9}")
    assert response.status_code == 200
    task = response.get_json()
    assert task["form_key"] == "p09_register_placement.json"
    assert task["form_url"] == f"/api/v1/tasks/{p9}/form"
    assert task["actions"] == ["claim", "complete"]
    # What the process was started with pre-fills the form, typed as the schema says.
    assert task["data"] == {"placement_date": "2026-01-10", "child_birth_date": "2024-05-01",
                            "orphan_court_code": "RIGA-BT"}
    [view] = access_log(web_services, "view")
    assert (view.username, view.record_type, view.record_id) == ("api:vsac-riga-sync", "task", p9)
    assert view.organisation_code == "VSAC-RIGA" and view.path == f"/api/v1/tasks/{p9}"


def test_the_form_is_its_json_schema(institution_api: Api, p9: int) -> None:
    response = institution_api.get(f"/tasks/{p9}/form")
    assert response.status_code == 200
    schema = response.get_json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "placement_date" in schema["required"]


def test_claim_and_release(institution_api: Api, p9: int, web_services: Services) -> None:
    claimed = institution_api.post(f"/tasks/{p9}/claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.get_json()["assignee"] == "api:vsac-riga-sync"
    assert claimed.get_json()["actions"] == ["release", "delegate", "complete"]
    mine = institution_api.get("/tasks").get_json()
    assert [item["id"] for item in mine["items"]] == [p9]
    assert mine["counts"]["mine"] == 1 and mine["counts"]["group"] == 0
    released = institution_api.post(f"/tasks/{p9}/release")
    assert released.status_code == 200
    assert released.get_json()["assignee"] is None
    assert task_of(web_services, p9).assignee is None
    kinds = event_kinds(web_services, task_of(web_services, p9).instance_id)
    assert kinds.count("task_claimed") == 1 and kinds.count("task_released") == 1


def test_complete_validates_runs_on_and_says_what_comes_next(
        institution_api: Api, p9: int, web_services: Services) -> None:
    response = institution_api.post(f"/tasks/{p9}/complete", json={"data": PLACEMENT})
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert body["task"]["status"] == "completed"
    assert body["task"]["completed_by"] == "api:vsac-riga-sync"
    assert ISO_INSTANT.match(body["task"]["completed_at"])
    assert body["instance"]["status"] == "active"
    assert [step["element_id"] for step in body["instance"]["current_steps"]] == [
        "submit_periodic_report"]
    row = task_of(web_services, p9)
    assert (row.status, row.completed_by) == ("completed", "api:vsac-riga-sync")
    completed = institution_api.get("/tasks?tab=completed").get_json()
    assert [item["id"] for item in completed["items"]] == [p9]


def test_schema_invalid_data_is_422_with_field_errors_and_nothing_saved(
        institution_api: Api, p9: int, web_services: Services) -> None:
    bad = dict(PLACEMENT, placement_date="10.01.2026", orphan_court_code="riga bt")
    del bad["institution_name"]
    response = institution_api.post(f"/tasks/{p9}/complete", json={"data": bad},
                                    headers={"Accept-Language": "en"})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_data"
    assert error["fields"] == {
        "data.institution_name": ["This field is required."],
        "data.orphan_court_code": ["The value is not in the expected format."],
        "data.placement_date": ["Enter a real date, for example 31.01.2026."],
    }
    latvian = institution_api.post(f"/tasks/{p9}/complete", json={"data": {}})
    assert latvian.status_code == 422
    assert error_of(latvian)["fields"]["data.placement_date"] == ["Šis lauks ir obligāts."]
    row = task_of(web_services, p9)
    assert (row.status, row.assignee) == ("open", None)
    assert "task_completed" not in event_kinds(web_services, row.instance_id)


@pytest.mark.parametrize("body", [b"{not json", b'{"data": [1]}', b'[]', b'{"data": {}, "x": 1}'])
def test_a_body_that_is_not_the_expected_json_is_422(institution_api: Api, p9: int,
                                                    web_services: Services, body: bytes) -> None:
    response = institution_api.post(f"/tasks/{p9}/complete", data=body,
                                    headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert error_of(response)["code"] in ("invalid_json", "invalid_data")
    assert task_of(web_services, p9).status == "open"


def test_a_body_over_a_megabyte_is_refused(institution_api: Api, p9: int,
                                           web_services: Services) -> None:
    notes = "x" * (1024 * 1024)
    response = institution_api.post(f"/tasks/{p9}/complete", json={"data": {"notes": notes}})
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert task_of(web_services, p9).status == "open"


def test_a_task_completed_meanwhile_is_a_409_naming_who(
        institution_api: Api, p9: int, web_services: Services,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The client checked the task was open; a caseworker completes it just before its call."""
    engine = web_services.engine
    real_complete = engine.complete_task

    def caseworker_first(task_id: int, actor: Actor, data: dict[str, Any]) -> None:
        real_complete(task_id, Actor("anna", frozenset({"institution"})), PLACEMENT)
        real_complete(task_id, actor, data)

    monkeypatch.setattr(engine, "complete_task", caseworker_first)
    response = institution_api.post(f"/tasks/{p9}/complete", json={"data": PLACEMENT},
                                    headers={"Accept-Language": "en"})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "task_already_completed"
    assert "already completed by anna" in error["message"]
    assert task_of(web_services, p9).completed_by == "anna"
    # Asked again, the task is plainly no longer open: the same conflict, before the engine.
    monkeypatch.setattr(engine, "complete_task", real_complete)
    again = institution_api.post(f"/tasks/{p9}/complete", json={"data": PLACEMENT})
    assert again.status_code == 409 and error_of(again)["code"] == "task_already_completed"
    assert institution_api.post(f"/tasks/{p9}/claim").status_code == 409


def test_a_claim_lost_to_a_colleague_is_refused_and_changes_nothing(
        institution_api: Api, p9: int, web_services: Services,
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = web_services.engine
    real_claim = engine.claim

    def colleague_first(task_id: int, actor: Actor) -> None:
        real_claim(task_id, Actor("anna", frozenset({"institution"})))
        real_claim(task_id, actor)

    monkeypatch.setattr(engine, "claim", colleague_first)
    response = institution_api.post(f"/tasks/{p9}/claim")
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_your_task"
    assert task_of(web_services, p9).assignee == "anna"


def test_a_concurrent_change_of_the_instance_is_a_409(
        institution_api: Api, p9: int, web_services: Services,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.engine.rows import ConcurrentChange

    def stale(task_id: int, actor: Actor, data: dict[str, Any]) -> None:
        raise ConcurrentChange(task_of(web_services, task_id).instance_id)

    monkeypatch.setattr(web_services.engine, "complete_task", stale)
    response = institution_api.post(f"/tasks/{p9}/complete", json={"data": PLACEMENT})
    assert response.status_code == 409
    assert error_of(response)["code"] == "concurrent_change"


def test_a_supervisor_assigns_to_a_colleague_or_back_to_the_group(
        api_as: Callable[..., Api], p9: int, web_services: Services,
        make_user: Callable[..., str]) -> None:  # noqa: F811 - fixture
    supervisor = api_as("vsac-riga-lead", roles=("caseworker", "supervisor"))
    make_user("anna")
    team = supervisor.get("/tasks?tab=team").get_json()
    assert [item["id"] for item in team["items"]] == [p9]
    assert "assign" in supervisor.get(f"/tasks/{p9}").get_json()["actions"]
    given = supervisor.post(f"/tasks/{p9}/assign", json={"assignee": "anna"})
    assert given.status_code == 200, given.text
    assert given.get_json()["assignee"] == "anna"
    refused = supervisor.post(f"/tasks/{p9}/assign", json={"assignee": "stranger"})
    assert refused.status_code == 422
    assert set(error_of(refused)["fields"]) == {"assignee"}
    back = supervisor.post(f"/tasks/{p9}/assign", json={"assignee": None})
    assert back.status_code == 200 and back.get_json()["assignee"] is None
    assert supervisor.post(f"/tasks/{p9}/assign", json={}).status_code == 422


def test_only_a_supervisor_assigns(institution_api: Api, p9: int,
                                   make_user: Callable[..., str]) -> None:  # noqa: F811
    make_user("anna")
    response = institution_api.post(f"/tasks/{p9}/assign", json={"assignee": "anna"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "not_allowed"


def test_delegate_and_take_back(institution_api: Api, p9: int, web_services: Services,
                                make_user: Callable[..., str]) -> None:  # noqa: F811
    make_user("anna")
    assert institution_api.post(f"/tasks/{p9}/claim").status_code == 200
    assert institution_api.post(f"/tasks/{p9}/delegate",
                                json={"delegate": "stranger"}).status_code == 422
    delegated = institution_api.post(f"/tasks/{p9}/delegate", json={"delegate": "anna"})
    assert delegated.status_code == 200, delegated.text
    assert delegated.get_json()["assignee"] == "anna"
    assert delegated.get_json()["delegated_by"] == "api:vsac-riga-sync"
    assert delegated.get_json()["actions"] == ["take_back"]
    taken = institution_api.post(f"/tasks/{p9}/take-back")
    assert taken.status_code == 200
    assert (taken.get_json()["assignee"], taken.get_json()["delegated_by"]) == (
        "api:vsac-riga-sync", None)
    row = task_of(web_services, p9)
    assert (row.assignee, row.delegated_by) == ("api:vsac-riga-sync", None)


def test_take_back_is_only_for_whoever_delegated(institution_api: Api, p9: int) -> None:
    response = institution_api.post(f"/tasks/{p9}/take-back")
    assert response.status_code == 403 and error_of(response)["code"] == "not_allowed"


def test_a_task_without_a_form_is_completed_without_data(
        institution_api: Api, p9: int, web_services: Services) -> None:
    from sqlalchemy import update

    from app.db import transaction
    from app.db.models import HumanTask

    with transaction(web_services.sessions) as session:
        session.execute(update(HumanTask).where(HumanTask.id == p9).values(form_key=None))
    assert institution_api.get(f"/tasks/{p9}").get_json()["form_url"] is None
    assert error_of(institution_api.get(f"/tasks/{p9}/form"))["code"] == "no_form"
    refused = institution_api.post(f"/tasks/{p9}/complete", json={"data": {"x": 1}})
    assert refused.status_code == 422 and set(error_of(refused)["fields"]) == {"data"}
    assert task_of(web_services, p9).status == "open"


def test_a_nul_character_in_a_parameter_is_a_clear_400(institution_api: Api, p9: int) -> None:
    response = institution_api.get("/tasks?tab=group&person=B%00rns")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "The request could not be understood."
