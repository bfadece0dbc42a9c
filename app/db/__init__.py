"""Database engine and sessions for SQLite (embedded default) and PostgreSQL (production)."""
from __future__ import annotations

import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

WRITE_OPTION = "dicase_write"
# A pooled server connection idle for longer than this is pinged before it is handed out again.
PING_AFTER_IDLE_SECONDS = 1.0
_LAST_USED = "dicase_last_used"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    engine = create_engine(url, pool_size=10, max_overflow=20, **kwargs)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check that a pooled connection still works before it is handed out (after a server
    restart, a failover or a firewall's idle timeout it may not), but only if it has been idle:
    a connection given back a moment ago is alive, and a ping is a round trip to the server on
    every transaction (``pool_pre_ping`` pings every time). A failed ping makes the pool replace
    the connection, as ``pool_pre_ping`` does."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_conn: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as err:
            raise DisconnectionError("the pooled connection no longer works") from err


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # Checkpoints are the background thread's (_checkpoint_in_background); a writer does one
        # itself only if the log has grown this far (pages) anyway.
        cur.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # SQLite has one writer. A unit of work (``transaction``) takes the write lock at BEGIN, which
        # makes it serialisable and avoids two readers deadlocking when both upgrade to writers: this
        # is SQLite's equivalent of SELECT ... FOR UPDATE and SKIP LOCKED on PostgreSQL. Plain
        # read sessions begin deferred and, in WAL mode, never wait for a writer.
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        _checkpoint_in_background(engine, database)
    return engine


# In WAL mode a commit appends its pages to the log; a checkpoint copies them into the database
# file and fsyncs it. SQLite's default has the commit that fills the log to 1000 pages do the
# checkpoint, so every few dozen steps one step waits for a checkpoint's writes and fsync (tens of
# milliseconds; on average more than the commit itself). A thread of the engine does them instead,
# every CHECKPOINT_SECONDS, beside the steps. PASSIVE: it never waits for, or holds up, a reader or
# a writer. Durability does not change (synchronous=NORMAL as before: the log is synced before a
# checkpoint, the database file after it).
CHECKPOINT_SECONDS = 0.2
WAL_AUTOCHECKPOINT_PAGES = 10000


def _checkpoint_in_background(engine: Engine, path: str) -> None:
    stop = threading.Event()

    def run() -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not stop.wait(CHECKPOINT_SECONDS):
                try:
                    if conn is None:
                        if not Path(path).exists():
                            continue  # the engine's first connection creates it
                        conn = sqlite3.connect(path, timeout=30, isolation_level=None,
                                               check_same_thread=False)
                        conn.execute("PRAGMA synchronous=NORMAL")
                    _busy, log_pages, _copied = conn.execute(
                        "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if log_pages < 0:  # opened before the file was put in WAL mode: reopen
                        conn.close()
                        conn = None
                except sqlite3.Error as err:  # e.g. the file went away; try again next time
                    log.debug("SQLite checkpoint failed: %s", err)
                    if conn is not None:
                        conn.close()
                        conn = None
        finally:
            if conn is not None:
                conn.close()

    thread = threading.Thread(target=run, name="dicase-sqlite-checkpoint", daemon=True)
    thread.start()
    # Stopped when the engine is disposed or dropped.
    event.listen(engine, "engine_disposed", lambda *_: stop.set())
    weakref.finalize(engine, stop.set)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        session.connection(execution_options={WRITE_OPTION: True})
        yield session
