"""P10 through the API, the real engine, the job runner, the outbox and the PMLP simulator over
HTTP: an orphan court's separation decision starts the case, the parties are notified, the
child is found in the population register, the survey and the placement are done, P9 starts;
the return decision ends P9 and the case. Duplicates are applied once, bad messages change
nothing, and other municipalities and orphan courts do not see the case."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.api import keys
from app.auth.service import create_user
from app.db import transaction
from app.db.models import (
    ChildProtectionDecision,
    HumanTask,
    Notification,
    Person,
    ProcessInstance,
    Timer,
)
from app.db.models.outbox import OutboxMessage
from app.demo import valid_personal_code
from app.domain.calendar import today_in_latvia
from app.domain.child_protection import SURVEY_DAYS
from app.engine.runtime import Actor
from app.services import Services
from tests.web.conftest import PASSWORD, app, login, web_services, web_settings  # noqa: F401 - the web fixtures
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers

P10 = "p10_child_protection"
P9 = "p09_out_of_family_care"
SOCIAL_WORKER = Actor("soc", frozenset({"social_service"}))
SEED = 10  # Roberts Kalniņš, born 2024-12-01, in the PMLP simulator's fixture
SURVEY = {"survey_date": "", "household": "Māte un divi vecāki brāļi.",
          "living_conditions": "Divistabu dzīvoklis, apkure nedarbojas.",
          "parents_cooperation": "Māte sadarbojas, tēvs nav sasniedzams.",
          "risks": "Vardarbība ģimenē; alkohola lietošana.",
          "recommendation": "RETURN_WITH_SUPPORT"}


def _key(services: Services, organisation: str, name: str,
         groups: tuple[str, ...] = ("orphan_court",)) -> str:
    with transaction(services.sessions) as session:
        return keys.create_key(session, organisation_code=organisation, name=name,
                               roles=["caseworker"], groups=list(groups),
                               created_by="tests").secret


def _post(client: FlaskClient, key: str, body: Any, lang: str = "en") -> TestResponse:
    return client.post("/api/v1/orphan-court-decisions", json=body,
                       headers={"Authorization": f"ApiKey {key}", "Accept-Language": lang})


def separation(decision_id: str = "BT-RIGA-2026-001", *, seed: int = SEED, days_ago: int = 2,
               **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "decision_id": decision_id, "kind": "SEPARATION", "orphan_court_code": "RIGA-BT",
        "decision_date": (today_in_latvia() - timedelta(days=days_ago)).isoformat(),
        "child": {"personal_code": valid_personal_code(seed), "given_name": "Roberts",
                  "family_name": "Kalniņš"},
        "municipality_code": "RIGA", "institution_code": "VSAC-RIGA",
        "reason": "Policija konstatēja bērna tiesību pārkāpumu ģimenē."}
    body.update(changes)
    return body


def returning(decision_id: str = "BT-RIGA-2026-002", *, seed: int = SEED,
              **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "decision_id": decision_id, "kind": "RETURN", "orphan_court_code": "RIGA-BT",
        "decision_date": today_in_latvia().isoformat(),
        "child": {"personal_code": valid_personal_code(seed), "given_name": "Roberts",
                  "family_name": "Kalniņš"},
        "reason": "Ģimene novērsusi apstākļus."}
    body.update(changes)
    return body


def run_jobs(services: Services) -> None:
    while run_due_jobs(services, "w1"):
        pass


def instance_of(services: Services, case_number: str) -> ProcessInstance:
    with services.sessions() as session:
        found = session.scalars(select(ProcessInstance).where(
            ProcessInstance.business_key == case_number)).one()
        return found


def open_tasks(services: Services, iid: int) -> dict[str, HumanTask]:
    with services.sessions() as session:
        return {t.element_id: t for t in session.scalars(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "open"))}


def notices(services: Services, iid: int) -> list[tuple[str, str]]:
    """(topic, recipient role) of the outbox rows the case queued, once per role (an
    organisation may be reached over more than one channel)."""
    with services.sessions() as session:
        return sorted({(row.topic, row.recipient_role) for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.instance_id == iid))})


def counts(services: Services) -> tuple[int, int]:
    with services.sessions() as session:
        return (session.scalar(select(func.count()).select_from(ChildProtectionDecision)) or 0,
                session.scalar(select(func.count()).select_from(ProcessInstance)) or 0)


PARTIES = ["child_rights_inspectorate", "institution", "police", "social_service"]


def test_separation_survey_placement_and_return(app: Flask, web_services: Services) -> None:  # noqa: F811
    services = web_services
    client = app.test_client()
    court = _key(services, "RIGA-BT", "Rigas BT NPAIS")
    answer = _post(client, court, separation())
    assert answer.status_code == 202, answer.text
    case_number = answer.get_json()["case_number"]
    assert answer.get_json()["status"] == "accepted" and case_number.startswith("P10-")
    case = instance_of(services, case_number)
    assert (case.record_kind, case.municipality_code, case.institution_code,
            case.orphan_court_code, case.person_id) == (
        "child_protection", "RIGA", "VSAC-RIGA", "RIGA-BT", None)

    run_jobs(services)
    # The four parties are notified at once; the child was found in the population register.
    assert notices(services, case.id) == [("CHILD_SEPARATED", role) for role in PARTIES]
    with services.sessions() as session:
        child = session.scalars(select(Person).where(
            Person.personal_code == valid_personal_code(SEED))).one()
        assert (child.given_name, child.birth_date) == ("Roberts", date(2024, 12, 1))
        decision = session.scalars(select(ChildProtectionDecision)).one()
        assert (decision.person_id, decision.register_found, decision.instance_id) == (
            child.id, True, case.id)
        assert all("Roberts" not in row.text and valid_personal_code(SEED) not in row.text
                   for row in session.scalars(select(OutboxMessage)))
    tasks = open_tasks(services, case.id)
    assert set(tasks) == {"survey_family", "place_child"}
    survey_due = decision.decision_date + timedelta(days=SURVEY_DAYS)
    assert tasks["survey_family"].person_id == child.id
    with services.sessions() as session:
        waiting = session.scalars(select(Timer.element_id).where(
            Timer.instance_id == case.id, Timer.status == "waiting")).all()
    assert sorted(waiting) == ["survey_overdue", "survey_reminder"]
    assert instance_of(services, case_number).person_id == child.id
    with transaction(services.sessions) as session:
        create_user(session, "bt", "Jānis Ozols", PASSWORD, roles=["caseworker"],
                    groups=["orphan_court"], organisation_code="RIGA-BT")
    web = app.test_client()
    assert login(web, "bt").status_code == 302
    assert survey_due.strftime("%d.%m.%Y") in web.get(f"/persons/{child.id}").text

    # The social worker places the child: P9 starts, from P10, for the child.
    placed_on = decision.decision_date.isoformat()
    services.engine.complete_task(tasks["place_child"].id, SOCIAL_WORKER, {
        "placement_institution_code": "VSAC-RIGA", "placement_date": placed_on})
    run_jobs(services)
    with services.sessions() as session:
        decision = session.get(ChildProtectionDecision, decision.id)  # type: ignore[assignment]
        p9 = session.get(ProcessInstance, decision.placement_instance_id)
        assert p9 is not None and p9.process_key == P9 and p9.status == "active"
        assert p9.person_id == child.id and decision.placed_on == date.fromisoformat(placed_on)
    services.engine.complete_task(tasks["survey_family"].id, SOCIAL_WORKER,
                                  {**SURVEY, "survey_date": today_in_latvia().isoformat()})
    run_jobs(services)

    # The orphan court's case file holds it all in one place.
    page = web.get(f"/persons/{child.id}")
    assert page.status_code == 200
    text = page.text
    assert case_number in text and "BT-RIGA-2026-001" in text
    assert "Policija konstatēja bērna tiesību pārkāpumu ģimenē." in text
    assert "Valsts policija" in text and "Rīgas sociālais dienests" in text
    assert "Vardarbība ģimenē; alkohola lietošana." in text
    assert str(p9.business_key) in text

    # The return decision ends P9 and the case, and the parties are told.
    back = _post(client, court, returning())
    assert back.status_code == 202, back.text
    assert back.get_json()["case_number"] == case_number
    run_jobs(services)
    with services.sessions() as session:
        assert session.get(ProcessInstance, p9.id).status == "completed"  # type: ignore[union-attr]
        assert session.get(ProcessInstance, case.id).status == "completed"  # type: ignore[union-attr]
        decision = session.get(ChildProtectionDecision, decision.id)  # type: ignore[assignment]
        assert decision.placement_ended_on == today_in_latvia()
    assert notices(services, case.id) == sorted(
        [("CHILD_SEPARATED", role) for role in PARTIES]
        + [("CHILD_RETURNED", role) for role in PARTIES])
    # Once ended, the case takes no further return.
    again = _post(client, court, returning("BT-RIGA-2026-003"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "case_not_waiting"


def test_a_decision_delivered_twice_is_applied_once(app: Flask, web_services: Services) -> None:  # noqa: F811
    client = app.test_client()
    court = _key(web_services, "RIGA-BT", "Rigas BT NPAIS")
    first = _post(client, court, separation())
    second = _post(client, court, separation())
    assert (first.status_code, second.status_code) == (202, 200)
    assert second.get_json()["status"] == "duplicate"
    assert second.get_json()["case_number"] == first.get_json()["case_number"]
    assert counts(web_services) == (1, 1)
    clash = _post(client, court, separation(days_ago=5))
    assert clash.status_code == 409
    assert clash.get_json()["error"]["code"] == "conflicting_duplicate"
    run_jobs(web_services)
    assert _post(client, court, returning()).status_code == 202
    assert _post(client, court, returning()).status_code == 200
    assert counts(web_services) == (2, 1)


@pytest.mark.parametrize(("change", "field"), [
    ({"child": {"personal_code": "320000-00017", "given_name": "A", "family_name": "B"}},
     "child.personal_code"),
    ({"orphan_court_code": "NOWHERE-BT"}, "orphan_court_code"),
    ({"institution_code": "RIGA"}, "institution_code"),
    ({"municipality_code": None}, "municipality_code"),
    ({"decision_date": (date.today() + timedelta(days=3)).isoformat()}, "decision_date"),
    ({"placement_date": (date.today() - timedelta(days=30)).isoformat()}, "placement_date"),
    ({"kind": "ADOPTION"}, "kind"),
    ({"unexpected": 1}, "body"),
])
def test_a_bad_message_is_refused_and_changes_nothing(
        app: Flask, web_services: Services, change: dict[str, Any], field: str) -> None:  # noqa: F811
    client = app.test_client()
    court = _key(web_services, "RIGA-BT", "Rigas BT NPAIS")
    body = {k: v for k, v in {**separation(), **change}.items() if v is not None}
    answer = _post(client, court, body)
    assert answer.status_code == 422, answer.text
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_data" and field in error["fields"], error
    assert counts(web_services) == (0, 0)


def test_refusals_before_anything_is_written(app: Flask, web_services: Services) -> None:  # noqa: F811
    client = app.test_client()
    court = _key(web_services, "RIGA-BT", "Rigas BT NPAIS")
    other_court = _key(web_services, "JELGAVA-BT", "Jelgavas BT NPAIS")
    not_json = client.post("/api/v1/orphan-court-decisions", data="{",
                           headers={"Authorization": f"ApiKey {court}",
                                    "Content-Type": "application/json"})
    assert not_json.status_code == 422
    # Another orphan court cannot deliver this court's decisions.
    assert _post(client, other_court, separation()).status_code == 403
    # A return for a child without a case.
    missing = _post(client, court, returning())
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "unknown_case"
    assert counts(web_services) == (0, 0)
    # Latvian messages by default.
    lv = _post(client, court, separation(orphan_court_code="NOWHERE-BT"), lang="lv")
    assert "organizācija" in lv.get_json()["error"]["fields"]["orphan_court_code"][0]


def test_other_municipalities_and_orphan_courts_do_not_see_the_case(
        app: Flask, web_services: Services) -> None:  # noqa: F811
    services = web_services
    client = app.test_client()
    employee = _key(services, "LM", "analyst", groups=("ministry",))
    refused = _post(client, employee, separation())
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "outside_scope"
    ministry = _key(services, "LM", "NPAIS link", groups=("npais",))
    answer = _post(client, ministry, separation())
    assert answer.status_code == 202, answer.text
    run_jobs(services)
    case = instance_of(services, answer.get_json()["case_number"])
    person_id = case.person_id
    assert person_id is not None
    riga = _key(services, "RIGA", "Riga SOPA", groups=("social_service",))
    seen = {}
    for org, groups in (("RIGA-BT", ("orphan_court",)), ("JELGAVA-BT", ("orphan_court",)),
                        ("JELGAVA", ("social_service",)), ("VSAC-LATGALE", ("institution",))):
        key = _key(services, org, f"{org} reader", groups=groups)
        headers = {"Authorization": f"ApiKey {key}"}
        seen[org] = client.get(f"/api/v1/persons/{person_id}", headers=headers).status_code
        tasks = client.get("/api/v1/tasks?tab=group", headers=headers).get_json()
        seen[org + " tasks"] = tasks["total"]
    riga_tasks = client.get("/api/v1/tasks?tab=group",
                            headers={"Authorization": f"ApiKey {riga}"}).get_json()
    assert riga_tasks["total"] == 2
    assert seen == {"RIGA-BT": 200, "RIGA-BT tasks": 0, "JELGAVA-BT": 404, "JELGAVA-BT tasks": 0,
                    "JELGAVA": 404, "JELGAVA tasks": 0, "VSAC-LATGALE": 404,
                    "VSAC-LATGALE tasks": 0}
    # The other court's return of this child finds no case of its own.
    jelgava_court = _key(services, "JELGAVA-BT", "Jelgavas BT NPAIS")
    refused = _post(client, jelgava_court, returning(orphan_court_code="JELGAVA-BT"))
    assert refused.status_code == 404


def test_a_placement_in_the_decision_starts_p9_and_an_early_return_ends_everything(
        app: Flask, web_services: Services) -> None:  # noqa: F811
    services = web_services
    client = app.test_client()
    court = _key(services, "RIGA-BT", "Rigas BT NPAIS")
    decided = today_in_latvia() - timedelta(days=SURVEY_DAYS + 2)
    answer = _post(client, court, separation(days_ago=SURVEY_DAYS + 2,
                                             placement_date=decided.isoformat()))
    assert answer.status_code == 202, answer.text
    case = instance_of(services, answer.get_json()["case_number"])
    run_jobs(services)
    # The survey's deadline has passed: the reminder and the escalation fire, and the orphan
    # court is told the survey is late.
    while fire_due_timers(services, "t1"):
        run_jobs(services)
    run_jobs(services)
    assert set(open_tasks(services, case.id)) == {"survey_family"}
    with services.sessions() as session:
        kinds = sorted(session.scalars(select(Notification.kind).where(
            Notification.instance_id == case.id)))
        p9 = session.scalars(select(ProcessInstance).where(
            ProcessInstance.process_key == P9)).one()
    assert kinds and p9.status == "active"
    assert ("SURVEY_OVERDUE", "orphan_court") in notices(services, case.id)
    back = _post(client, court, returning())
    assert back.status_code == 202, back.text
    run_jobs(services)
    with services.sessions() as session:
        assert session.get(ProcessInstance, case.id).status == "completed"  # type: ignore[union-attr]
        assert session.get(ProcessInstance, p9.id).status == "completed"  # type: ignore[union-attr]
    assert open_tasks(services, case.id) == {}


def test_a_delivery_cut_off_before_its_case_started_is_finished_by_the_next(
        app: Flask, web_services: Services) -> None:  # noqa: F811
    client = app.test_client()
    court = _key(web_services, "RIGA-BT", "Rigas BT NPAIS")
    body = separation()
    # As if the server stopped between storing the decision and starting its case.
    with transaction(web_services.sessions) as session:
        row = ChildProtectionDecision(
            npais_decision_id=body["decision_id"], kind="SEPARATION",
            decision_date=date.fromisoformat(body["decision_date"]), reason=body["reason"],
            received_by="api:Rigas BT NPAIS", record_kind="child_protection",
            municipality_code="RIGA", institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
            confidential=False)
        session.add(row)
    busy = _post(client, court, body)
    assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "decision_in_progress"
    assert counts(web_services) == (1, 0)
    with transaction(web_services.sessions) as session:
        found = session.scalars(select(ChildProtectionDecision)).one()
        found.received_at = found.received_at - timedelta(minutes=10)
    started = _post(client, court, body)
    assert started.status_code == 202 and started.get_json()["status"] == "accepted"
    assert counts(web_services) == (1, 1)
    assert _post(client, court, body).status_code == 200
    assert counts(web_services) == (1, 1)


def test_the_social_worker_sees_the_tasks_and_a_future_placement_is_refused_on_the_field(
        app: Flask, web_services: Services) -> None:  # noqa: F811
    client = app.test_client()
    court = _key(web_services, "RIGA-BT", "Rigas BT NPAIS")
    assert _post(client, court, separation()).status_code == 202
    run_jobs(web_services)
    social = {"Authorization": f"ApiKey {_key(web_services, 'RIGA', 'Riga SOPA', ('social_service',))}",
              "Accept-Language": "lv"}
    listed = client.get("/api/v1/tasks?tab=group&process=p10_child_protection", headers=social)
    tasks = {item["element_id"]: item for item in listed.get_json()["items"]}
    assert set(tasks) == {"place_child", "survey_family"}
    assert tasks["survey_family"]["due_day"] == (
        today_in_latvia() - timedelta(days=2) + timedelta(days=SURVEY_DAYS)).isoformat()
    place = tasks["place_child"]["id"]
    future = (today_in_latvia() + timedelta(days=1)).isoformat()
    refused = client.post(f"/api/v1/tasks/{place}/complete", headers=social, json={
        "data": {"placement_institution_code": "VSAC-RIGA", "placement_date": future}})
    assert refused.status_code == 422
    message = refused.get_json()["error"]["fields"]["data.placement_date"][0]
    assert "nākotnē" in message  # the rule speaks the client's language (Accept-Language: lv)
    english = client.post(f"/api/v1/tasks/{place}/complete",
                          headers={**social, "Accept-Language": "en"}, json={
        "data": {"placement_institution_code": "VSAC-RIGA", "placement_date": future}})
    assert "future" in english.get_json()["error"]["fields"]["data.placement_date"][0]
    assert open_tasks(web_services, tasks["place_child"]["instance_id"]).keys() == {
        "place_child", "survey_family"}
