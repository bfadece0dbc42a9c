"""The operators' cockpit: incidents with their errors and attempts, retrying one or many,
suspending, resuming and terminating with a reason that lands in the history, and the count of
running instances per process version. Admins and operators only."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.db.models import Event, Incident, PeriodicReportDelivery, ProcessInstance
from app.engine.errors import InstanceNotActive
from app.operations import service
from app.services import Services
from tests.history.conftest import Case, run_p9_case
from tests.web.conftest import P9, P9_START, post, start_for_child
from workers.jobs import run_due_jobs


def _events(services: Services, instance_id: int) -> list[Event]:
    with services.sessions() as session:
        return list(session.scalars(select(Event).where(Event.instance_id == instance_id)
                                    .order_by(Event.seq)))


def _status(services: Services, instance_id: int) -> str:
    with services.sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        return instance.status


def test_incidents_show_the_error_and_attempts_and_are_retried(
        operator: FlaskClient, web_services: Services, npais_simulator: object) -> None:
    case = run_p9_case(web_services, npais_simulator, failing_delivery=True)
    page = operator.get("/operations").text
    assert "NPAIS is temporarily unavailable" in page and "5 / 5" in page
    assert "npais.deliver_periodic_report" in page and "P9-2026-0001" in page
    with web_services.sessions() as session:
        [incident] = session.scalars(select(Incident)).all()
    response = post(operator, "/operations/incidents/retry", {"one": str(incident.id)})
    assert response.status_code == 302
    assert "Atkārtoti palaisti: #1" in operator.get("/operations").text
    with web_services.sessions() as session:
        found = session.get(Incident, incident.id)
        assert found is not None and found.resolved_by == "operators"
    retried = [e for e in _events(web_services, case.instance_id) if e.kind == "incident_retried"]
    assert [(e.actor, e.detail["incident_id"]) for e in retried] == [("operators", incident.id)]
    # Again: it is no longer open.
    post(operator, "/operations/incidents/retry", {"incident_ids": [str(incident.id)]})
    assert "Netika palaisti atkārtoti" in operator.get("/operations").text
    # NPAIS is back: the retried delivery goes through, then SOPA, and the receipts are kept.
    while run_due_jobs(web_services, "worker-1"):
        pass
    with web_services.sessions() as session:
        delivered = session.scalars(select(PeriodicReportDelivery).where(
            PeriodicReportDelivery.instance_id == case.instance_id)
            .order_by(PeriodicReportDelivery.report_date)).all()
    assert [str(row.report_date) for row in delivered] == ["2025-04-01", "2025-06-20"]
    assert delivered[1].npais_report_id and delivered[1].sopa_reference


def test_retrying_many_at_once(web_services: Services, npais_simulator: object) -> None:
    run_p9_case(web_services, npais_simulator, failing_delivery=True)
    with web_services.sessions() as session:
        ids = list(session.scalars(select(Incident.id)))
    done, refused = service.retry_incidents(web_services.sessions, [*ids, 999], "ops")
    assert (done, refused) == (ids, [999])


def test_suspend_resume_and_terminate_with_a_reason_in_the_history(
        operator: FlaskClient, p9_case: Case, web_services: Services) -> None:
    iid = p9_case.instance_id

    def act(action: str, reason: str) -> None:
        response = post(operator, "/operations/intervene",
                        {"instance_id": str(iid), "action": action, "reason": reason})
        assert response.status_code == 302

    act("suspend", "Bērns pārvests uz citu iestādi; gaidām lēmumu")
    assert _status(web_services, iid) == "suspended"
    assert "Uz laiku pārtrauktie procesi" in operator.get("/operations").text
    act("resume", "Lēmums saņemts")
    act("terminate", "Lieta reģistrēta kļūdaini")
    assert _status(web_services, iid) == "terminated"
    tail = [(e.kind, e.actor, e.detail) for e in _events(web_services, iid)][-4:]
    assert tail == [
        ("instance_suspended", "operators",
         {"reason": "Bērns pārvests uz citu iestādi; gaidām lēmumu"}),
        ("instance_resumed", "operators", {}),
        ("operator_note", "operators", {"action": "resume", "reason": "Lēmums saņemts"}),
        ("instance_terminated", "operators", {"reason": "Lieta reģistrēta kļūdaini"})]
    # The history shows each with its reason, and the chain still verifies.
    history = operator.get(f"/instances/{iid}").text
    assert "Vēsture ir neskarta" in history
    for shown in ("Process pārtraukts uz laiku", "gaidām lēmumu", "Process atsākts",
                  "Operatora norādītais iemesls", "Lēmums saņemts", "Process apturēts",
                  "Lieta reģistrēta kļūdaini", "Oskars Operators (operators)"):
        assert shown in history, shown


def test_a_reason_is_required_and_nothing_changes_without_one(
        operator: FlaskClient, p9_case: Case, web_services: Services) -> None:
    before = len(_events(web_services, p9_case.instance_id))
    response = post(operator, "/operations/intervene",
                    {"instance_id": str(p9_case.instance_id), "action": "terminate",
                     "reason": "   "})
    assert response.status_code == 302 and "#intervene" in response.headers["Location"]
    assert "Norādiet iemeslu" in operator.get("/operations").text
    assert _status(web_services, p9_case.instance_id) == "active"
    assert len(_events(web_services, p9_case.instance_id)) == before
    with pytest.raises(service.InterventionRefused):
        service.intervene(web_services.engine, web_services.sessions, p9_case.instance_id,
                          "suspend", "", "ops")
    post(operator, "/operations/intervene",
         {"instance_id": str(p9_case.instance_id), "action": "resume", "reason": "why not"})
    assert "stāvoklis to neļauj" in operator.get("/operations").text
    post(operator, "/operations/intervene",
         {"instance_id": "999999", "action": "suspend", "reason": "x"})
    assert "Procesa 999999 nav" in operator.get("/operations").text
    with pytest.raises(InstanceNotActive):
        service.intervene(web_services.engine, web_services.sessions, p9_case.instance_id,
                          "resume", "not suspended", "ops")


def test_running_instances_are_counted_per_process_version(
        operator: FlaskClient, p9_case: Case, web_services: Services) -> None:
    second = start_for_child(web_services, P9, dict(P9_START, case_number="P9-2026-0002"),
                             "P9-2026-0002")
    web_services.engine.suspend(second, service.Actor("ops"), "test")
    with web_services.sessions() as session:
        counts = service.process_counts(session)
    assert [(c.process_key, c.version, c.active, c.suspended) for c in counts] == [
        (P9, 1, 1, 1)]
    page = operator.get("/operations").text
    assert "Notiekošie procesi pa versijām" in page and "p09_out_of_family_care" in page


def test_only_admins_and_operators_reach_the_cockpit(
        account: Callable[..., FlaskClient], operator: FlaskClient) -> None:
    admin = account("admin", ("admin",), "LM")
    caseworker = account("inese", ("caseworker",), "VSAC-RIGA", ("institution",))
    owner = account("owner", ("process_owner",), "LM")
    for client in (admin, operator):
        assert client.get("/operations").status_code == 200
        assert 'href="/operations"' in client.get("/inbox").text
    for client in (caseworker, owner):
        assert client.get("/operations").status_code == 403
        assert 'href="/operations"' not in client.get("/inbox").text
        response = post(client, "/operations/intervene",
                        {"instance_id": "1", "action": "suspend", "reason": "x"})
        assert response.status_code == 403
