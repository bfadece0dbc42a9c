"""The monthly calendar starts each municipality's group-home report for last month, once."""
from __future__ import annotations

from datetime import date
from typing import Any

from click.testing import CliRunner
from sqlalchemy import func, select

from app.areas import previous_month, start_month
from app.db.models import ProcessInstance
from app.services import Services
from tests.engine.helpers import deploy_processes


def test_previous_month_crosses_the_year() -> None:
    assert previous_month(date(2027, 1, 1)) == "2026-12"
    assert previous_month(date(2026, 11, 30)) == "2026-10"


def test_the_month_starts_once_per_municipality(services: Services,
                                                simulators: dict[str, Any]) -> None:
    deploy_processes(services)
    first = start_month(services, "2026-10")
    again = start_month(services, "2026-10")
    started = first["app.group_homes.schedule"]
    assert started and again["app.group_homes.schedule"] == []
    with services.sessions() as session:
        keys = sorted(session.scalars(select(ProcessInstance.business_key).where(
            ProcessInstance.process_key == "p05_group_home_report")))
        assert len(keys) == len(started) == len(set(keys))
        assert all(key.endswith("-2026-10") for key in keys)


def test_the_command_names_what_it_started(services: Services, simulators: dict[str, Any],
                                           monkeypatch: Any) -> None:
    from app.cli import main

    deploy_processes(services)
    monkeypatch.setenv("DICASE_DATABASE_URL", services.settings.database_url)
    result = CliRunner().invoke(main, ["start-month", "--period", "2026-09"])
    assert result.exit_code == 0, result.output
    assert "app.group_homes.schedule:" in result.output and "for 2026-09" in result.output
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.business_key.like("%-2026-09"))) >= 1
