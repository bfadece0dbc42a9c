"""The ``dicase`` command."""
from __future__ import annotations

import dataclasses
import signal
import sys
import threading
from typing import Any

import click

from app.config import Settings
from app.services import Services, build_services


def _settings() -> Settings:
    return Settings()


@click.group()
def main() -> None:
    """DI Case: case management for the deinstitutionalisation programme."""
    from app.observability.logs import configure_logging

    try:
        configure_logging(_settings().log_format)
    except ValueError as err:
        raise click.UsageError(str(err)) from None


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest revision; data is kept."""
    from app.db.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    click.echo("Database schema is up to date.")
    _load_organisations(build_services(settings), None)


@db.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def db_backup(path: str) -> None:
    """Copy the SQLite database to PATH (a new file) while DI Case runs."""
    from pathlib import Path

    from app.db.backup import BackupError, backup_sqlite

    try:
        done = backup_sqlite(_settings().database_url, Path(path))
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Backed up to {done.path}: {done.size:,} bytes, schema {done.schema_revision}.")


@db.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True,
              help="Overwrite the existing database (stop the app and the workers first).")
def db_restore(path: str, replace: bool) -> None:
    """Restore the SQLite database from a backup made by `dicase db backup`."""
    from pathlib import Path

    from app.db.backup import BackupError, restore_sqlite

    try:
        done = restore_sqlite(Path(path), _settings().database_url, replace=replace)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"Restored {done.path} (schema {done.schema_revision}); run `dicase db upgrade` "
               "before starting DI Case if this release is newer than the backup.")


@main.group()
def organisations() -> None:
    """Organisations and territories (reference data)."""


@organisations.command("load")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Territory file in the format of data/territories.csv (default: that file).")
def organisations_load(path: str | None) -> None:
    """Insert or update the organisations from the territory file; nothing is deleted."""
    _load_organisations(build_services(_settings()), path)


def _load_organisations(services: Services, path: str | None) -> None:
    from pathlib import Path

    from app.access.organisations import TERRITORIES_FILE, load_organisations
    from app.db import transaction

    with transaction(services.sessions) as session:
        count = load_organisations(session, Path(path) if path else TERRITORIES_FILE)
    click.echo(f"Organisations loaded: {count}.")


@main.command()
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False), default=None,
              help="Folder with .bpmn/.dmn files (default: processes/).")
@click.option("--by", "deployed_by", default="cli", help="Who deploys (recorded on each version).")
def deploy(directory: str | None, deployed_by: str) -> None:
    """Deploy every BPMN/DMN file; unchanged files keep their version."""
    from pathlib import Path

    services = build_services(_settings())
    if not _deploy(services, Path(directory) if directory else services.settings.processes_dir,
                   deployed_by):
        sys.exit(1)


def _deploy(services, directory, deployed_by: str) -> bool:  # type: ignore[no-untyped-def]
    from app.engine.deploy import deploy_directory

    outcome = deploy_directory(services.sessions, directory, deployed_by)
    for item in outcome.deployed:
        state = "new version" if item.created else "unchanged"
        click.echo(f"  {item.file_name}: {item.process_key} v{item.version} ({state})")
    for err in outcome.errors:
        click.echo(f"  REFUSED {err}", err=True)
    return not outcome.errors


@main.command("demo-data")
@click.option("--scale", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also generate a synthetic population of this many persons (1900000: the "
                   "whole country) as register extracts, load it into the statistics store and "
                   "publish the open data's earlier periods.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="The synthetic population's seed: the same seed, scale and day give the "
                   "same population.")
def demo_data(scale: int, seed: int) -> None:
    """Load demo users and demo cases (only what is missing)."""
    from app.demo import load_demo_data

    # The demo cases go through the external systems' checks (register, SOPA ...): with the
    # embedded defaults they are answered by the simulators, started for the load and stopped.
    settings, simulators = _with_simulators(_settings())
    try:
        services = build_services(settings)
        if scale:
            _population_demo(services, scale, seed)
        for user in load_demo_data(services):
            click.echo(f"  {user.username:<12} {user.password:<18} {user.display_name}")
    finally:
        for simulator in simulators.values():
            simulator.stop()


def _population_demo(services: Services, scale: int, seed: int) -> None:
    from app.domain.calendar import today_in_latvia
    from app.opendata.demo_population import load_population_demo

    bars: dict[str, Any] = {}
    done_so_far: dict[str, int] = {}

    def progress(step: str, done: int, total: int) -> None:
        # One bar per file or source, moved by what was done since the last call.
        if step not in bars:
            for bar in bars.values():
                bar.render_finish()
            bars[step] = click.progressbar(length=max(total, 1), label=f"  {step:<34}",
                                           show_pos=True)
            done_so_far[step] = 0
        bars[step].update(done - done_so_far[step])
        done_so_far[step] = done

    outcome = load_population_demo(services, scale=scale, seed=seed, today=today_in_latvia(),
                                   progress=progress)
    for bar in bars.values():
        bar.render_finish()
    click.echo(f"Synthetic population of {scale:,} persons "
               f"({'generated' if outcome.generated else 'already there'}); "
               f"{outcome.rows_loaded:,} rows loaded into the statistics store; "
               f"{outcome.published} open-data releases published.")


def _with_simulators(settings: Settings) -> tuple[Settings, dict[str, Any]]:
    """With ``start_simulators`` (the embedded default), the simulators of every external system
    on free loopback ports, and the settings that point the adapters at them."""
    if not settings.start_simulators:
        return settings, {}
    from adapters.simulators import adapter_settings, start_all

    simulators = start_all({})
    return dataclasses.replace(settings, **adapter_settings(simulators)), simulators  # type: ignore[arg-type]


@main.command()
@click.option("--instance", "instance_id", type=int, default=None, help="Only this instance.")
def incidents(instance_id: int | None) -> None:
    """List open incidents: what the engine could not do by itself."""
    from app.domain.calendar import RIGA
    from app.engine.incidents import open_incidents

    services = build_services(_settings())
    with services.sessions() as session:
        found = open_incidents(session, instance_id)
    if not found:
        click.echo("No open incidents.")
    for incident in found:
        when = incident.created_at.astimezone(RIGA).strftime("%d.%m.%Y %H:%M")
        click.echo(f"  #{incident.id}  {when}  instance {incident.instance_id}  "
                   f"{incident.kind:<7} {incident.element_id or '-'}: {incident.message}")


@main.command()
@click.argument("incident_id", type=int)
@click.option("--by", "operator", required=True, help="Who retries (recorded in the history).")
def retry(incident_id: int, operator: str) -> None:
    """Retry an incident's job or timer and mark the incident resolved."""
    from app.engine.errors import EngineError
    from app.engine.incidents import retry as retry_incident

    services = build_services(_settings())
    try:
        retry_incident(services.sessions, incident_id, operator)
    except EngineError as err:
        click.echo(str(err), err=True)
        sys.exit(1)
    click.echo(f"Incident {incident_id} resolved; its job or timer runs again.")


@main.group()
def audit() -> None:
    """The audit trail: the hash chains of the event log (docs/audit.md)."""


@audit.command("verify")
@click.option("--instance", "instance_id", type=int, default=None,
              help="Only this instance's chain (default: every chain).")
def audit_verify(instance_id: int | None) -> None:
    """Recompute the hash chains; report the first broken link of each (exit code 1)."""
    from app.history.verify import verify_all, verify_instance_id

    services = build_services(_settings())
    chains = events = broken = 0
    with services.sessions() as session:
        if instance_id is not None:
            found = verify_instance_id(session, instance_id)
            if found is None:
                click.echo(f"No process instance {instance_id}.", err=True)
                sys.exit(2)
            verdicts = iter([found])
        else:
            verdicts = verify_all(session)
        for verdict in verdicts:
            chains += 1
            events += verdict.events
            if not verdict.intact:
                broken += 1
                click.echo(verdict.describe())
    if broken:
        click.echo(f"{broken} of {chains} chain(s) broken; {events} events checked.")
        sys.exit(1)
    click.echo(f"All {chains} chain(s) intact; {events} events checked.")


@main.group()
def users() -> None:
    """People's accounts."""


@users.command("end-sessions")
@click.argument("username")
def users_end_sessions(username: str) -> None:
    """End every signed-in browser session of USERNAME: each is refused at its next request,
    and the person signs in again. The account stays active; API bearer tokens are not
    affected."""
    from app.auth.service import NoSuchAccount, SessionEnd, account_id_of, end_sessions_of
    from app.db import transaction

    services = build_services(_settings())
    try:
        with transaction(services.sessions) as session:
            user_id = account_id_of(session, username)
            ended = end_sessions_of(session, user_id, SessionEnd.ENDED_BY_ADMIN)
    except NoSuchAccount:
        click.echo(f"No account is called {username!r}.", err=True)
        sys.exit(1)
    click.echo(f"Ended {ended} open session(s) of account #{user_id}.")


@users.command("deactivate")
@click.argument("username")
@click.option("--by", default="admin", show_default=True,
              help="Who deactivates the account, as the tasks' histories will name them.")
def users_deactivate(username: str, by: str) -> None:
    """Deactivate USERNAME when the person leaves: no more sign-ins, open sessions end, claimed
    tasks go back to their groups, tasks the person delegated stay with the colleague doing
    them. Safe to run again."""
    from app.auth.deactivation import deactivate_account
    from app.auth.service import NoSuchAccount

    services = build_services(_settings())
    try:
        done = deactivate_account(services, username, by)
    except NoSuchAccount:
        click.echo(f"No account is called {username!r}.", err=True)
        sys.exit(1)
    state = "deactivated" if done.was_active else "was already inactive"
    click.echo(f"Account #{done.user_id} {state}: {done.sessions_ended} session(s) ended, "
               f"{done.tasks_returned} claimed task(s) back with their groups, "
               f"{done.delegations_ended} delegated task(s) now the delegate's own.")
    if done.tasks_left:
        click.echo(f"{done.tasks_left} task(s) changed at the same moment and were left; "
                   "run the command again.", err=True)
        sys.exit(1)


@users.command("reactivate")
@click.argument("username")
def users_reactivate(username: str) -> None:
    """Let USERNAME sign in again. Tasks handed back when it was deactivated stay with their
    groups."""
    from app.auth.deactivation import reactivate_account
    from app.auth.service import NoSuchAccount

    services = build_services(_settings())
    try:
        changed = reactivate_account(services, username)
    except NoSuchAccount:
        click.echo(f"No account is called {username!r}.", err=True)
        sys.exit(1)
    click.echo(f"Account {'reactivated' if changed else 'was already active'}.")


@main.group("api-key")
def api_key() -> None:
    """API keys of organisations' systems calling /api/v1 (docs/api.md)."""


@api_key.command("create")
@click.option("--organisation", "organisation_code", required=True,
              help="Code of the organisation the key acts for, e.g. RIGA.")
@click.option("--name", required=True, help="What the key is for; it acts as the user api:<name>.")
@click.option("--role", "roles", multiple=True, required=True,
              help="A product role (caseworker, supervisor, interviewer, auditor …); repeatable.")
@click.option("--group", "groups", multiple=True, help="A candidate group; repeatable.")
@click.option("--by", "created_by", default="cli", show_default=True,
              help="Who makes the key (recorded on it).")
def api_key_create(organisation_code: str, name: str, roles: tuple[str, ...],
                   groups: tuple[str, ...], created_by: str) -> None:
    """Make an API key and print its secret, once."""
    from app.api.keys import ApiKeyError, create_key
    from app.db import transaction

    services = build_services(_settings())
    try:
        with transaction(services.sessions) as session:
            made = create_key(session, organisation_code=organisation_code, name=name,
                              roles=list(roles), groups=list(groups), created_by=created_by)
            key_id = made.key.id
    except ApiKeyError as err:
        click.echo(str(err), err=True)
        sys.exit(1)
    click.echo(f"API key {key_id} for {organisation_code}, acting as api:{name.strip()}. "
               "Its secret is shown only this once:")
    click.echo(made.secret)


@api_key.command("revoke")
@click.argument("key_id", type=int)
def api_key_revoke(key_id: int) -> None:
    """Revoke an API key at once; calls with it are refused from now on."""
    from app.api.keys import ApiKeyError, revoke_key
    from app.db import transaction

    services = build_services(_settings())
    try:
        with transaction(services.sessions) as session:
            revoke_key(session, key_id)
    except ApiKeyError as err:
        click.echo(str(err), err=True)
        sys.exit(1)
    click.echo(f"API key {key_id} is revoked.")


@api_key.command("list")
def api_key_list() -> None:
    """List the API keys (never their secrets)."""
    from app.api.keys import list_keys

    services = build_services(_settings())
    with services.sessions() as session:
        found = list_keys(session)
    if not found:
        click.echo("No API keys.")
    for key in found:
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
        click.echo(f"  #{key.id}  {key.organisation_code:<12} api:{key.name}  "
                   f"roles={','.join(key.roles)} groups={','.join(key.groups) or '-'}  "
                   f"last used {used}  {state}")


@main.command()
@click.option("--jobs", "job_threads", default=1, show_default=True, help="Job runner threads.")
@click.option("--timers", "timer_threads", default=1, show_default=True, help="Timer threads.")
@click.option("--calendar/--no-calendar", default=False, show_default=True,
              help="Also start the monthly processes when a month begins (in one worker only).")
@click.option("--outbox", "outbox_threads", default=1, show_default=True,
              help="Notification sender threads (with DICASE_OUTBOX_BROKER: dispatchers).")
def worker(job_threads: int, timer_threads: int, calendar: bool, outbox_threads: int) -> None:
    """Run workers (job runner, timer scheduler, outbox sender) until stopped."""
    from workers.runner import start_threads

    services = build_services(_settings())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threads = start_threads(services, stop, job_threads, timer_threads, calendar=calendar,
                            outbox_threads=outbox_threads)
    click.echo(f"Worker running: {job_threads} job thread(s), {timer_threads} timer thread(s), "
               f"{outbox_threads} outbox thread(s).")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        stop.set()
    for thread in threads:
        thread.join(timeout=10)


@main.command("outbox-sender")
@click.option("--threads", default=1, show_default=True, help="Consumer threads.")
def outbox_sender(threads: int) -> None:
    """Deliver notifications handed over by RabbitMQ (DICASE_OUTBOX_BROKER) until stopped."""
    from workers.outbox import consume_loop
    from workers.runner import worker_name

    services = build_services(_settings())
    if not services.settings.outbox_broker:
        raise click.UsageError("set DICASE_OUTBOX_BROKER (amqp://user:password@host:5672/); "
                               "without it `dicase worker` and `dicase run` send notifications")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    running = [threading.Thread(target=consume_loop,
                                args=(services, stop, worker_name(f"outbox-sender-{i}")),
                                daemon=True) for i in range(threads)]
    for thread in running:
        thread.start()
    click.echo(f"Outbox sender running: {threads} thread(s) on queue "
               f"{services.settings.outbox_queue}.")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        stop.set()
    for thread in running:
        thread.join(timeout=10)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; their control API has no sign-in, so only inside an "
                   "isolated network (a compose project's) listen beyond loopback.")
@click.option("--first-port", default=8101, show_default=True,
              help="NPAIS listens here, PMLP, VDEĀVK, SOPA and SAIS on the next ports.")
def simulators(host: str, first_port: int) -> None:
    """Serve the simulators of the external systems until stopped (demos and test setups)."""
    from adapters.simulators import SIMULATORS, start_all

    ports = {f"{name}_simulator_port": first_port + i for i, name in enumerate(SIMULATORS)}
    running = start_all({"simulator_host": host, **ports})
    for name, simulator in running.items():
        click.echo(f"  {name}: {simulator.url}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    for simulator in running.values():
        simulator.stop()


@main.command("start-month")
@click.option("--period", default=None, help="YYYY-MM; default: last month.")
def start_month_command(period: str | None) -> None:
    """Start the monthly processes (group-home reports ...) for a month; repeating is harmless."""
    from app.areas import previous_month, start_month
    from app.domain.calendar import today_in_latvia

    services = build_services(_settings())
    chosen = period or previous_month(today_in_latvia())
    for area, ids in start_month(services, chosen).items():
        click.echo(f"{area}: {len(ids)} started for {chosen}")


@main.command("adoption-statistics")
@click.option("--period", default=None, help="YYYY-MM; default: last month.")
def adoption_statistics_command(period: str | None) -> None:
    """Export a month's adoptions, pseudonymised, to the statistics directory (P11)."""
    from app.adoption.statistics import export_month
    from app.areas import previous_month
    from app.domain.calendar import today_in_latvia
    from app.pseudonyms import PseudonymKeyError

    chosen = period or previous_month(today_in_latvia())
    try:
        done = export_month(build_services(_settings()), chosen)
    except PseudonymKeyError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"{done.path}: {done.adoptions} adoptions, "
               f"{done.matches_without_adopter} matches ended without an adopter")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def run(host: str, port: int) -> None:
    """Serve the app with in-process workers and simulators (the embedded default)."""
    import waitress

    from app import create_app
    from app.db.migrate import upgrade
    from app.demo import DEMO_USERS

    settings, simulators = _with_simulators(_settings())
    upgrade(settings.database_url)
    services = build_services(settings)
    _deploy(services, settings.processes_dir, "startup")
    stop = threading.Event()
    if settings.in_process_workers:
        from workers.runner import start_threads

        start_threads(services, stop, calendar=True)
    app = create_app(services=services)
    click.echo("")
    click.echo(f"DI Case is running at http://{host}:{port}")
    for name, sim in simulators.items():
        click.echo(f"  simulator {name}: {sim.url}")
    click.echo("Demo logins (username / password):")
    for user in DEMO_USERS:
        click.echo(f"  {user.username:<12} {user.password:<18} {user.display_name}")
    try:
        waitress.serve(app, host=host, port=port, threads=8, ident="DI Case")
    finally:
        stop.set()


if __name__ == "__main__":
    main()


@main.command()
@click.argument("process_key")
@click.option("--from", "from_version", type=int, required=True, help="The version instances run.")
@click.option("--to", "to_version", type=int, required=True, help="The version to move them to.")
@click.option("--dry-run", is_flag=True, help="Only list which instances can move and why not.")
@click.option("--by", "by", default="cli", help="Who migrates (recorded in the history).")
def migrate(process_key: str, from_version: int, to_version: int, dry_run: bool, by: str) -> None:
    """Move the running instances of a process version to another version."""
    from app.engine import migration

    services = build_services(_settings())
    try:
        if dry_run:
            for candidate in migration.plan(services.engine, process_key, from_version, to_version):
                verdict = "can move" if candidate.can_move else f"cannot move: {candidate.reason}"
                click.echo(f"  instance {candidate.instance_id}  "
                           f"{candidate.business_key or '-'}  {verdict}")
            return
        outcome = migration.migrate(services.engine, process_key, from_version, to_version, by)
    except migration.MigrationRefused as err:
        click.echo(str(err), err=True)
        sys.exit(1)
    click.echo(f"{len(outcome.migrated)} instance(s) moved to version {to_version}.")
    for candidate in outcome.refused:
        click.echo(f"  instance {candidate.instance_id} not moved: {candidate.reason}")


@main.command("move-token")
@click.argument("instance_id", type=int)
@click.option("--to", "to_element", required=True, help="The element to move the token to.")
@click.option("--reason", required=True, help="Why (recorded in the history).")
@click.option("--by", "by", required=True, help="Who moves it (recorded in the history).")
def move_token(instance_id: int, to_element: str, reason: str, by: str) -> None:
    """Move a stuck instance's token back to an element it passed."""
    from app.engine.errors import EngineError
    from app.engine.interventions import move_token as move

    services = build_services(_settings())
    try:
        move(services.engine, instance_id, to_element, reason, by)
    except EngineError as err:
        click.echo(str(err), err=True)
        sys.exit(1)
    click.echo(f"Instance {instance_id} now stands at {to_element}.")


@main.command("test-processes")
@click.argument("process_key", required=False)
def test_processes(process_key: str | None) -> None:
    """Run the BPMN unit tests in processes/tests against the BPMN files; exit 1 on a failure."""
    from app.engine.unit_tests import run_directory

    settings = _settings()
    results = run_directory(settings.processes_dir, settings.processes_dir / "tests", process_key)
    failed = 0
    for key, cases in results.items():
        for case in cases:
            failed += not case.passed
            mark = "pass" if case.passed else "FAIL"
            click.echo(f"  {mark}  {key}/{case.file}  {case.name}"
                       + ("" if case.passed else f"\n        {case.difference}"))
    click.echo(f"{sum(len(c) for c in results.values()) - failed} passed, {failed} failed.")
    sys.exit(1 if failed or not results else 0)
