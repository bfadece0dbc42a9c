"""A synthetic population generated once for the module's tests, and a reader for its files."""
from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.population import generate

AS_OF = date(2025, 11, 27)


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """20,000 persons and their registers, as of AS_OF."""
    directory = tmp_path_factory.mktemp("population")
    return directory, generate(directory, scale=20_000, seed=20251127, as_of=AS_OF)


def read_rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_header(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def rows_of(population: tuple[Path, dict[str, Any]], file_name: str) -> Iterator[dict[str, str]]:
    yield from read_rows(population[0] / file_name)
