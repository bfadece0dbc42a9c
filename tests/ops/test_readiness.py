"""/readyz answers 200 only when the database answers, its schema is at the release's head and
the release's process files are deployed; otherwise 503 with the reason and what to run."""
from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import closing
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from app.config import Settings
from app.engine.deploy import deploy_directory
from app.observability.readiness import migration_heads
from app.services import build_services
from tests.conftest import make_settings


def client_for(settings: Settings) -> FlaskClient:
    app = create_app(services=build_services(dataclasses.replace(settings, secret_key="ready")))
    return app.test_client()


def test_ready_once_migrated_and_deployed(database_url: str) -> None:
    settings = make_settings(database_url)
    client = client_for(settings)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "process files not deployed" in answer.json["reasons"][0]
    assert "p09_out_of_family_care.bpmn" in answer.json["reasons"][0]
    assert "dicase deploy" in answer.json["reasons"][0]

    assert not deploy_directory(build_services(settings).sessions, settings.processes_dir,
                                "release").errors
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json) == (200, {"status": "ready"})


def test_a_schema_behind_the_release_is_not_ready(database_url: str) -> None:
    settings = make_settings(database_url)
    services = build_services(settings)
    assert not deploy_directory(services.sessions, settings.processes_dir, "release").errors
    [head] = migration_heads()
    client = client_for(settings)
    with services.db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        [reason] = answer.json["reasons"]
        assert "schema is at 0001" in reason and head in reason and "dicase db upgrade" in reason
        # Alive all the same: a restart would not help, the upgrade will.
        assert client.get("/healthz").status_code == 200
    finally:
        with services.db.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        services.db.dispose()


def test_an_empty_database_is_not_ready(tmp_path: Path) -> None:
    empty = tmp_path / "empty.sqlite"
    with closing(sqlite3.connect(empty)) as conn:
        conn.execute("CREATE TABLE unrelated (x)")
    answer = client_for(make_settings(f"sqlite:///{empty}")).get("/readyz")
    assert answer.status_code == 503
    assert answer.json["reasons"] == ["the database has no schema: run `dicase db upgrade`"]


def test_an_unreachable_database_is_neither_healthy_nor_ready() -> None:
    # Nothing listens on port 1 of the loopback address: the connection is refused at once.
    client = client_for(make_settings("postgresql+psycopg://dicase@127.0.0.1:1/dicase"))
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json["reasons"]) == (
        503, ["the database cannot be reached"])
    assert client.get("/healthz").status_code == 503
