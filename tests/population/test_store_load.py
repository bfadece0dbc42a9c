"""The generated extracts load into the statistics store whole: every row of every file is
read by the store's own mapping (app/opendata/sources.py) and none is refused."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine, make_session_factory
from app.db.models import StatFact, StatSubject
from app.opendata.extract import extract_directory
from app.opendata.sources import SOURCES, check_header
from app.population import generate
from app.pseudonyms import parse_key

from .conftest import AS_OF, read_header, read_rows

KEY = parse_key("k1:" + "p" * 40)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_every_row_is_read_by_the_stores_mapping(population: tuple[Path, dict[str, Any]]) -> None:
    directory, manifest = population
    for name, entry in manifest["files"].items():
        source = SOURCES[entry["source"]]
        assert source.file_name == name
        check_header(source, name, read_header(directory / name))
        for row in read_rows(directory / name):
            source.row(list(row.values()))  # raises RowError on a value it cannot read


def test_a_generated_directory_loads_into_the_store_without_a_bad_row(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    manifest = generate(tmp_path, scale=2_000, seed=3, as_of=AS_OF)
    results = extract_directory(sessions, KEY, tmp_path, actor="test")
    by_source = {result.source: result for result in results}
    for entry in manifest["files"].values():
        loaded = by_source[entry["source"]]
        assert (loaded.rows, loaded.bad_rows, loaded.skipped) == (entry["rows"], 0, False)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(StatSubject)) == 2_000
        facts = session.scalar(select(func.count()).select_from(StatFact))
    assert facts == sum(entry["rows"] for entry in manifest["files"].values()) - 2_000
