"""/metrics: who may read it, and the figures moving with real work (requests, task
completions, job outcomes, timer lag, incidents, the outbox), read as Prometheus reads them."""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from app import create_app
from app.config import Settings
from app.db.models import utcnow
from app.engine import incidents
from app.engine.runtime import Actor
from app.observability import metrics as metrics_module
from app.services import Services, build_services
from tests.engine.helpers import deploy_fixture, deploy_processes, jobs, open_tasks, timers
from tests.web.conftest import PLACEMENT_FORM, post
from workers.jobs import run_due_jobs
from workers.outbox import send_due
from workers.timers import fire_due_timers

TESTER = Actor("x", frozenset({"testers"}))
NOTIFY = "npais.notify_orphan_court"
LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}
ELSEWHERE = {"REMOTE_ADDR": "10.20.30.40"}


@pytest.fixture
def ops_services(settings: Settings) -> Iterator[Services]:
    services = build_services(dataclasses.replace(settings, secret_key="ops-tests",
                                                  metrics_token="s3cret-scrape-token"))
    yield services
    services.db.dispose()


@pytest.fixture
def client(ops_services: Services) -> FlaskClient:
    app = create_app(services=ops_services)
    app.config.update(TESTING=True)
    return app.test_client()


def scrape(client: FlaskClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics by name and labels, as Prometheus parses them."""
    answer = client.get("/metrics", environ_base=LOOPBACK)
    assert answer.status_code == 200, answer.text
    assert answer.content_type.startswith("text/plain; version=")
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def inject(simulator: Any, mode: str, count: int) -> None:
    requests.post(f"{simulator.url}/_control/faults", json={"mode": mode, "count": count},
                  timeout=5).raise_for_status()


def start_call(services: Services, number: str, wait_for: str = "PT0S") -> int:
    """An instance whose user task, once completed, waits ``wait_for`` and then calls NPAIS."""
    iid = services.engine.start("wait_then_call", {
        "wait_for": wait_for, "court": "RIGA", "case_number": number, "divisor": 1,
        "review_due": "2030-01-31"}, business_key=number, actor=Actor("t"))
    services.engine.complete_task(open_tasks(services, iid)[0].id, TESTER, {})
    return iid


def settle(services: Services, iid: int) -> str:
    for _ in range(60):
        run_due_jobs(services, "w1")
        status = jobs(services, iid)[0].status
        if status in ("done", "incident"):
            return status
        time.sleep(0.06)
    raise AssertionError("the job did not settle")


def test_metrics_only_for_the_allowed_addresses_or_the_token(client: FlaskClient) -> None:
    assert client.get("/metrics", environ_base=LOOPBACK).status_code == 200
    assert client.get("/metrics", environ_base=ELSEWHERE).status_code == 403
    assert client.get("/metrics", environ_base=ELSEWHERE,
                      headers={"Authorization": "Bearer wrong-token"}).status_code == 403
    assert client.get("/metrics", environ_base=ELSEWHERE,
                      headers={"Authorization": "Bearer s3cret-scrape-token"}).status_code == 200


def test_a_network_in_the_allow_list_may_scrape_and_a_mistyped_one_stops_the_start(
        ops_services: Services) -> None:
    allowing = build_services(dataclasses.replace(ops_services.settings, metrics_token="",
                                                  metrics_allow="10.20.0.0/16, ::1"))
    try:
        client = create_app(services=allowing).test_client()
        assert client.get("/metrics", environ_base=ELSEWHERE).status_code == 200
        assert client.get("/metrics", environ_base=LOOPBACK).status_code == 403
        # Without a token set, no Authorization header opens it.
        assert client.get("/metrics", environ_base=LOOPBACK,
                          headers={"Authorization": "Bearer "}).status_code == 403
    finally:
        allowing.db.dispose()
    with pytest.raises(ValueError):
        create_app(services=dataclasses.replace(ops_services, settings=dataclasses.replace(
            ops_services.settings, metrics_allow="10.20.0.0/33")))


def test_requests_are_counted_by_endpoint_and_status(client: FlaskClient) -> None:
    before = scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no/such/page")
    after = scrape(client)
    ready = {"endpoint": "healthz", "method": "GET", "status": "200"}
    assert value(after, "dicase_http_requests_total", **ready) - value(
        before, "dicase_http_requests_total", **ready) == 2
    missing = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert value(after, "dicase_http_requests_total", **missing) - value(
        before, "dicase_http_requests_total", **missing) == 1
    timed = {"endpoint": "healthz", "status": "200"}
    assert value(after, "dicase_http_request_duration_seconds_count", **timed) - value(
        before, "dicase_http_request_duration_seconds_count", **timed) == 2


@pytest.mark.parametrize("settled_seconds", [300.0, 0.0])
def test_job_outcomes_and_open_incidents_follow_the_job_runner(
        client: FlaskClient, ops_services: Services, npais_simulator: Any,
        monkeypatch: pytest.MonkeyPatch, settled_seconds: float) -> None:
    # 0: every event counts as settled at once, so the totals kept between scrapes are used.
    monkeypatch.setattr(metrics_module, "SETTLED_SECONDS", settled_seconds)
    deploy_fixture(ops_services, "wait_then_call.bpmn")
    before = scrape(client)
    assert value(before, "dicase_open_incidents", kind="job") == 0

    inject(npais_simulator, "fault", 1)
    assert settle(ops_services, start_call(ops_services, "M-1")) == "done"
    middle = scrape(client)
    assert value(middle, "dicase_job_outcomes_total", operation=NOTIFY, outcome="done") == 1
    assert value(middle, "dicase_job_outcomes_total", operation=NOTIFY, outcome="retry") == 1
    assert value(middle, "dicase_task_completions_total", process="wait_then_call") == 1

    ops = dataclasses.replace(ops_services, settings=dataclasses.replace(
        ops_services.settings, job_max_attempts=2))
    ops.engine = type(ops_services.engine)(ops.sessions, ops.settings)
    inject(npais_simulator, "malformed", 2)
    failing = start_call(ops, "M-2")
    assert settle(ops, failing) == "incident"
    after = scrape(client)
    assert value(after, "dicase_job_outcomes_total", operation=NOTIFY, outcome="retry") == 2
    assert value(after, "dicase_job_outcomes_total", operation=NOTIFY, outcome="incident") == 1
    assert value(after, "dicase_open_incidents", kind="job") == 1
    assert value(after, "dicase_task_completions_total", process="wait_then_call") == 2

    with ops.sessions() as session:
        [incident] = incidents.open_incidents(session, failing)
    incidents.retry(ops.sessions, incident.id, "operator")
    assert value(scrape(client), "dicase_jobs", status="ready") == 1
    assert settle(ops, failing) == "done"
    last = scrape(client)
    assert value(last, "dicase_open_incidents", kind="job") == 0
    # The incident stays counted: a counter never goes back.
    assert value(last, "dicase_job_outcomes_total", operation=NOTIFY, outcome="incident") == 1
    assert value(last, "dicase_job_outcomes_total", operation=NOTIFY, outcome="done") == 2
    assert value(last, "dicase_job_outcomes_total", operation=NOTIFY, outcome="retry") == 2
    assert value(last, "dicase_jobs", status="ready") == 0


def test_timer_lag_is_the_time_from_due_to_fired(client: FlaskClient, ops_services: Services,
                                                 npais_simulator: Any) -> None:
    deploy_fixture(ops_services, "wait_then_call.bpmn")
    before = scrape(client)
    iid = start_call(ops_services, "L-1", wait_for="PT30S")
    [timer] = timers(ops_services, iid)
    # The scheduler was away: the timer fires 90 s after it was due.
    with time_machine.travel(timer.due_at + timedelta(seconds=90), tick=False):
        assert fire_due_timers(ops_services, "w1") == 1
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("dicase_timer_lag_seconds_count") == 1
    assert delta("dicase_timer_lag_seconds_bucket", le="60.0") == 0
    assert delta("dicase_timer_lag_seconds_bucket", le="300.0") == 1
    assert delta("dicase_timer_lag_seconds_bucket", le="+Inf") == 1
    assert delta("dicase_timer_lag_seconds_sum") == pytest.approx(90.0, abs=0.01)


def test_the_outbox_gauge_counts_what_waits_to_be_sent(client: FlaskClient,
                                                       ops_services: Services) -> None:
    from app.out_of_family_care import service
    from tests.processes.test_p09_out_of_family_care import INSTITUTION, register_child

    deploy_processes(ops_services)
    today = utcnow().date()
    child = register_child(ops_services, born=today - timedelta(days=900))
    iid = service.start_placement(ops_services, person_id=child,
                                  placement_date=today - timedelta(days=20),
                                  institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                                  actor=INSTITUTION)
    service.end_placement(ops_services, instance_id=iid, end_date=today, reason="Atgriezts ģimenē",
                          actor=INSTITUTION)
    while run_due_jobs(ops_services, "w1"):
        pass
    queued = scrape(client)
    waiting = sum(value(queued, "dicase_outbox_messages", status="queued", channel=channel)
                  for channel in ("npais", "email", "in_app"))
    assert waiting >= 2  # the orphan court and the social service are told

    while send_due(ops_services, "w1"):
        pass
    sent = scrape(client)
    assert sum(value(sent, "dicase_outbox_messages", status="queued", channel=channel)
               for channel in ("npais", "email", "in_app")) == 0
    assert value(sent, "dicase_outbox_messages", status="sent", channel="npais") >= 1


def test_completing_a_task_in_the_browser_counts(app: Flask, anna: FlaskClient,
                                                 p9_task: int) -> None:
    def completions() -> float:
        answer = app.test_client().get("/metrics", environ_base=LOOPBACK)
        samples = {(s.name, s.labels.get("process")): s.value
                   for f in text_string_to_metric_families(answer.text) for s in f.samples}
        return samples.get(("dicase_task_completions_total", "p09_out_of_family_care"), 0.0)

    assert completions() == 0
    assert post(anna, f"/tasks/{p9_task}", PLACEMENT_FORM).status_code == 302
    assert completions() == 1
