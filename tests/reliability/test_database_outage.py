"""The database goes away and comes back: pages, the API and /healthz answer 503 with a clear
message meanwhile (not a 500 and a stack trace), the workers and the caseworkers' process back
off and log it, and once the server is back everything resumes and every instance finishes
consistent.

The slow test restarts a PostgreSQL cluster with ``pg_ctlcluster`` (stopped, then started, so
the time between can be looked at). The fast one reaches no database at all."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app import create_app
from app.access.organisations import load_organisations
from app.auth.service import create_user
from app.db import transaction
from app.db.migrate import upgrade
from app.db.scratch import reachable_server_version, scratch_database
from app.services import Services, build_services
from tests.conftest import make_settings
from tests.web.conftest import PASSWORD, login

from .harness import (
    WORKER,
    Crew,
    caseworkers_command,
    child_environment,
    deploy_probe,
    instance_counts,
    verify_run,
    wait_for,
)

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LATVIAN = "Datubāze pašlaik nav pieejama"
ENGLISH = "The database is not available at the moment"


def _signed_in(services: Services) -> FlaskClient:
    with transaction(services.sessions) as session:
        load_organisations(session)
        create_user(session, "anna", "Anna", PASSWORD, roles=["caseworker"],
                    groups=["testers"], organisation_code="VSAC-RIGA", locale="lv")
    app = create_app(services=services)
    client = app.test_client()
    assert login(client, "anna").status_code == 302
    assert client.get("/inbox").status_code == 200
    return client


def _assert_unavailable(client: FlaskClient) -> None:
    """What a reader, an API client and a load balancer see while the database is away."""
    health = client.get("/healthz")
    assert (health.status_code, health.json) == (
        503, {"status": "unavailable", "error": "the database cannot be reached"})
    page = client.get("/inbox")
    assert page.status_code == 503
    assert page.text.index(LATVIAN) < page.text.index(ENGLISH)  # Latvian first
    assert "Traceback" not in page.text and page.headers["Retry-After"]
    api = client.get("/api/v1/tasks", headers={
        "Accept-Language": "en", "Authorization": "ApiKey dicase_5f0c2a9e1b7d_0e6b1c2d3e4f"})
    assert api.status_code == 503
    assert api.json["error"]["code"] == "database_unavailable"
    assert ENGLISH in api.json["error"]["message"]


def test_pages_answer_503_with_a_clear_message_when_the_database_cannot_be_reached(
        tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    url = f"sqlite:///{folder / 'dicase.sqlite'}"
    upgrade(url)
    services = build_services(make_settings(url, secret_key="outage-tests"))
    client = _signed_in(services)
    services.db.dispose()
    shutil.rmtree(folder)  # a volume lost: no connection can be opened any more
    try:
        _assert_unavailable(client)
    finally:
        services.db.dispose()


# --- PostgreSQL restarted mid-run -------------------------------------------------------------


def _cluster_serving(url: str) -> tuple[list[str], str]:
    """The ``pg_ctlcluster`` version and name of the cluster on the URL's port
    (DICASE_RELIABILITY_PG_CLUSTER="15 main" to name it), or a skip with the reason."""
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        pytest.skip("pg_ctlcluster is not installed: the outage test restarts PostgreSQL with it")
    if os.geteuid() != 0:
        pytest.skip("pg_ctlcluster needs root to stop and start a cluster")
    named = os.environ.get("DICASE_RELIABILITY_PG_CLUSTER")
    if named:
        return named.split(), named
    port = str(make_url(url).port or 5432)
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True,
                             check=False).stdout
    for line in listing.splitlines():
        version, name, cluster_port, status = line.split()[:4]
        if cluster_port == port and status == "online":
            return [version, name], f"{version}/{name}"
    pytest.skip(f"no local PostgreSQL cluster online on port {port} (pg_lsclusters)")


def _pg_ctl(cluster: list[str], action: str) -> None:
    subprocess.run(["pg_ctlcluster", *cluster, action, *(["-m", "fast"] if action == "stop" else [])],
                   check=True, capture_output=True, timeout=120)


@pytest.fixture
def outage_server() -> Iterator[tuple[str, list[str], str]]:
    server = os.environ.get("DICASE_TEST_DATABASE_URL") or POSTGRES
    if server.startswith("sqlite"):
        pytest.skip("the outage test restarts PostgreSQL; DICASE_TEST_DATABASE_URL names SQLite")
    if reachable_server_version(server) is None:
        pytest.skip(f"PostgreSQL at {server} is not reachable")
    cluster, name = _cluster_serving(server)
    yield server, cluster, name
    # Whatever failed, the server is left running.
    subprocess.run(["pg_ctlcluster", *cluster, "start"], capture_output=True, check=False)


@pytest.mark.slow
def test_postgresql_restarted_mid_run(outage_server: tuple[str, list[str], str],
                                      simulators: dict[str, Any], tmp_path: Path) -> None:
    server, cluster, cluster_name = outage_server
    instances = int(os.environ.get("DICASE_OUTAGE_INSTANCES", "300"))
    npais = simulators["npais"].url
    with scratch_database(server, "dicase_outage") as url:
        upgrade(url)
        services = build_services(make_settings(url, secret_key="outage-tests"))
        deploy_probe(services)
        client = _signed_in(services)
        crew = Crew({"worker-1": WORKER, "worker-2": WORKER,
                     "caseworkers": caseworkers_command(instances)},
                    child_environment(url, npais, lease_seconds=2.0), tmp_path)
        began = time.monotonic()
        try:
            for name in crew.commands:
                crew.start(name)
            wait_for(lambda: _completed(services) >= instances // 4, 600,
                     "a quarter of the instances completed", every=0.5)
            before = dict(_counts(services))
            stopped = time.monotonic()
            _pg_ctl(cluster, "stop")
            try:
                _assert_unavailable(client)
                # Each process notices, logs it and waits; none of them exits.
                for name in crew.commands:
                    wait_for(lambda name=name: _logged_unavailable(crew.log_text(name)), 60,
                             f"{name} logs the database as unavailable", every=0.5)
                time.sleep(3.0)  # the back-off grows while the server stays away
                assert all(p.poll() is None for p in crew.running.values())
            finally:
                _pg_ctl(cluster, "start")
            down = time.monotonic() - stopped
            wait_for(lambda: client.get("/healthz").status_code == 200, 60, "/healthz answers 200")
            assert client.get("/inbox").status_code == 200  # the session survived the restart
            wait_for(lambda: _completed(services) == instances, 900, "every instance completed",
                     every=0.5)
            took = time.monotonic() - began
            for name, process in crew.running.items():
                assert process.poll() is None, f"{name} exited:\n{crew.log_text(name)}"
        finally:
            crew.stop_all()
        figures = verify_run(services, npais, instances)
        services.db.dispose()
    logs = {name: crew.log_text(name) for name in crew.commands}
    for name, text in logs.items():
        assert "Exception in thread" not in text, f"a thread of {name} died:\n{text[-3000:]}"
    backoffs = {name: len(re.findall(r"unavailable", text)) for name, text in logs.items()}
    print(f"\ndatabase outage ({cluster_name}): stopped with {before} instances, down "
          f"{down:.1f} s; all {instances} completed {took:.0f} s after the start; "
          f"unavailability logged {backoffs}; {figures['summary']}")


def _completed(services: Services) -> int:
    try:
        return _counts(services)["completed"]
    except OperationalError:  # a pooled connection from before the restart, replaced next time
        return -1


def _counts(services: Services) -> Any:
    with services.sessions() as session:
        return instance_counts(session)


def _logged_unavailable(text: str) -> bool:
    return "database unavailable" in text
