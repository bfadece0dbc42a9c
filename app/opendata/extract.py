"""Loading the statistics store: register extracts (a directory of gzipped CSV files and its
manifest.json) and the product's own community-service requests, with every person replaced by
a pseudonym (app/pseudonyms.py) before anything is written.

Rules (docs/statistics-store.md):

- Every file is checked before any is loaded: listed in the manifest under a known source, its
  SHA-256 the manifest's, its header the source's columns. A wrong header stops the run.
- Each source loads in one transaction that replaces the source's previous facts (for persons:
  every subject) and records a ``stat_load``. A file whose SHA-256 is that of the source's
  latest load under the same key version is skipped.
- A row that cannot be read is skipped and reported (line, column, why; never its value); more
  than MAX_BAD_ROW_SHARE of a file's rows and the file is refused whole (ExtractRefused): its
  transaction is rolled back, the source keeps its previous load, and the run stops.
- Key rotation: if any source's latest load was made under another key version, every source is
  reloaded under the new one, including the product's own requests, so pseudonyms of two keys
  never stand side by side; the run is refused if the directory lacks a source the store holds.

Nothing logged names a person: counts, sources and durations only.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.cases.personal_codes import InvalidPersonalCode, normalise
from app.community_services.service import P4_KEY
from app.db import transaction
from app.db.models import (
    Event,
    Person,
    ProcessInstance,
    ServiceRecord,
    StatFact,
    StatLoad,
    StatSubject,
)
from app.pseudonyms import PseudonymKey, pseudonym

from .sources import (
    CASE_REQUESTS,
    CASE_SERVICE_TYPES,
    FACT_COLUMNS,
    MAX_BAD_ROW_SHARE,
    P4_APPLICATION_TASKS,
    SOURCES,
    SUBJECT_COLUMNS,
    ExtractError,
    RowError,
    Source,
    check_header,
    iso_date,
    p4_request_types,
)

log = logging.getLogger(__name__)

# Rows handed to the database at a time: large enough that the per-call cost vanishes, small
# enough that memory stays flat whatever the file's size.
CHUNK_ROWS = 20_000
# Row problems kept in full for the report; the rest are only counted.
MAX_REPORTED_PROBLEMS = 100
_HASH_BLOCK = 1 << 20

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowProblem:
    source: str
    line: int  # in the file, the header being line 1
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source} line {self.line}, {self.column}: {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    source: str
    rows: int  # rows in the store after this run (for a skipped source: its latest load's)
    skipped: bool
    load_id: int | None
    bad_rows: int = 0
    problems: tuple[RowProblem, ...] = ()
    seconds: float = 0.0


class ExtractRefused(ExtractError):
    """A file with too many unreadable rows; nothing of it was loaded."""

    def __init__(self, source: str, file_name: str, bad_rows: int, rows: int,
                 problems: Sequence[RowProblem]) -> None:
        first = "; ".join(str(p) for p in problems[:5])
        super().__init__(
            f"{file_name} refused: {bad_rows} of {rows} rows cannot be read (more than "
            f"{MAX_BAD_ROW_SHARE:.0%}); nothing of {source} was loaded. First: {first}")
        self.source = source
        self.file_name = file_name
        self.bad_rows = bad_rows
        self.rows = rows
        self.problems = tuple(problems)


class Pseudonymiser:
    """Personal code -> pseudonym, computed once per code: the same person is in several
    sources, and validating and hashing a code costs more than reading its row."""

    def __init__(self, key: PseudonymKey) -> None:
        self.key = key
        self._cache: dict[str, str] = {}

    def __call__(self, code: str) -> str:
        found = self._cache.get(code)
        if found is None:
            try:
                found = pseudonym(self.key, normalise(code))
            except InvalidPersonalCode:
                raise RowError("personal_code", "not a valid personal code") from None
            self._cache[code] = found
        return found


@dataclass(frozen=True)
class _PlannedFile:
    source: Source
    path: Path
    rows: int
    sha256: str


@dataclass(frozen=True)
class _Latest:
    load_id: int
    sha256: str
    key_version: str
    rows: int


# --- the directory -----------------------------------------------------------------------------

def extract_directory(sessions: sessionmaker[Session], key: PseudonymKey, directory: Path | str,
                      *, actor: str, progress: Progress | None = None) -> list[LoadResult]:
    """Load every file the directory's manifest lists; one LoadResult per source, in load order
    (and ``case_requests`` at the end when a key rotation reloaded it)."""
    planned = _check_directory(Path(directory))
    with sessions() as session:
        latest = _latest_loads(session)
    rotation = any(found.key_version != key.version for found in latest.values())
    if rotation:
        missing = sorted(set(latest) - {p.source.name for p in planned} - {CASE_REQUESTS})
        if missing:
            raise ExtractError(
                f"the pseudonym key changed to {key.version}: every source must be reloaded, "
                f"but the directory has no file for {', '.join(missing)}")
        log.info("statistics store: key version %s differs from the store's; reloading "
                 "every source", key.version)
    pseudonymise = Pseudonymiser(key)
    results = []
    for plan in planned:
        previous = latest.get(plan.source.name)
        if (previous is not None and previous.sha256 == plan.sha256
                and previous.key_version == key.version):
            log.info("statistics store: %s unchanged, skipped", plan.source.name)
            results.append(LoadResult(plan.source.name, previous.rows, True, previous.load_id))
            continue
        results.append(_load_file(sessions, plan, pseudonymise, actor=actor, progress=progress))
    if rotation and CASE_REQUESTS in latest:
        results.append(_load_case_requests(sessions, pseudonymise, actor=actor))
    return results


def _check_directory(directory: Path) -> list[_PlannedFile]:
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        files: dict[str, dict[str, Any]] = manifest["files"]
    except FileNotFoundError:
        raise ExtractError(f"{directory}: no manifest.json") from None
    except (ValueError, KeyError, TypeError):
        raise ExtractError(f"{manifest_path}: not a manifest (JSON with \"files\")") from None
    planned = []
    for file_name, entry in files.items():
        source = SOURCES.get(str(entry.get("source", "")))
        if source is None:
            raise ExtractError(f"{file_name}: unknown source {str(entry.get('source'))[:40]!r} "
                               "in the manifest")
        path = directory / file_name
        if not path.is_file():
            raise ExtractError(f"{file_name}: listed in the manifest but not in the directory")
        sha = _file_sha256(path)
        if sha != entry.get("sha256"):
            raise ExtractError(f"{file_name}: its SHA-256 is not the one in the manifest")
        with gzip.open(path, "rt", encoding="utf-8", newline="") as text:
            try:
                header = next(csv.reader(text), [])
            except (OSError, UnicodeDecodeError, csv.Error) as err:
                raise ExtractError(f"{file_name}: cannot be read ({err})") from None
        check_header(source, file_name, header)
        planned.append(_PlannedFile(source, path, int(entry.get("rows", 0)), sha))
    order = list(SOURCES)
    planned.sort(key=lambda p: order.index(p.source.name))
    names = [p.source.name for p in planned]
    if len(set(names)) != len(names):
        raise ExtractError("the manifest lists two files for one source")
    return planned


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as raw:
        while block := raw.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _latest_loads(session: Session) -> dict[str, _Latest]:
    newest = (select(StatLoad.source, func.max(StatLoad.id).label("id"))
              .group_by(StatLoad.source).subquery())
    rows = session.execute(select(StatLoad).join(newest, StatLoad.id == newest.c.id)).scalars()
    return {r.source: _Latest(r.id, r.content_sha256, r.key_version, r.rows) for r in rows}


def store_key_versions(session: Session) -> set[str]:
    """The pseudonym key versions of the sources' latest loads: more than one means a key
    rotation stopped half-way, and counts would join persons under two different pseudonyms."""
    return {latest.key_version for latest in _latest_loads(session).values()}


# --- one file ------------------------------------------------------------------------------------

@dataclass
class _Tally:
    source: str
    expected_rows: int
    read: int = 0
    bad: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def bad_row(self, line: int, column: str, reason: str) -> None:
        self.bad += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(RowProblem(self.source, line, column, reason))

    def too_many(self, rows: int) -> bool:
        return self.bad > rows * MAX_BAD_ROW_SHARE


def _load_file(sessions: sessionmaker[Session], plan: _PlannedFile, pseudonymise: Pseudonymiser,
               *, actor: str, progress: Progress | None) -> LoadResult:
    source = plan.source
    started = time.monotonic()
    tally = _Tally(source.name, plan.rows)
    with transaction(sessions) as session:
        load = StatLoad(source=source.name, file_name=plan.path.name, content_sha256=plan.sha256,
                        rows=0, key_version=pseudonymise.key.version, loaded_by=actor)
        session.add(load)
        session.flush()
        connection = session.connection()
        _forget_source(connection, source.name, subjects=source.target == "subject")
        with _bulk_writer(connection, source.target, load.id, source.name) as write:
            for chunk in _chunks(_mapped_rows(plan, pseudonymise, tally)):
                write(chunk)
                if progress is not None:
                    progress(source.name, tally.read, plan.rows)
        if tally.too_many(tally.read):
            raise ExtractRefused(source.name, plan.path.name, tally.bad, tally.read,
                                 tally.problems)
        if tally.read != plan.rows:
            raise ExtractError(f"{plan.path.name}: {tally.read} rows, the manifest says "
                               f"{plan.rows}; nothing of {source.name} was loaded")
        load.rows = tally.read - tally.bad
    seconds = time.monotonic() - started
    log.info("statistics store: %s loaded, %d rows, %d skipped as unreadable, %.1f s",
             source.name, load.rows, tally.bad, seconds)
    return LoadResult(source.name, load.rows, False, load.id, tally.bad, tuple(tally.problems),
                      seconds)


def _mapped_rows(plan: _PlannedFile, pseudonymise: Pseudonymiser, tally: _Tally
                 ) -> Iterator[tuple[object, ...]]:
    """The file's rows as stored, streamed; unreadable rows counted in ``tally`` and left out.
    Raises ExtractRefused as soon as the bad rows exceed the share of the manifest's count."""
    source = plan.source
    width = len(source.columns)
    personal, subjects = source.personal, source.target == "subject"
    seen: set[str] = set()
    limit = max(plan.rows, 1) * MAX_BAD_ROW_SHARE
    with gzip.open(plan.path, "rt", encoding="utf-8", newline="") as text:
        reader = csv.reader(text)
        next(reader)  # the header, checked before the load began
        for row in reader:
            tally.read += 1
            try:
                if len(row) != width:
                    raise RowError(source.columns[min(len(row), width - 1)],
                                   f"{len(row)} values where {width} were expected")
                mapped = source.row(row)
                if personal:
                    subject = pseudonymise(row[0])
                    if subjects:
                        if subject in seen:
                            raise RowError("personal_code", "the same person a second time")
                        seen.add(subject)
                    mapped = (subject, *mapped[1:])
            except RowError as err:
                tally.bad_row(reader.line_num, err.column, err.reason)
                if tally.bad > limit:
                    raise ExtractRefused(source.name, plan.path.name, tally.bad, tally.read,
                                         tally.problems) from None
                continue
            yield mapped


def _chunks(rows: Iterable[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    chunk: list[tuple[object, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _forget_source(connection: Connection, source: str, *, subjects: bool) -> None:
    if subjects:
        connection.execute(delete(StatSubject))
    else:
        connection.execute(delete(StatFact).where(StatFact.source == source))


# --- bulk writing: COPY on PostgreSQL, executemany on SQLite -------------------------------------

@contextmanager
def _bulk_writer(connection: Connection, target: str, load_id: int, source: str
                 ) -> Iterator[Callable[[list[tuple[object, ...]]], None]]:
    """``with _bulk_writer(conn, target, load_id, source) as write: write(rows)``, inside the
    caller's transaction (the driver connection under the session's)."""
    driver: Any = connection.connection.driver_connection
    columns: tuple[str, ...]
    if target == "subject":
        table, columns = "stat_subject", (*SUBJECT_COLUMNS, "load_id")
        prefix: tuple[object, ...] = ()
        suffix: tuple[object, ...] = (load_id,)
    else:
        table, columns = "stat_fact", ("load_id", "source", *FACT_COLUMNS)
        prefix, suffix = (load_id, source), ()
    names = ", ".join(columns)
    with closing(driver.cursor()) as cursor:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                write_row = copy.write_row

                def copy_rows(rows: list[tuple[object, ...]]) -> None:
                    for row in rows:
                        write_row((*prefix, *row, *suffix))

                yield copy_rows
            return
        insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})"

        def insert_rows(rows: list[tuple[object, ...]]) -> None:
            cursor.executemany(insert, [(*prefix, *row, *suffix) for row in rows])

        yield insert_rows


# --- the product's own requests ----------------------------------------------------------------

def extract_cases(sessions: sessionmaker[Session], key: PseudonymKey, *, actor: str
                  ) -> LoadResult:
    """Load the community-service requests recorded in the product (source ``case_requests``,
    mapped as the register's community_requests). Skipped when nothing changed since the
    latest load under the same key."""
    return _load_case_requests(sessions, Pseudonymiser(key), actor=actor)


def _load_case_requests(sessions: sessionmaker[Session], pseudonymise: Pseudonymiser, *,
                        actor: str) -> LoadResult:
    started = time.monotonic()
    with transaction(sessions) as session:
        rows = sorted(set(_case_request_rows(session, pseudonymise)))
        digest = hashlib.sha256()
        for row in rows:  # of the pseudonymised rows: the digest reveals no personal code
            digest.update(("\t".join("" if v is None else str(v) for v in row) + "\n").encode())
        sha = digest.hexdigest()
        previous = _latest_loads(session).get(CASE_REQUESTS)
        if (previous is not None and previous.sha256 == sha
                and previous.key_version == pseudonymise.key.version):
            log.info("statistics store: %s unchanged, skipped", CASE_REQUESTS)
            return LoadResult(CASE_REQUESTS, previous.rows, True, previous.load_id)
        load = StatLoad(source=CASE_REQUESTS, file_name="", content_sha256=sha, rows=len(rows),
                        key_version=pseudonymise.key.version, loaded_by=actor)
        session.add(load)
        session.flush()
        connection = session.connection()
        _forget_source(connection, CASE_REQUESTS, subjects=False)
        with _bulk_writer(connection, "fact", load.id, CASE_REQUESTS) as write:
            for chunk in _chunks(rows):
                write(chunk)
    seconds = time.monotonic() - started
    log.info("statistics store: %s loaded, %d rows, %.1f s", CASE_REQUESTS, len(rows), seconds)
    return LoadResult(CASE_REQUESTS, len(rows), False, load.id, seconds=seconds)


def _case_request_rows(session: Session, pseudonymise: Pseudonymiser
                       ) -> Iterator[tuple[object, ...]]:
    yield from _p3_requests(session, pseudonymise)
    yield from _p4_applications(session, pseudonymise)


def _p3_requests(session: Session, pseudonymise: Pseudonymiser) -> Iterator[tuple[object, ...]]:
    """P3: a person's accepted service records, month after month, are one request from the
    first day of the first record: a record starting more than a day after the previous one of
    the same person, service type and municipality ended is a new request."""
    query = (select(ServiceRecord.personal_code, ServiceRecord.service_type,
                    ServiceRecord.municipality_code, ServiceRecord.period_from,
                    ServiceRecord.period_to)
             .where(ServiceRecord.status == "accepted")
             .order_by(ServiceRecord.personal_code, ServiceRecord.service_type,
                       ServiceRecord.municipality_code, ServiceRecord.period_from))
    spell: tuple[str, str, str] | None = None
    spell_end = date.min
    for code, service_type, municipality, period_from, period_to in session.execute(query):
        category = CASE_SERVICE_TYPES.get(service_type)
        if category is None or not municipality:
            continue
        this = (code, service_type, municipality)
        if this == spell and period_from <= spell_end + timedelta(days=1):
            spell_end = max(spell_end, period_to)
            continue
        spell, spell_end = this, period_to
        try:
            subject = pseudonymise(code)
        except RowError:
            continue  # accepted records are of known persons; an old malformed code is left out
        requested = period_from.isoformat()
        yield (subject, municipality, requested, requested, category, "", None, None)


def _p4_applications(session: Session, pseudonymise: Pseudonymiser
                     ) -> Iterator[tuple[object, ...]]:
    """P4: an application for a child, as last registered or corrected (the task's completed
    form in the instance's event chain), unless withdrawn: one request per service asked, on the
    application date, to the child's municipality."""
    forms = (select(Event.instance_id, Event.detail)
             .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
             .where(ProcessInstance.process_key == P4_KEY, Event.kind == "task_completed",
                    Event.element_id.in_(P4_APPLICATION_TASKS))
             .order_by(Event.instance_id, Event.seq))
    latest: dict[int, dict[str, Any]] = {}
    for instance_id, detail in session.execute(forms):
        latest[instance_id] = dict((detail or {}).get("data") or {})
    if not latest:
        return
    people = session.execute(
        select(ProcessInstance.id, ProcessInstance.municipality_code, Person.personal_code)
        .join(Person, Person.id == ProcessInstance.person_id)
        .where(ProcessInstance.id.in_(latest)))
    for instance_id, municipality, code in people:
        form = latest[instance_id]
        applied = str(form.get("application_date") or "")
        if form.get("application_withdrawn") or not code or not municipality:
            continue
        try:
            requested = iso_date(applied, "application_date")
            subject = pseudonymise(code)
        except RowError:
            continue
        for category in p4_request_types(form):
            yield (subject, municipality, requested, requested, category, "", None, None)
