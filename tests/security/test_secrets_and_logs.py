"""Secrets stay out of the database and personal data stays out of the logs.

The credentials of the external systems, of Keycloak and of the mail server, the session
signing key and the pseudonymisation key are settings (environment or files): no table has a
column for them and no run writes them anywhere. A representative run, the demo data (persons
registered, P1-P11 started, tasks completed, every adapter called through the simulators), a
synthetic population extracted into the statistics store and published, pages and API calls,
is logged at DEBUG by the product's loggers, and none of the personal codes, names or addresses
it used appears in those logs.
"""
from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from app import create_app
from app.api import keys
from app.db import transaction
from app.db.models import Base, Person
from app.demo import load_demo_data
from app.engine.deploy import deploy_directory
from app.opendata.demo_population import load_population_demo
from app.services import Services, build_services
from tests.conftest import make_settings
from tests.web.conftest import login

PRODUCT_LOGGERS = ("app", "workers", "adapters")

# Distinctive values for every secret setting, to look for afterwards.
SECRETS = {
    "secret_key": "session-signing-key-7f3a9c",
    "oidc_client_secret": "oidc-client-secret-51b2e8",
    "smtp_password": "smtp-password-c4d91a",
    "pseudonym_key": "k9:pseudonym-secret-0d6e2f-pseudonym-secret-0d6e2f",
}

# Columns whose names suggest a secret, and why each holds none.
HASHED_OR_NOT_SECRET = {
    "app_user.password_hash": "argon2id hash of a local account's password",
    "api_key.secret_sha256": "SHA-256 of the API key; the key is shown once and not kept",
    "api_key.prefix": "the key's public prefix, to find its row",
    "kept_form.token_sha256": "SHA-256 of the token of a form kept after the session ended",
    "signed_in_session.token_sha256": "SHA-256 of a signed-in session's token; the token is in "
                                      "the browser's cookie only",
    "login_attempt.username_key": "HMAC of the username, for throttling",
    "stat_load.key_version": "the pseudonym key's version label, not the key",
    "event.hash": "the audit chain", "event.prev_hash": "the audit chain",
    "process_instance.last_event_hash": "the audit chain's head",
    "process_definition.content_hash": "SHA-256 of a model",
}
_SECRET_NAME = re.compile(r"secret|passw|token|credential|private|cert|_key$|^key$|hash|salt",
                          re.IGNORECASE)
_NOT_SECRET_KEYS = re.compile(r"idempotency_key|delivery_key|process_key|business_key|form_key")


def test_no_column_holds_a_credential_or_a_key() -> None:
    unexplained = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            name = f"{table.name}.{column.name}"
            if _SECRET_NAME.search(column.name) and not _NOT_SECRET_KEYS.search(column.name) \
                    and name not in HASHED_OR_NOT_SECRET:
                unexplained.append(name)
    assert not unexplained, f"columns that may hold a secret: {unexplained}"
    assert not [t for t in Base.metadata.tables if re.search(r"setting|config|credential", t)]


def test_the_migrated_schema_is_the_models_schema(database_url: str) -> None:
    """The check above reads the models; the database the migrations make has no other
    column."""
    services = build_services(make_settings(database_url))
    try:
        inspector = inspect(services.db)
        for table in inspector.get_table_names():
            if table == "alembic_version":
                continue
            model = Base.metadata.tables[table]
            assert {c["name"] for c in inspector.get_columns(table)} == set(model.columns.keys())
    finally:
        services.db.dispose()


def _read(path: Path) -> str:
    raw = path.read_bytes()
    return (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8", "replace")


class _Everything(logging.Handler):
    """Every record of the product's loggers, with its arguments, extra fields and traceback,
    whatever formatter the deployment uses."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        standard = logging.LogRecord("", 0, "", 0, "", (), None).__dict__
        extra = {k: v for k, v in record.__dict__.items() if k not in standard}
        self.lines.append(" ".join([record.name, record.getMessage(), repr(extra),
                                    self.format(record) if record.exc_info else ""]))


@pytest.fixture
def captured() -> Iterator[_Everything]:
    handler = _Everything()
    levels = {}
    for name in PRODUCT_LOGGERS:
        logger = logging.getLogger(name)
        levels[name] = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    yield handler
    for name in PRODUCT_LOGGERS:
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(levels[name])


@pytest.fixture
def run(database_url: str, simulators: dict[str, Any], tmp_path: Path,
        captured: _Everything) -> Iterator[tuple[Services, Path]]:
    from adapters.simulators import adapter_settings

    extracts = tmp_path / "registers"
    services = build_services(make_settings(
        database_url, pseudonym_key_file="", opendata_extracts_dir=extracts,
        secret_key=SECRETS["secret_key"], oidc_client_secret=SECRETS["oidc_client_secret"],
        smtp_password=SECRETS["smtp_password"], pseudonym_key=SECRETS["pseudonym_key"],
        **adapter_settings(simulators)))
    yield services, extracts
    services.db.dispose()


def test_a_representative_run_logs_no_personal_data_and_stores_no_secret(
        run: tuple[Services, Path], captured: _Everything) -> None:
    services, extracts = run
    outcome = deploy_directory(services.sessions, services.settings.processes_dir, "test")
    assert not outcome.errors
    load_population_demo(services, scale=300, seed=3, today=date(2026, 11, 27))
    load_demo_data(services)

    app = create_app(services=services)
    app.config.update(TESTING=True)
    with services.sessions() as db:
        persons = list(db.scalars(select(Person)))
    assert len(persons) > 50
    # Pages: the municipality's caseworker searches by personal code and opens case files.
    client = app.test_client()
    assert login(client, "soc", "demo-soc").status_code == 302
    for person in persons[:10]:
        client.get("/persons", query_string={"q": person.personal_code})
        client.get(f"/persons/{person.id}")
    login(app.test_client(), "soc", "wrong password")
    # The API: a search by code, a person, a registration refused as a duplicate.
    with transaction(services.sessions) as db:
        key = keys.create_key(db, organisation_code="RIGA", name="logs", roles=["caseworker"],
                              groups=["social_service"], created_by="tests").secret
    api = {"Authorization": f"ApiKey {key}"}
    riga = [p for p in persons if p.municipality_code == "RIGA"]
    for person in riga[:5]:
        assert client.get("/api/v1/persons", query_string={"q": person.personal_code},
                          headers=api).status_code == 200
        assert client.get(f"/api/v1/persons/{person.id}", headers=api).status_code == 200
    duplicate = client.post("/api/v1/persons", headers=api, json={
        "personal_code": riga[0].personal_code, "given_name": riga[0].given_name,
        "family_name": riga[0].family_name, "municipality_code": "RIGA"})
    assert duplicate.status_code in (409, 422)

    logged = "\n".join(captured.lines)
    assert len(captured.lines) > 100, "the run was logged"
    found = []
    for person in persons:
        code = person.personal_code or ""
        for value in (code, code.replace("-", "")):
            if value and value in logged:
                found.append(f"personal code of person {person.id}")
        for name in (person.given_name, person.family_name, person.address):
            if name and len(name) > 2 and re.search(rf"\b{re.escape(name)}\b", logged):
                found.append(f"{name!r} of person {person.id}")
    population_codes = set(re.findall(r"\b\d{6}-?\d{5}\b", " ".join(
        _read(path) for path in extracts.rglob("*") if path.is_file())))
    assert population_codes, "the population's extracts name persons"
    found += [f"a population code {code[:6]}" for code in population_codes
              if code in logged or code.replace("-", "") in logged]
    assert not found, found

    for name, value in SECRETS.items():
        secret = value.split(":", 1)[-1]
        assert secret not in logged, name
    with services.db.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"')):
                stored = repr(tuple(row))
                for name, value in SECRETS.items():
                    assert value.split(":", 1)[-1] not in stored, (table.name, name)
