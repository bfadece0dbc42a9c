"""`dicase demo-data --scale N`: a synthetic population loaded into the statistics store, each
data set's earlier periods published, the regeneration's first run due at once; repeating it
changes nothing."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db import transaction
from app.db.models import Job, OpenDataRelease, StatFact, StatSubject
from app.engine.deploy import deploy_source
from app.opendata import service
from app.opendata.definitions import DATASETS, latest_complete_period, previous_period
from app.opendata.demo_population import HISTORY_PERIODS, load_population_demo
from app.services import Services, build_services
from tests.conftest import PROCESSES, make_settings

KEY = "k1:" + "demo-population-test-key-" * 2
TODAY = date(2026, 11, 27)
SCALE = 3000


@pytest.fixture
def demo(database_url: str, tmp_path: Path) -> Iterator[Services]:
    services = build_services(make_settings(
        database_url, pseudonym_key=KEY, pseudonym_key_file="",
        opendata_extracts_dir=tmp_path / "registers"))
    with transaction(services.sessions) as session:
        path = PROCESSES / f"{service.PROCESS_KEY}.bpmn"
        deploy_source(session, path.name, path.read_text(encoding="utf-8"), "test")
    yield services
    services.db.dispose()


def test_the_demo_population_fills_the_store_and_publishes_a_history(demo: Services) -> None:
    first = load_population_demo(demo, scale=SCALE, seed=7, today=TODAY)

    assert first.generated
    with demo.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StatSubject)) == SCALE
        assert first.rows_loaded == SCALE + session.scalar(
            select(func.count()).select_from(StatFact))
        published = {(r.dataset, r.period) for r in session.scalars(
            select(OpenDataRelease).where(OpenDataRelease.status == "published"))}
        # The regeneration waits for nothing: its first run was due at once, so its first step
        # (loading the extracts, then preparing the latest periods) is ready for the workers.
        ready = list(session.scalars(select(Job.operation).where(Job.status == "ready")))
    expected = set()
    for code, definition in DATASETS.items():
        period = latest_complete_period(definition, TODAY)
        for _ in range(HISTORY_PERIODS):
            period = previous_period(period)
            if period >= definition.first_period:  # labels of one kind sort by time
                expected.add((code, period))
        assert (code, latest_complete_period(definition, TODAY)) not in published
    assert published == expected
    # Annual data sets begin in 2023: 2024 and 2023 before the latest (2025); the others three.
    assert ("D1", "2023") in published and ("D1", "2022") not in published
    assert {p for c, p in published if c == "D5"} == {"2026-07", "2026-08", "2026-09"}
    assert first.published == len(expected)
    assert ready == ["opendata.extract"]

    again = load_population_demo(demo, scale=SCALE, seed=7, today=TODAY)
    assert (again.generated, again.rows_loaded, again.published) == (False, 0, 0)
    with demo.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OpenDataRelease)) == len(expected)
