"""The rows an engine step reads and writes, on the database driver's own connection.

A step touches one instance row, its definition, a handful of derived rows and its events.
Each of those statements is SQL text written once per dialect and executed with positional
parameters on the DB-API connection (``Tx``): SQLAlchemy's per-statement work (compiled cache
lookup, parameter and result processing) cost more than the statement itself. Everything else
in the product goes through SQLAlchemy; the conversions SQLAlchemy's column types make
(``UTCDateTime``: naive UTC; SQLite's DATETIME text; JSON as text) are made here the same way.

Optimistic concurrency is explicit: the instance row is written only where its version is still
the one read, and always after it was read under a lock (``FOR UPDATE`` on PostgreSQL, the
``BEGIN IMMEDIATE`` write lock on SQLite).

On PostgreSQL the reads of a step go to the server together with its BEGIN (``Tx.batch``:
psycopg's pipeline mode), and its writes and events are one statement (``Tx.flush``) sent with
the COMMIT (``Tx.commit``): a start or a completion costs two round trips (reads; writes with
COMMIT). The version check is then made by the statement itself: a guarded UPDATE that matched
no row makes it fail, and the transaction with it.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from psycopg import RawCursor
from psycopg.errors import DivisionByZero
from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from app.access.scope import Scope
from app.audit.chain import ChainHead, NewEvent, instance_event, pending_events
from app.db.models import utcnow

from .errors import EngineError, InstanceNotFound, UnknownProcess


class ConcurrentChange(EngineError):
    http_status = 409

    def __init__(self, instance_id: int) -> None:
        super().__init__(f"Process instance {instance_id} was changed by someone else at the same "
                         "moment; nothing was saved, please try again")


# --- SQL text per dialect ---------------------------------------------------------------------

class Sql(NamedTuple):
    """One statement, as SQLite (``?`` parameters) and PostgreSQL (``$1``, ``$2``... : run on
    psycopg's RawCursor, which sends the text as it is, with no placeholder parsing) want it;
    ``Tx`` picks one by index."""

    sqlite: str
    postgresql: str


def sql(text: str, *, pg_only: str = "", json_params: Sequence[int] = ()) -> Sql:
    """``text`` with ``?`` parameters; on PostgreSQL ``pg_only`` is appended (FOR UPDATE) and
    the parameters numbered in ``json_params`` (0-based) are cast to json."""
    parts = text.split("?")
    pg = parts[0]
    for k, part in enumerate(parts[1:]):
        pg += f"${k + 1}" + ("::json" if k in json_params else "") + part
    return Sql(text, pg + (" " + pg_only if pg_only else ""))


def insert_sql(table: str, columns: Sequence[str], *, json_columns: Sequence[str] = (),
               returning: str = "") -> Sql:
    text = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
            + (f" RETURNING {returning}" if returning else ""))
    return sql(text, json_params=[k for k, c in enumerate(columns) if c in json_columns])


# --- the step's transaction -------------------------------------------------------------------

class Tx:
    """An engine step's transaction on the driver connection (sqlite3 or psycopg).

    Either the engine's own (``step``: a pooled connection, BEGIN and COMMIT issued here) or
    the connection of an ORM session the step also uses (``Tx.of_session``). The step's events
    are kept until its last writes and inserted together.
    """

    __slots__ = (
        "_begin",
        "_dialect",
        "_error",
        "_guard",
        "_writes",
        "committed",
        "conn",
        "d",
        "events",
        "postgres",
        "session",
    )

    def __init__(self, conn: Any, db: DbEngine, session: Session | None = None) -> None:
        self.conn = conn
        self._dialect = db.dialect
        self.postgres = db.dialect.name == "postgresql"
        self.d = 1 if self.postgres else 0  # index into Sql
        self.session = session
        self.events: list[NewEvent] = []
        self.committed = False
        # PostgreSQL: the step's writes, sent as one statement by ``flush``; the instance row
        # whose version the guarded write among them checks.
        self._writes: list[tuple[Sql, Sequence[Sequence[Any]]]] = []
        self._guard: tuple[int, InstanceRow] | None = None
        # PostgreSQL, own connection: BEGIN is sent with the step's first statement.
        self._begin = False
        self._error: type[Exception] = db.dialect.loaded_dbapi.Error

    @classmethod
    def of_session(cls, session: Session) -> Tx:
        """The step's statements on the session's connection, in the session's transaction. ORM
        changes made so far are flushed first, so the statements see them."""
        session.flush()
        connection = session.connection()
        return cls(connection.connection.driver_connection, connection.engine, session)

    def run(self, statement: Sql, params: Sequence[Any] = ()) -> Any:
        """Execute; returns something to read the rows (``fetchall``) and ``rowcount`` from,
        after the batch if in one."""
        text = statement[self.d]
        try:
            if not self.postgres:
                # Read to the end at once: on SQLite a statement left half-read (say, by an
                # exception between the read and its use) keeps a read transaction open on the
                # pooled connection, and its next user would see an old snapshot.
                cursor = self.conn.execute(text, params)
                if cursor.description is None:
                    return _Done((), cursor.rowcount)
                return _Done(cursor.fetchall(), -1)
            if self._begin:
                # In autocommit mode psycopg sends no BEGIN of its own; this one is queued with
                # the first statement instead of costing a round trip.
                self._begin = False
                self.conn.execute("BEGIN")
            # psycopg's cursors hold their rows. A RawCursor leaves the text alone: the default
            # cursor parses every query for %s (and caches that only for short ones).
            return RawCursor(self.conn).execute(text, params)
        except self._error as err:
            raise self._wrapped(err, text, params) from err

    def run_many(self, statement: Sql, params: Sequence[Sequence[Any]]) -> None:
        if len(params) == 1:
            self.run(statement, params[0])
            return
        text = statement[self.d]
        try:
            self.conn.cursor().executemany(text, params)
        except self._error as err:
            raise self._wrapped(err, text, params) from err

    def first(self, statement: Sql, params: Sequence[Any] = ()) -> Any:
        return one(self.run(statement, params))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Statements issued inside go to PostgreSQL in one round trip (pipeline mode); read
        their cursors after the block. On SQLite they simply run one after the other."""
        if not self.postgres:
            yield
            return
        try:
            with self.conn.pipeline():
                yield
        except self._error as err:
            raise self._wrapped(err, "(pipeline)", ()) from err

    def time(self, value: datetime | None) -> Any:
        """A timestamp as ``UTCDateTime`` binds it: naive UTC; on SQLite in the text form
        SQLAlchemy's DATETIME stores."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive if self.postgres else naive.isoformat(" ", "microseconds")

    @staticmethod
    def read_time(value: Any) -> datetime | None:
        """A timestamp read back, as ``UTCDateTime`` returns it: aware UTC."""
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]

    def event(self, instance: ChainHead, kind: str, actor: str, element_id: str | None = None,
              detail: dict[str, Any] | None = None) -> None:
        """Append to the instance's hash chain (app.audit.chain), inserted with the step's last
        writes."""
        new = instance_event(instance, kind, actor, element_id, detail)
        if self.session is not None:
            pending_events(self.session).append(new)
        else:
            self.events.append(new)

    def write(self, statement: Sql, rows: Sequence[Sequence[Any]]) -> None:
        """A write of the step, with a row of parameters per execution. SQLite runs it now;
        PostgreSQL keeps it for ``flush``."""
        if not rows:
            return
        if self.postgres:
            self._writes.append((statement, rows))
        else:
            self.run_many(statement, rows)

    def write_instance(self, statement: Sql, params: Sequence[Any], instance: InstanceRow) -> None:
        """The instance's UPDATE guarded by its version: its row count is checked (by ``flush``
        on PostgreSQL) and the step fails with ConcurrentChange if it is not 1."""
        if self.postgres:
            self._guard = (len(self._writes), instance)
            self._writes.append((statement, [params]))
        else:
            check_written(self.run(statement, params).rowcount, instance)

    def flush(self) -> None:
        """Write what the step queued, and its events. On PostgreSQL in one statement, each
        write a data-modifying WITH query of it (all of them run, in one snapshot; foreign keys
        are checked at its end), so a step's writes cost one round trip."""
        self._queue_events()
        if not self._writes:
            return
        writes, guard = self._writes, self._guard
        self._writes, self._guard = [], None
        if _parameters(writes) > _MAX_PARAMETERS:
            for k, (statement, rows) in enumerate(writes):  # too many for one statement
                for row in rows:
                    found = self.run(statement, row)
                    if guard is not None and k == guard[0]:
                        check_written(found.rowcount, guard[1])
            return
        text, params = _combined(writes, guard[0] if guard else None)
        found = self.run(Sql(text, text), params)
        if guard is not None:
            check_written(one(found)[0], guard[1])

    def commit(self) -> None:
        """Write what is left, with the events, and COMMIT (own connection; a session commits
        itself). On PostgreSQL the last writes and the COMMIT go in one round trip."""
        if self.session is not None or self.committed:
            self.flush()
            return
        self._queue_events()
        if self.postgres and _parameters(self._writes) <= _MAX_PARAMETERS:
            self._write_and_commit()
        else:
            self.flush()
            self.run(_COMMIT)
        self.committed = True

    def _write_and_commit(self) -> None:
        """PostgreSQL: the queued writes and COMMIT in one pipeline. The version guard cannot be
        read before the COMMIT is sent, so the statement checks it itself: when the guarded
        UPDATE matched no row it divides by zero, the transaction is aborted and the COMMIT
        that follows does nothing."""
        writes, guard = self._writes, self._guard
        self._writes, self._guard = [], None
        found = None
        try:
            with self.batch():
                if writes:
                    text, params = _combined(writes, guard[0] if guard else None, strict=True)
                    found = self.run(Sql(text, text), params)
                self.run(_COMMIT)
        except DBAPIError as err:
            if guard is not None and isinstance(err.orig, DivisionByZero):
                raise ConcurrentChange(guard[1].id) from err
            raise
        if guard is not None and found is not None:
            check_written(one(found)[0], guard[1])

    def _queue_events(self) -> None:
        """The step's events, as a write after the others (own connection; a session's go with
        its ORM flush)."""
        if self.events and self.session is None:
            time = self.time
            self.write(_INSERT_EVENT, [
                (e.chain, e.seq, e.instance_id, time(e.occurred_at), e.kind, e.actor,
                 e.element_id, e.detail_json, e.prev_hash, e.hash) for e in self.events])
            self.events = []

    def _wrapped(self, err: Exception, text: str, params: Any) -> StatementError:
        # As SQLAlchemy reports driver errors (callers catch OperationalError, IntegrityError).
        return DBAPIError.instance(text, params, err, self._error, dialect=self._dialect)


_combined_text: dict[tuple[Any, ...], str] = {}
_PLACEHOLDER = re.compile(r"\$(\d+)")
_MAX_PARAMETERS = 30000  # PostgreSQL takes at most 65535 in one statement


def _parameters(writes: list[tuple[Sql, Sequence[Sequence[Any]]]]) -> int:
    return sum(len(rows) * len(rows[0]) for _statement, rows in writes)


def _combined(writes: list[tuple[Sql, Sequence[Sequence[Any]]]],
              guard: int | None, *, strict: bool = False) -> tuple[str, list[Any]]:
    """PostgreSQL: the writes as one statement. An INSERT's rows go in one VALUES list; an
    UPDATE or DELETE is repeated per row of parameters; the guarded write returns its rows, which
    the statement counts; ``strict``: and divides by, so that no row is an error that aborts the
    transaction (a division by zero: the one error a plain statement can raise on a count)."""
    shape = (guard, strict, *((statement, len(rows)) for statement, rows in writes))
    params = [value for _statement, rows in writes for row in rows for value in row]
    text = _combined_text.get(shape)
    if text is None:
        parts = []
        offset = 0

        def numbered(pg: str) -> str:  # the statement's $1.. moved past the ones before it
            nonlocal offset
            found = _PLACEHOLDER.sub(lambda m: f"${int(m.group(1)) + offset}", pg)
            offset += pg.count("$")
            return found

        for k, (statement, rows) in enumerate(writes):
            pg = statement.postgresql
            if pg.startswith("INSERT ") and " VALUES (" in pg and " RETURNING " not in pg:
                head, values = pg.split(" VALUES ", 1)
                parts.append(f"w{k} AS ({head} VALUES "
                             f"{', '.join(numbered(values) for _ in rows)})")
            else:
                returning = " RETURNING 1" if k == guard else ""
                parts.extend(f"w{k}_{j} AS ({numbered(pg)}{returning})" for j in range(len(rows)))
        last = ("SELECT 1" if guard is None else
                f"SELECT 1 / count(*) FROM w{guard}_0" if strict else
                f"SELECT count(*) FROM w{guard}_0")
        if len(_combined_text) > 1000:  # shapes are few; do not let odd ones pile up
            _combined_text.clear()
        text = _combined_text[shape] = f"WITH {', '.join(parts)} {last}"
    return text, params


class _Done:
    """A statement SQLite has run to its end: its rows and row count."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: Any, rowcount: int) -> None:
        self.rows, self.rowcount = rows, rowcount

    def fetchall(self) -> Any:
        return self.rows


def one(cursor: Any) -> Any:
    """The first row of a read (or None)."""
    found = cursor.fetchall()
    return found[0] if found else None


@contextmanager
def step(db: DbEngine) -> Iterator[Tx]:
    """One engine step on a pooled connection: BEGIN (IMMEDIATE on SQLite: the write lock, so the
    step is serialisable, as ``app.db.transaction`` does), the step, its events, COMMIT;
    ROLLBACK on any error."""
    pooled = db.raw_connection()
    conn: Any = pooled.driver_connection
    tx = Tx(conn, db)
    try:
        if tx.postgres:
            conn.autocommit = True
            tx._begin = True
        else:
            tx.run(_BEGIN_IMMEDIATE)
        yield tx
        tx.commit()
    except BaseException:
        _roll_back(tx, pooled)
        raise
    finally:
        if tx.postgres and not conn.closed and conn.pgconn.transaction_status == _PG_IDLE:
            conn.autocommit = False  # as the pool hands connections out
        pooled.close()


_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE


def _roll_back(tx: Tx, pooled: Any) -> None:
    conn = tx.conn
    try:
        if tx.postgres:
            conn.rollback()  # a no-op when no transaction is open
        elif conn.in_transaction:
            conn.execute("ROLLBACK")
    except tx._error:
        pooled.invalidate()  # a connection that cannot roll back is not handed out again


_BEGIN_IMMEDIATE = sql("BEGIN IMMEDIATE")
_COMMIT = sql("COMMIT")


# --- rows ---------------------------------------------------------------------------------------

@dataclass
class DefinitionRow:
    id: int
    process_key: str
    version: int
    file_name: str
    content_hash: str


@dataclass
class InstanceRow:
    id: int
    definition_id: int
    process_key: str
    business_key: str | None
    status: str
    state: str
    version: int
    event_seq: int
    last_event_hash: str
    # Whose record the instance is; its human tasks copy it (app.access.scope).
    scope: Scope = field(default_factory=Scope)
    ended_at: datetime | None = None
    status_read: str = ""  # the status as read (or inserted), to know whether it changed

    def __post_init__(self) -> None:
        self.status_read = self.status


_DEFINITION_COLUMNS = "id, process_key, version, file_name, content_hash"
_INSTANCE_COLUMNS = ("id, definition_id, process_key, business_key, status, state, version, "
                     "event_seq, last_event_hash, record_kind, person_id, municipality_code, "
                     "institution_code, orphan_court_code, confidential")
_SCOPE_AT = 9  # where the scope columns start in _INSTANCE_COLUMNS

# The latest version, and the id the new instance will get: known before its row is written, so
# that its events (whose chain is named after it) and its derived rows are computed first and
# every row is written once. PostgreSQL: from the id sequence. SQLite: the step holds the write
# lock, and an INTEGER PRIMARY KEY without AUTOINCREMENT gives a new row max(id) + 1.
_LATEST_DEFINITION = Sql(
    f"SELECT {_DEFINITION_COLUMNS}, (SELECT coalesce(max(id), 0) + 1 FROM process_instance) "
    "FROM process_definition WHERE process_key = ? ORDER BY version DESC LIMIT 1",
    f"SELECT d.*, nextval(pg_get_serial_sequence('process_instance', 'id')) FROM ("
    f"SELECT {_DEFINITION_COLUMNS} FROM process_definition WHERE process_key = $1 "
    "ORDER BY version DESC LIMIT 1) d")
_DEFINITION = sql(f"SELECT {_DEFINITION_COLUMNS} FROM process_definition "
                         "WHERE process_key = ? ORDER BY version DESC LIMIT 1")
# The id a new instance will get, known before its row is written, so that its events (whose
# chain is named after it) and its derived rows are computed first and every row is written
# once. PostgreSQL: from the id sequence. SQLite: the step holds the write lock, and an INTEGER
# PRIMARY KEY without AUTOINCREMENT gives a new row max(id) + 1, which is what this reads.
_NEXT_INSTANCE_ID = Sql(
    "SELECT coalesce(max(id), 0) + 1 FROM process_instance",
    "SELECT nextval(pg_get_serial_sequence('process_instance', 'id'))")
_DEFINITION = sql(f"SELECT {_DEFINITION_COLUMNS} FROM process_definition WHERE id = ?")
_DEFINITION_SOURCE = sql("SELECT source_xml, dmn_sources FROM process_definition WHERE id = ?")
_LOCK_INSTANCE = sql(f"SELECT {_INSTANCE_COLUMNS} FROM process_instance WHERE id = ?",
                     pg_only="FOR UPDATE")
# One statement for "which instance holds this task" and "lock that instance".
_LOCK_INSTANCE_OF_TASK = sql(
    f"SELECT {_INSTANCE_COLUMNS} FROM process_instance "
    "WHERE id = (SELECT instance_id FROM human_task WHERE id = ?)", pg_only="FOR UPDATE")
_LOCK_INSTANCE_OF_TIMER = sql(
    f"SELECT {_INSTANCE_COLUMNS} FROM process_instance "
    "WHERE id = (SELECT instance_id FROM timer WHERE id = ?)", pg_only="FOR UPDATE")
_RELEASE_TIMER = sql("UPDATE timer SET locked_by = NULL, locked_until = NULL WHERE id = ?")
_INSERT_INSTANCE = insert_sql("process_instance", (
    "id", "definition_id", "process_key", "business_key", "status", "state", "started_by",
    "created_at", "updated_at", "ended_at", "event_seq", "last_event_hash", "version",
    "record_kind", "person_id", "municipality_code", "institution_code", "orphan_court_code",
    "confidential"))
_WRITE_INSTANCE = sql(
    "UPDATE process_instance SET state = ?, event_seq = ?, last_event_hash = ?, updated_at = ?, "
    "version = version + 1 WHERE id = ? AND version = ?")
# With its status (four indexes hold it, so it is set only when it changed: SQLite rewrites the
# index entries of every column an UPDATE sets, changed or not).
_WRITE_INSTANCE_STATUS = sql(
    "UPDATE process_instance SET state = ?, event_seq = ?, last_event_hash = ?, updated_at = ?, "
    "version = version + 1, status = ?, ended_at = coalesce(?, ended_at) "
    "WHERE id = ? AND version = ?")
_INSERT_EVENT = insert_sql("event", (
    "chain", "seq", "instance_id", "occurred_at", "kind", "actor", "element_id", "detail",
    "prev_hash", "hash"), json_columns=("detail",))


def latest_definition(tx: Tx, process_key: str) -> Any:
    """Queue the read of the latest deployed version and of the id a new instance of it gets;
    ``latest_of`` its cursor."""
    return tx.run(_LATEST_DEFINITION, (process_key,))


def latest_of(cursor: Any, process_key: str) -> tuple[DefinitionRow, int]:
    row = one(cursor)
    if row is None:
        raise UnknownProcess(process_key)
    return DefinitionRow(*row[:5]), row[5]


def definition(tx: Tx, definition_id: int) -> DefinitionRow:
    return DefinitionRow(*tx.first(_DEFINITION, (definition_id,)))


def definition_source(tx: Tx, definition_id: int) -> tuple[str, dict[str, str]]:
    source_xml, dmn_sources = tx.first(_DEFINITION_SOURCE, (definition_id,))
    if isinstance(dmn_sources, str):  # SQLite returns the JSON text
        dmn_sources = json.loads(dmn_sources)
    return source_xml, dmn_sources or {}


def lock_instance(tx: Tx, instance_id: int) -> InstanceRow:
    """Read the instance row and hold it for this transaction (FOR UPDATE on PostgreSQL; SQLite's
    write transaction already excludes other writers)."""
    row = tx.first(_LOCK_INSTANCE, (instance_id,))
    if row is None:
        raise InstanceNotFound(instance_id)
    return instance_row(row)


def lock_instance_of_task(tx: Tx, task_id: int) -> Any:
    """Queue the locked read of the task's instance; ``instance_row`` of its ``one``."""
    return tx.run(_LOCK_INSTANCE_OF_TASK, (task_id,))


def lock_instance_of_timer(tx: Tx, timer_id: int) -> Any:
    """Queue the locked read of the timer's instance; ``instance_row`` of its ``one``."""
    return tx.run(_LOCK_INSTANCE_OF_TIMER, (timer_id,))


def release_timer(tx: Tx, timer_id: int) -> None:
    """Queue giving the timer's lease back, so the next scheduler tick may take it again."""
    tx.write(_RELEASE_TIMER, [(timer_id,)])


def instance_row(row: Sequence[Any]) -> InstanceRow:
    (instance_id, definition_id, process_key, business_key, status, state, version, event_seq,
     last_event_hash) = row[:_SCOPE_AT]
    kind, person, municipality, institution, court, confidential = row[_SCOPE_AT:]
    return InstanceRow(instance_id, definition_id, process_key, business_key, status, state,
                       version, event_seq, last_event_hash,
                       Scope(kind, person, municipality, institution, court, bool(confidential)))


def new_instance(instance_id: int, definition: DefinitionRow, business_key: str | None,
                 scope: Scope) -> InstanceRow:
    """An instance not written yet: ``insert_instance`` writes it once, with its final state."""
    return InstanceRow(instance_id, definition.id, definition.process_key, business_key, "active",
                       "", 1, 0, "", scope)


def insert_instance(tx: Tx, instance: InstanceRow, started_by: str) -> None:
    now = tx.time(utcnow())
    scope = instance.scope
    tx.write(_INSERT_INSTANCE, [(
        instance.id, instance.definition_id, instance.process_key, instance.business_key,
        instance.status, instance.state, started_by, now, now, tx.time(instance.ended_at),
        instance.event_seq, instance.last_event_hash, instance.version, scope.record_kind,
        scope.person_id, scope.municipality_code, scope.institution_code, scope.orphan_court_code,
        scope.confidential)])


def write_instance(tx: Tx, instance: InstanceRow) -> None:
    """Write the step's outcome, only over the version this step read (checked when the write
    is made: now on SQLite, at ``Tx.flush`` on PostgreSQL)."""
    if instance.status == instance.status_read and instance.ended_at is None:
        tx.write_instance(_WRITE_INSTANCE, (
            instance.state, instance.event_seq, instance.last_event_hash, tx.time(utcnow()),
            instance.id, instance.version), instance)
    else:
        tx.write_instance(_WRITE_INSTANCE_STATUS, (
            instance.state, instance.event_seq, instance.last_event_hash, tx.time(utcnow()),
            instance.status, tx.time(instance.ended_at), instance.id, instance.version), instance)


def check_written(rowcount: int, instance: InstanceRow) -> None:
    if rowcount != 1:
        raise ConcurrentChange(instance.id)
    instance.version += 1
    instance.status_read = instance.status


def write_instance_now(tx: Tx, instance: InstanceRow) -> None:
    write_instance(tx, instance)
    tx.flush()


class TaskRow(NamedTuple):
    id: int
    instance_id: int
    task_guid: str
    element_id: str
    status: str
    assignee: str | None
    candidate_groups: str
    completed_by: str | None
    completed_at: datetime | None


_TASK = sql("SELECT id, instance_id, task_guid, element_id, status, assignee, candidate_groups, "
            "completed_by, completed_at FROM human_task WHERE id = ?")
_COMPLETE_TASK = sql("UPDATE human_task SET status = 'completed', completed_at = ?, "
                     "completed_by = ? WHERE id = ?")


def read_task(tx: Tx, task_id: int) -> Any:
    """Queue the read of a human task row; ``task_row`` of its cursor."""
    return tx.run(_TASK, (task_id,))


def task_row(cursor: Any) -> TaskRow | None:
    row = one(cursor)
    if row is None:
        return None
    return TaskRow._make((*row[:8], Tx.read_time(row[8])))


def complete_task(tx: Tx, task_id: int, by: str) -> None:
    tx.write(_COMPLETE_TASK, [(tx.time(utcnow()), by, task_id)])
