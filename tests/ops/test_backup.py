"""Backing up a running database and resuming its instances from the copy: SQLite with
`dicase db backup/restore` (the online backup API), PostgreSQL with pg_dump and pg_restore as
docs/operations.md says."""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.cli import main
from app.config import Settings
from app.db.models import HumanTask, Notification, ProcessInstance, Timer
from app.db.scratch import scratch_database
from app.domain.calendar import today_in_latvia
from app.out_of_family_care import service
from app.services import Services, build_services
from tests.engine.helpers import deploy_processes, report_form
from tests.processes.test_p09_out_of_family_care import INSTITUTION, register_child
from workers.jobs import run_due_jobs
from workers.timers import fire_due_timers


def waiting_placement(services: Services) -> int:
    """A P9 instance waiting at its report task and at the task's two deadline timers."""
    deploy_processes(services)
    today = today_in_latvia()
    child = register_child(services, born=today - timedelta(days=400))
    return service.start_placement(services, person_id=child, placement_date=today,
                                   institution_code="VSAC-RIGA", orphan_court_code="RIGA-BT",
                                   actor=INSTITUTION)


def state_of(services: Services, iid: int) -> tuple[object, ...]:
    with services.sessions() as session:
        instance = session.get(ProcessInstance, iid)
        assert instance is not None
        tasks = [(t.element_id, t.status) for t in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == iid).order_by(HumanTask.id))]
        timers = [(t.element_id, t.status, t.due_at) for t in session.scalars(
            select(Timer).where(Timer.instance_id == iid).order_by(Timer.id))]
        return instance.status, instance.version, instance.last_event_hash, tasks, timers


def resume(services: Services, iid: int) -> None:
    """The reminder's time comes: the timer fires and its job notifies; then the report is
    submitted and the next report task opens."""
    with services.sessions() as session:
        reminder = session.scalars(select(Timer).where(
            Timer.instance_id == iid, Timer.element_id == "report_reminder")).one()
    with time_machine.travel(reminder.due_at + timedelta(minutes=1), tick=False):
        assert fire_due_timers(services, "restored") == 1
        while run_due_jobs(services, "restored"):
            pass
    with services.sessions() as session:
        assert [n.kind for n in session.scalars(select(Notification).where(
            Notification.instance_id == iid))] == ["reminder"]
        [report] = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "open")).all()
    services.engine.complete_task(report.id, INSTITUTION,
                                  report_form(today_in_latvia().isoformat(), False))
    while run_due_jobs(services, "restored"):  # the report delivered to NPAIS and SOPA
        pass
    with services.sessions() as session:
        [following] = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "open")).all()
    assert following.id != report.id and following.element_id == "submit_periodic_report"


def test_sqlite_backup_of_a_running_database_restores_and_resumes(
        services: Services, settings: Settings, tmp_path: Path) -> None:
    if not settings.is_sqlite:
        pytest.skip("the SQLite backup; PostgreSQL is backed up with pg_dump (below)")
    iid = waiting_placement(services)
    before = state_of(services, iid)
    assert ("submit_periodic_report", "open") in before[3]
    assert {(element, status) for element, status, _ in before[4]} == {
        ("report_reminder", "waiting"), ("report_overdue", "waiting")}

    cli = CliRunner()
    backup = tmp_path / "backups" / "dicase-backup.sqlite"
    backup.parent.mkdir()
    # The product keeps running meanwhile: its connections stay open, one in a read transaction.
    with services.sessions() as busy:
        busy.execute(select(ProcessInstance.id)).all()
        done = cli.invoke(main, ["db", "backup", str(backup)],
                          env={"DICASE_DATABASE_URL": settings.database_url})
    assert done.exit_code == 0, done.output
    assert f"Backed up to {backup}" in done.output
    again = cli.invoke(main, ["db", "backup", str(backup)],
                       env={"DICASE_DATABASE_URL": settings.database_url})
    assert again.exit_code == 1 and "already exists" in again.output

    restored_url = f"sqlite:///{tmp_path / 'restored' / 'dicase.sqlite'}"
    done = cli.invoke(main, ["db", "restore", str(backup)], env={"DICASE_DATABASE_URL": restored_url})
    assert done.exit_code == 0, done.output
    refused = cli.invoke(main, ["db", "restore", str(backup)],
                         env={"DICASE_DATABASE_URL": restored_url})
    assert refused.exit_code == 1 and "--replace" in refused.output

    restored = build_services(dataclasses.replace(settings, database_url=restored_url))
    try:
        assert state_of(restored, iid) == before
        resume(restored, iid)
    finally:
        restored.db.dispose()
    # The original database went on by itself: the copy's steps are not in it.
    assert state_of(services, iid) == before

    replaced = cli.invoke(main, ["db", "restore", "--replace", str(backup)],
                          env={"DICASE_DATABASE_URL": restored_url})
    assert replaced.exit_code == 0, replaced.output
    again_restored = build_services(dataclasses.replace(settings, database_url=restored_url))
    try:
        assert state_of(again_restored, iid) == before
    finally:
        again_restored.db.dispose()


def test_a_file_that_is_not_a_backup_is_not_restored(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    target = tmp_path / "target.sqlite"
    done = CliRunner().invoke(main, ["db", "restore", str(junk)],
                              env={"DICASE_DATABASE_URL": f"sqlite:///{target}"})
    assert done.exit_code == 1 and "not a DI Case database" in done.output
    assert not target.exists()


def test_the_backup_command_sends_postgresql_to_pg_dump(tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["db", "backup", str(tmp_path / "x")], env={
        "DICASE_DATABASE_URL": "postgresql+psycopg://dicase@127.0.0.1/dicase"})
    assert done.exit_code == 1 and "pg_dump" in done.output


def test_postgresql_dump_restores_into_a_new_database_and_resumes(
        services: Services, settings: Settings, tmp_path: Path) -> None:
    if settings.is_sqlite:
        pytest.skip("PostgreSQL only")
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("pg_dump and pg_restore are not installed")
    iid = waiting_placement(services)
    before = state_of(services, iid)
    dump = tmp_path / "dicase.dump"
    # The commands of docs/operations.md, with libpq's form of the database address.
    source = make_url(settings.database_url).set(drivername="postgresql")
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}",
                    source.render_as_string(hide_password=False)], check=True, timeout=120)
    with scratch_database(settings.database_url, "dicase_restore") as restored_url:
        target = make_url(restored_url).set(drivername="postgresql")
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error",
                        f"--dbname={target.render_as_string(hide_password=False)}", str(dump)],
                       check=True, timeout=120)
        restored = build_services(dataclasses.replace(settings, database_url=restored_url))
        try:
            assert state_of(restored, iid) == before
            resume(restored, iid)
        finally:
            restored.db.dispose()
    assert state_of(services, iid) == before
