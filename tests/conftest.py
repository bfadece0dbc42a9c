"""Shared fixtures: a migrated database per test, on SQLite by default or on PostgreSQL when
DICASE_TEST_DATABASE_URL names a server (the suite runs on both in CI)."""
from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from app.access.organisations import load_organisations
from app.config import PROJECT_ROOT, Settings
from app.db import transaction
from app.db.migrate import upgrade
from app.db.models import Base
from app.db.scratch import scratch_database
from app.services import Services, build_services

PROCESSES = PROJECT_ROOT / "processes"
FORMS = PROJECT_ROOT / "forms"


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a SQLite file to copy per test, or a PostgreSQL database to empty."""
    server = os.environ.get("DICASE_TEST_DATABASE_URL")
    if not server:
        path = tmp_path_factory.mktemp("db") / "template.sqlite"
        upgrade(f"sqlite:///{path}")
        _load_reference_data(f"sqlite:///{path}")
        yield f"sqlite:///{path}"
        return
    with scratch_database(server, "dicase_test") as url:
        upgrade(url)
        _load_reference_data(url)
        yield url


def _load_reference_data(url: str) -> None:
    services = build_services(make_settings(url))
    with transaction(services.sessions) as session:
        load_organisations(session)
    services.db.dispose()
    if url.startswith("sqlite"):
        # Tests copy the template's main file only: move everything out of the WAL into it.
        with closing(sqlite3.connect(url.split("///", 1)[1])) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


# Reference data that every test database keeps; the rest is emptied between tests.
_KEPT_TABLES = frozenset({"organisation"})
# DELETE, dependants first, and every sequence back to 1: a few milliseconds for the handful of
# rows a test writes, where TRUNCATE of every table took 250 ms and more per test.
_EMPTY_TABLES = "; ".join(
    [f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables)
     if t.name not in _KEPT_TABLES]
    + ["SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"])


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    if database_template.startswith("sqlite"):
        path = tmp_path / "dicase.sqlite"
        template = Path(database_template.split("///", 1)[1])
        shutil.copy(template, path)
        wal = template.with_name(template.name + "-wal")
        if wal.exists() and wal.stat().st_size:  # a checkpoint that could not finish
            shutil.copy(wal, path.with_name(path.name + "-wal"))
        return f"sqlite:///{path}"
    engine = create_engine(database_template)
    with engine.begin() as conn:
        conn.exec_driver_sql(_EMPTY_TABLES)
    engine.dispose()
    return database_template


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url, "processes_dir": PROCESSES, "forms_dir": FORMS,
        "job_backoff_seconds": 0.05, "lease_seconds": 30.0, "poll_seconds": 0.05, "script_time_limit": 1.0,
        "adapter_timeout": 5.0, "start_simulators": False, "in_process_workers": False,
        # Never the checkout's own demo key (var/), which `make run` may have made.
        "pseudonym_demo_key_file": Path(tempfile.gettempdir()) / "dicase-tests-no-demo-key",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str, simulators: dict[str, Any]) -> Settings:
    from adapters.simulators import adapter_settings

    return make_settings(database_url, **adapter_settings(simulators))


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    services = build_services(settings)
    yield services
    services.db.dispose()


@pytest.fixture(scope="session")
def simulator_servers() -> Iterator[dict[str, Any]]:
    """Every external system's simulator, on free loopback ports, for the whole session."""
    from adapters.simulators import start_all

    running = start_all({})
    yield running
    for simulator in running.values():
        simulator.stop()


@pytest.fixture
def simulators(simulator_servers: dict[str, Any]) -> dict[str, Any]:
    """The simulators, emptied, with their fixture data restored and without faults, per test."""
    import requests

    for simulator in simulator_servers.values():
        reset = requests.post(f"{simulator.url}/_control/reset", json={}, timeout=5)
        assert reset.status_code == 200, reset.text
    return simulator_servers


@pytest.fixture(scope="session")
def npais_server(simulator_servers: dict[str, Any]) -> object:
    return simulator_servers["npais"]


@pytest.fixture
def npais_simulator(simulators: dict[str, Any]) -> object:
    """The NPAIS simulator, emptied and without faults for each test."""
    return simulators["npais"]
