"""The commands: dicase migrate, move-token, test-processes."""
from __future__ import annotations

from click.testing import CliRunner

from app.cli import main
from app.engine.runtime import Actor
from app.services import Services
from tests.engine.helpers import P9, PLACEMENT_FORM, deploy_processes, open_tasks, p9_start_data
from tests.engine.test_migration import deploy, placement_removed, report_form_changed

INSTITUTION = Actor("inese", frozenset({"institution"}))


def _dicase(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"DICASE_DATABASE_URL": database_url})
    return result.exit_code, result.output


def test_migrate_dry_run_then_real_run(services: Services, database_url: str) -> None:
    deploy_processes(services)
    waiting = services.engine.start(P9, p9_start_data(), business_key="P9-C-1", actor=Actor("t"))
    deploy(services, placement_removed())
    code, out = _dicase(database_url, "migrate", P9, "--from", "1", "--to", "2", "--dry-run")
    assert code == 0 and f"instance {waiting}" in out and "cannot move" in out
    code, out = _dicase(database_url, "migrate", P9, "--from", "1", "--to", "2", "--by", "anna")
    assert code == 0 and "0 instance(s) moved" in out and "register_placement" in out


def test_migrate_moves_an_instance(services: Services, database_url: str) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-C-2", actor=Actor("t"))
    [placement] = open_tasks(services, iid)
    services.engine.complete_task(placement.id, INSTITUTION, PLACEMENT_FORM)
    deploy(services, report_form_changed())
    code, out = _dicase(database_url, "migrate", P9, "--from", "1", "--to", "2", "--by", "anna")
    assert code == 0 and "1 instance(s) moved to version 2" in out


def test_move_token(services: Services, database_url: str) -> None:
    deploy_processes(services)
    iid = services.engine.start(P9, p9_start_data(), business_key="P9-C-3", actor=Actor("t"))
    [placement] = open_tasks(services, iid)
    services.engine.complete_task(placement.id, INSTITUTION, PLACEMENT_FORM)
    code, out = _dicase(database_url, "move-token", str(iid), "--to", "register_placement",
                        "--reason", "wrong date", "--by", "olga")
    assert code == 0, out
    assert [t.element_id for t in open_tasks(services, iid)] == ["register_placement"]
    code, out = _dicase(database_url, "move-token", str(iid), "--to", "care_ended",
                        "--reason", "skip", "--by", "olga")
    assert code == 1 and "never reached" in out


def test_test_processes_passes_and_fails_on_an_unknown_process() -> None:
    result = CliRunner().invoke(main, ["test-processes"])
    assert result.exit_code == 0 and "0 failed" in result.output
    result = CliRunner().invoke(main, ["test-processes", "no_such_process"])
    assert result.exit_code == 1
