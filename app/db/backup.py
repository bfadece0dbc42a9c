"""Backing up and restoring the embedded SQLite database while the product runs.

SQLite's online backup API copies the database page by page inside one read transaction: with
the write-ahead log, writers carry on meanwhile and the copy is the database as of one commit,
never half of a step. A file copy of a live database would miss what is still in the ``-wal``
file. PostgreSQL is backed up with its own tools (``pg_dump``/``pg_restore``, docs/operations.md).
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path


class BackupError(Exception):
    """A backup or restore refused, with what to do instead."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    schema_revision: str


def sqlite_path(database_url: str) -> Path:
    if not database_url.startswith("sqlite:///") or database_url.endswith(":memory:"):
        raise BackupError("only a SQLite database file is backed up by DI Case itself; back up "
                          "PostgreSQL with pg_dump (docs/operations.md, Back up and restore)")
    return Path(database_url.split("///", 1)[1])


def backup_sqlite(database_url: str, target: Path) -> BackupFile:
    """Copy the live database into ``target``, a new file."""
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    if target.exists():
        raise BackupError(f"{target} already exists; name a new file")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
                closing(sqlite3.connect(partial)) as dst:
            # All pages in one step: one read transaction, so one consistent moment.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        checked = inspect_backup(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupFile(target, target.stat().st_size, checked.schema_revision)


def inspect_backup(path: Path) -> BackupFile:
    """A backup's schema revision, after checking that it is an intact DI Case database."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"{path} is damaged: {verdict}")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as err:
        raise BackupError(f"{path} is not a DI Case database ({err})") from None
    if revision is None:
        raise BackupError(f"{path} has no schema revision")
    return BackupFile(path, path.stat().st_size, str(revision[0]))


def restore_sqlite(backup: Path, database_url: str, replace: bool = False) -> BackupFile:
    """Write ``backup`` into the database file ``database_url`` names. With the app and the
    workers stopped: a restore under running processes would pull their data from under them."""
    checked = inspect_backup(backup)
    target = sqlite_path(database_url)
    if target.exists() and not replace:
        raise BackupError(f"{target} already exists; stop the app and the workers and restore "
                          "with --replace to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Through SQLite rather than a file copy: a -wal file left beside the target is reset too.
    with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return BackupFile(target, target.stat().st_size, checked.schema_revision)
