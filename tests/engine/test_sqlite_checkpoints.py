"""SQLite: the engine's database is checkpointed by a thread beside the steps, not by the commit
that happens to fill the log; the thread goes away with the engine."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

import app.db
from app.db import make_engine


def _checkpointers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "dicase-sqlite-checkpoint"}


def test_the_log_is_copied_into_the_database_file_in_the_background(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.db, "CHECKPOINT_SECONDS", 0.05)
    path = tmp_path / "checkpoints.sqlite"
    before = _checkpointers()
    engine = make_engine(f"sqlite:///{path}")
    [ours] = _checkpointers() - before
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)"))
    time.sleep(0.3)
    size = path.stat().st_size
    with engine.begin() as conn:
        for k in range(200):
            conn.execute(text("INSERT INTO t (body) VALUES (:b)"), {"b": "x" * 3000 + str(k)})
        # Committed to the log only: no writer filled it far enough to checkpoint itself.
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == \
            app.db.WAL_AUTOCHECKPOINT_PAGES
    deadline = time.monotonic() + 10  # (the file grows page by page while it is checkpointed)
    while path.stat().st_size <= size + 200 * 3000 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.stat().st_size > size + 200 * 3000
    engine.dispose()
    ours.join(timeout=5)
    assert not ours.is_alive()


def test_no_thread_for_a_database_in_memory() -> None:
    before = _checkpointers()
    engine = make_engine("sqlite://")
    assert not _checkpointers() - before
    engine.dispose()
