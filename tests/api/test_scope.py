"""The API sees what the web app sees: a key of another organisation never learns that a task or
person exists (404, logged as refused; lists, counts and searches leave them out), and an
auditor's key reads everything but may change nothing."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from app.services import Services
from tests.api.conftest import PLACEMENT_FORM, Api, access_log, error_of, event_kinds, task_of

PLACEMENT = {k: v for k, v in PLACEMENT_FORM.items() if v}
WRITES = ["claim", "release", "take-back"]


@pytest.fixture
def latgale_api(api_as: Callable[..., Api]) -> Api:
    """Software of another state social care centre, in the same candidate group."""
    return api_as("vsac-latgale-sync", organisation="VSAC-LATGALE",
                  roles=("caseworker", "supervisor"))


@pytest.fixture
def auditor_api(api_as: Callable[..., Api]) -> Api:
    return api_as("audit-export", organisation="LM-AUDIT", roles=("auditor",), groups=())


def _person_of(services: Services, task_id: int) -> int:
    person_id = task_of(services, task_id).person_id
    assert person_id is not None
    return person_id


def test_another_organisations_task_is_404_like_a_missing_one_and_logged(
        latgale_api: Api, p9: int, web_services: Services) -> None:
    missing = latgale_api.get(f"/tasks/{p9 + 1000}")
    hidden = latgale_api.get(f"/tasks/{p9}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_json() == missing.get_json()
    for path in (f"/tasks/{p9}/form", f"/persons/{_person_of(web_services, p9)}"):
        assert latgale_api.get(path).status_code == 404
    for action in WRITES:
        assert latgale_api.post(f"/tasks/{p9}/{action}").status_code == 404
    assert latgale_api.post(f"/tasks/{p9}/complete", json={"data": PLACEMENT}).status_code == 404
    assert latgale_api.post(f"/tasks/{p9}/assign", json={"assignee": None}).status_code == 404
    assert latgale_api.post(f"/tasks/{p9}/delegate", json={"delegate": "x"}).status_code == 404
    person = _person_of(web_services, p9)
    started = latgale_api.post(f"/persons/{person}/processes",
                               json={"process_key": "p09_out_of_family_care"})
    assert started.status_code == 404
    denied = access_log(web_services, "denied")
    assert {(e.username, e.record_type, e.record_id) for e in denied} >= {
        ("api:vsac-latgale-sync", "task", p9), ("api:vsac-latgale-sync", "task", p9 + 1000),
        ("api:vsac-latgale-sync", "person", person)}
    assert all(e.organisation_code == "VSAC-LATGALE" for e in denied)
    assert access_log(web_services, "view") == []
    row = task_of(web_services, p9)
    assert (row.status, row.assignee) == ("open", None)


def test_another_organisations_lists_counts_and_searches_leave_them_out(
        latgale_api: Api, institution_api: Api, p9: int) -> None:
    for tab in ("mine", "group", "team", "completed"):
        page = latgale_api.get(f"/tasks?tab={tab}").get_json()
        assert page["items"] == [] and page["total"] == 0
        assert set(page["counts"].values()) == {0}
    assert latgale_api.get("/persons?q=P9-2026-0001").get_json() == {"items": [], "count": 0}
    # The organisation that has the child sees them.
    assert institution_api.get("/tasks?tab=group").get_json()["counts"]["group"] == 1
    assert institution_api.get("/persons?q=p9-2026").get_json()["count"] == 1


def test_the_municipality_of_the_child_sees_the_case(api_as: Callable[..., Api], p9: int,
                                                     web_services: Services) -> None:
    riga = api_as("riga-sopa", organisation="RIGA", groups=("social_service",))
    assert riga.get(f"/tasks/{p9}").status_code == 200
    assert riga.get(f"/persons/{_person_of(web_services, p9)}").status_code == 200
    # It may read the institution's task, but it is not offered to its group.
    assert riga.get("/tasks?tab=group").get_json()["total"] == 0
    refused = riga.post(f"/tasks/{p9}/claim")
    assert refused.status_code == 403 and error_of(refused)["code"] == "not_allowed"


def test_an_auditor_reads_everything_but_every_write_is_403(
        auditor_api: Api, p9: int, web_services: Services) -> None:
    person = _person_of(web_services, p9)
    task = auditor_api.get(f"/tasks/{p9}")
    assert task.status_code == 200 and task.get_json()["actions"] == []
    assert auditor_api.get(f"/tasks/{p9}/form").status_code == 200
    file = auditor_api.get(f"/persons/{person}").get_json()
    assert file["may_change"] is False
    assert file["person"]["personal_code"].endswith("-*****")
    found = auditor_api.get("/persons?q=P9-2026-0001").get_json()
    assert found["items"][0]["personal_code"].endswith("-*****")
    writes = [auditor_api.post(f"/tasks/{p9}/{action}") for action in WRITES]
    writes += [
        auditor_api.post(f"/tasks/{p9}/complete", json={"data": PLACEMENT}),
        auditor_api.post(f"/tasks/{p9}/assign", json={"assignee": None}),
        auditor_api.post(f"/tasks/{p9}/delegate", json={"delegate": "anna"}),
        auditor_api.post("/persons", json={"given_name": "A", "family_name": "B"}),
        auditor_api.post(f"/persons/{person}/processes",
                         json={"process_key": "p09_out_of_family_care"}),
        # Refused before anything is looked up, so an id tells nothing either.
        auditor_api.post(f"/tasks/{p9 + 1000}/claim"),
    ]
    for response in writes:
        assert response.status_code == 403, response.text
        assert error_of(response)["code"] == "read_only"
    row = task_of(web_services, p9)
    assert (row.status, row.assignee) == ("open", None)
    changes = {"task_claimed", "task_released", "task_assigned", "task_delegated",
               "task_completed", "instance_started"}
    assert [k for k in event_kinds(web_services, row.instance_id) if k in changes] == [
        "instance_started"]
    views = {(e.username, e.record_type) for e in access_log(web_services, "view")}
    assert views == {("api:audit-export", "task"), ("api:audit-export", "person")}
