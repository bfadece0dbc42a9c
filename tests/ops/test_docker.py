"""docker/ cannot be run here, so it is checked against the product: every service's command is
a real `dicase` command with real options, every DICASE_ variable a setting, the addresses point
at services and ports that exist, and the Keycloak realm holds the product's roles, groups and a
demo user per role."""
from __future__ import annotations

import dataclasses
import json
import re
import shlex
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml
from sqlalchemy import create_engine, select

from adapters.simulators import SIMULATORS
from app.auth.oidc import PRODUCT_ROLES
from app.cli import main
from app.config import PROJECT_ROOT, Settings
from app.db.models import Organisation
from app.demo import DEMO_USERS

DOCKER = PROJECT_ROOT / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
REALM = json.loads((DOCKER / "keycloak" / "dicase-realm.json").read_text(encoding="utf-8"))
DOCKERFILE = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
SETTINGS = {f"DICASE_{field.name.upper()}" for field in dataclasses.fields(Settings)}
OURS = sorted(name for name, service in SERVICES.items() if "build" in service)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    return {str(k): str(v) for k, v in env.items()}


def commands(service: dict[str, Any]) -> list[list[str]]:
    """The command lines a service runs (a `sh -c "a && b"` is two)."""
    command = service.get("command")
    if command is None:
        return []
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if words[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in words[2].split("&&")]
    return [words]


def resolve(words: list[str]) -> click.Command:
    """The click command the words name, with its options parsed as `dicase` would."""
    assert words[0] == "dicase", words
    command: click.Command = main
    args = words[1:]
    context = click.Context(main, info_name="dicase")
    while isinstance(command, click.Group):
        name, args = args[0], args[1:]
        found = command.get_command(context, name)
        assert found is not None, f"`dicase` has no command {' '.join(words[:words.index(name) + 1])}"
        command = found
    command.make_context(command.name, list(args))  # unknown options or bad values raise
    return command


def test_the_services_built_from_the_image_run_real_commands() -> None:
    assert set(OURS) >= {"migrate", "app", "worker", "calendar-worker", "outbox-sender",
                         "simulators"}
    ran = set()
    for name in OURS:
        assert SERVICES[name]["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
        for words in commands(SERVICES[name]):
            ran.add(resolve(words).name)
    assert ran == {"upgrade", "deploy", "worker", "outbox-sender", "simulators"}
    # Exactly one worker starts the monthly processes.
    calendar = [name for name in OURS for words in commands(SERVICES[name])
                if "--calendar" in words]
    assert calendar == ["calendar-worker"]
    assert "deploy" not in SERVICES["calendar-worker"]


def test_the_app_service_runs_the_images_gunicorn_on_its_port() -> None:
    assert "command" not in SERVICES["app"]  # the image's CMD
    [cmd] = re.findall(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    words = json.loads(cmd)
    assert words[:3] == ["gunicorn", "--config", "docker/gunicorn.conf.py"]
    module, variable = words[3].split(":")
    assert (PROJECT_ROOT / (module.replace(".", "/") + ".py")).read_text().count(f"{variable} =")
    config = (DOCKER / "gunicorn.conf.py").read_text(encoding="utf-8")
    [port] = re.findall(r'^bind = "0\.0\.0\.0:(\d+)"$', config, re.MULTILINE)
    assert f"EXPOSE {port}" in DOCKERFILE
    assert SERVICES["app"]["ports"] == [f"{port}:{port}"]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(SERVICES["app"]["healthcheck"]["test"])
    # Every file the image copies is there.
    for source in re.findall(r"^COPY (\S+) ", DOCKERFILE, re.MULTILINE):
        assert (PROJECT_ROOT / source).exists(), source


def test_every_dicase_variable_is_a_setting() -> None:
    named = {variable for service in SERVICES.values() for variable in environment(service)
             if variable.startswith("DICASE_")}
    named |= set(re.findall(r"\b(DICASE_[A-Z0-9_]+)=", DOCKERFILE))
    assert named, "no settings found"
    assert named - SETTINGS == set()


def test_the_addresses_point_at_services_and_their_ports() -> None:
    env = environment(SERVICES["app"])
    assert urlsplit(env["DICASE_DATABASE_URL"]).hostname == "postgres"
    assert urlsplit(env["DICASE_OUTBOX_BROKER"]).hostname == "rabbitmq"
    keycloak = urlsplit(env["DICASE_OIDC_SERVER_URL"])
    assert keycloak.hostname == "keycloak"
    assert SERVICES["keycloak"]["ports"] == [f"{keycloak.port}:{keycloak.port}"]
    [simulators] = commands(SERVICES["simulators"])
    first = int(simulators[simulators.index("--first-port") + 1])
    for offset, (_system, (_factory, setting)) in enumerate(SIMULATORS.items()):
        assert env[f"DICASE_{setting.upper()}"] == f"http://simulators:{first + offset}"
    # The workers and the migration see the same settings as the app.
    for name in ("migrate", "worker", "calendar-worker", "outbox-sender"):
        assert environment(SERVICES[name]) == env
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            if volume.startswith("./"):
                assert (DOCKER / volume.split(":")[0]).exists(), volume


def test_keycloak_imports_the_realm_with_the_client_secret_from_the_environment() -> None:
    keycloak = SERVICES["keycloak"]
    assert "--import-realm" in keycloak["command"].split()
    assert "./keycloak:/opt/keycloak/data/import:ro" in keycloak["volumes"]
    [client] = REALM["clients"]
    placeholder = re.fullmatch(r"\$\{(\w+)\}", client["secret"])
    assert placeholder and placeholder.group(1) in environment(keycloak)
    assert placeholder.group(1) in SETTINGS
    # As docs/auth.md asks: confidential, code flow with PKCE only, groups as full paths.
    assert (client["publicClient"], client["standardFlowEnabled"],
            client["directAccessGrantsEnabled"], client["implicitFlowEnabled"]) == (
        False, True, False, False)
    assert client["attributes"]["pkce.code.challenge.method"] == "S256"
    app_url = environment(SERVICES["app"])["DICASE_OIDC_APP_URL"]
    assert client["redirectUris"] == [f"{app_url}/login/sso/callback"]
    mappers = {m["protocolMapper"]: m["config"] for m in client["protocolMappers"]}
    assert mappers["oidc-group-membership-mapper"]["full.path"] == "true"
    assert mappers["oidc-group-membership-mapper"]["claim.name"] == "groups"
    assert mappers["oidc-usermodel-realm-role-mapper"]["claim.name"] == "realm_access.roles"


def test_the_realm_holds_the_products_roles_and_a_demo_user_per_role(database_url: str) -> None:
    defaults = Settings()
    assert REALM["realm"] == defaults.oidc_realm
    assert [c["clientId"] for c in REALM["clients"]] == [defaults.oidc_client_id]
    prefix = defaults.oidc_role_prefix
    assert {role["name"] for role in REALM["roles"]["realm"]} == {
        prefix + role for role in PRODUCT_ROLES}

    users = {user["username"]: user for user in REALM["users"]}
    granted = {role for user in users.values() for role in user["realmRoles"]}
    assert granted == {prefix + role for role in PRODUCT_ROLES}
    # The same people as the local demo accounts, with the same roles and groups.
    org_prefix = defaults.oidc_organisation_group_prefix
    group_prefix = defaults.oidc_candidate_group_prefix
    for demo in DEMO_USERS:
        user = users[demo.username]
        assert user["realmRoles"] == [prefix + role for role in demo.roles]
        assert user["groups"] == [org_prefix + demo.organisation_code] + [
            group_prefix + group for group in demo.groups]
        assert user["credentials"] == [{"type": "password", "value": demo.password,
                                        "temporary": False}]

    realm_groups = {f"/{top['name']}/{sub['name']}" for top in REALM["groups"]
                    for sub in top["subGroups"]}
    member_of = {group for user in users.values() for group in user["groups"]}
    assert member_of <= realm_groups
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            codes = set(conn.scalars(select(Organisation.code)))
    finally:
        engine.dispose()
    organisations = {group.removeprefix(org_prefix) for group in realm_groups
                     if group.startswith(org_prefix)}
    assert organisations and organisations <= codes
    # Each user in one organisation: more than one is refused at sign-on.
    for user in users.values():
        assert len([g for g in user["groups"] if g.startswith(org_prefix)]) == 1


@pytest.mark.parametrize("words", [["dicase", "no-such-command"],
                                   ["dicase", "worker", "--no-such-option"],
                                   ["dicase", "db", "upgrade", "extra"]])
def test_a_wrong_command_line_is_caught(words: list[str]) -> None:
    with pytest.raises((AssertionError, click.UsageError)):
        resolve(words)


def test_keycloak_uses_the_database_the_postgres_service_creates_for_it() -> None:
    database = environment(SERVICES["keycloak"])["KC_DB_URL"].rsplit("/", 1)[1]
    init = (DOCKER / "postgres" / "init-keycloak.sql").read_text(encoding="utf-8")
    assert re.search(rf"^CREATE DATABASE {database} ", init, re.MULTILINE)
    assert database != environment(SERVICES["postgres"])["POSTGRES_DB"]
