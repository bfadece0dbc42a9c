"""Throw-away databases for the test suite and the benchmarks."""
from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


@contextmanager
def scratch_database(server_url: str, prefix: str = "dicase_scratch") -> Iterator[str]:
    """Create an empty database on the server ``server_url`` names, yield its URL, drop it."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    # No pool: a server restarted meanwhile (tests/reliability) must not leave the DROP a dead
    # connection.
    admin = create_engine(make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT",
                          poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_backend(backend: str, server_url: str, prefix: str = "dicase_scratch") -> Iterator[str]:
    """An empty database on ``backend`` (``sqlite``: a file in a temporary folder, not
    ``:memory:``, so commits cost what they cost in the product; ``postgres``: on ``server_url``),
    removed afterwards."""
    if backend != "sqlite":
        with scratch_database(server_url, prefix) as url:
            yield url
        return
    directory = Path(tempfile.mkdtemp(prefix=prefix.replace("_", "-") + "-"))
    try:
        yield f"sqlite:///{directory / 'scratch.sqlite'}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def reachable_server_version(server_url: str) -> str | None:
    """The PostgreSQL server's version, or None (with the reason printed) when it cannot be
    reached, so a benchmark skips PostgreSQL rather than fail the whole run."""
    try:
        admin = create_engine(make_url(server_url).set(database="postgres"),
                              connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            found = conn.execute(text("SHOW server_version")).scalar()
        admin.dispose()
        return str(found)
    except Exception as err:  # noqa: BLE001 - whatever the reason, skip PostgreSQL, not the run
        first_line = str(err).splitlines()[0] if str(err) else ""
        print(f"NOTE: PostgreSQL at {server_url} is not reachable; skipping it "
              f"({type(err).__name__}: {first_line})")
        return None
