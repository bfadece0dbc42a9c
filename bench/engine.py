"""Engine throughput: persisted (SQLite, PostgreSQL) against raw in-memory SpiffWorkflow.

    python bench/engine.py                                  # quick: N=1000 on both backends
    python bench/engine.py --n 10000 --backends sqlite,postgres
    python bench/engine.py --n 100000 --backends sqlite --p9-n 0
    python bench/engine.py --profile 200 --backends sqlite  # where a persisted step spends its time
    python bench/engine.py --n 500 --threads 8              # the concurrent figure with 8 threads
    python bench/engine.py --n 0 --threads 0 --processes 4  # only the client-processes figure

For each backend and each N this prints instances started per second and task completions per
second through ``Engine.start`` / ``Engine.complete_task`` (one database transaction per call, on
a fresh, migrated database), next to the raw in-memory SpiffWorkflow figure measured in the same
run on the same spec with the same script engine, and the ratio persisted / raw. The target the
figures are read against: persisted at least 50 % of raw, and no slowdown while the number of
stored instances grows (the "growth" table: throughput of successive blocks of operations).
A second, separately labelled table (``--threads``, PostgreSQL by default) has several client
threads share one Engine, each call still one transaction: what the database makes of several
transactions in flight (group commit). A third (``--processes``) has several client processes,
each with its own Engine, as the product runs with several web server and worker processes,
against raw SpiffWorkflow in as many processes. The sequential table is the headline.

It prints figures; it asserts nothing. The machine it runs on is usually shared and noisy, so
every figure comes with per-operation medians and p95, and the raw baseline runs in slices
interleaved with the persisted calls, so the ratio compares like with like. bench/README.md has
the figures measured and how to read them.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import platform
import pstats
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

# Run as a script (``python bench/engine.py``), so the project root is not on sys.path yet.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import text

from app.config import Settings
from app.db import transaction
from app.db.migrate import upgrade
from app.db.scratch import reachable_server_version, scratch_backend
from app.engine import state
from app.engine.deploy import deploy_source
from app.engine.parsing import ParsedProcess, parse_process
from app.engine.runtime import Actor
from app.engine.scripting import ProductScriptEngine
from app.services import Services, build_services

DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

# The benchmark's own process, so its figure does not move when a product process changes:
# start -> user task -> script task -> user task -> end. The user task carries a candidate group
# (as the product's processes do), so the engine derives a human_task row for it.
BENCH_KEY = "bench_process"
BENCH_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="bench_definitions" targetNamespace="urn:lv:dicase:bench">
  <bpmn:process id="bench_process" name="Benchmark process" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="first" name="First task">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="candidateGroups" value="bench" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="count_up" name="Count">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>count = count + 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:userTask id="second" name="Second task">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="candidateGroups" value="bench" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first" />
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="count_up" />
    <bpmn:sequenceFlow id="f3" sourceRef="count_up" targetRef="second" />
    <bpmn:sequenceFlow id="f4" sourceRef="second" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

# P9 data as in tests/engine/helpers.py (p9_start_data, PLACEMENT_FORM): valid for the process.
P9_FILE = "p09_out_of_family_care.bpmn"
P9_PLACEMENT_FORM = {"placement_date": "2025-01-10", "child_birth_date": "2023-03-15",
                     "institution_name": "VSAC «Rīga»", "orphan_court_code": "RIGA"}


@dataclass(frozen=True)
class Workload:
    """A process to start N times, and the first user task of each instance to complete."""

    label: str
    file_name: str
    source: str
    process_key: str
    first_task: str
    groups: frozenset[str]
    start_data: Callable[[int], dict[str, Any]]
    complete_data: Callable[[int], dict[str, Any]]


BENCH = Workload(
    label="bench", file_name="bench_process.bpmn", source=BENCH_BPMN, process_key=BENCH_KEY,
    first_task="first", groups=frozenset({"bench"}),
    start_data=lambda i: {"count": 0, "case_number": f"B-{i:06d}"},
    complete_data=lambda i: {"answer": "ok", "note": f"done {i}"},
)


def p9_workload() -> Workload:
    return Workload(
        label="P9", file_name=P9_FILE,
        source=(ROOT / "processes" / P9_FILE).read_text(encoding="utf-8"),
        process_key="p09_out_of_family_care", first_task="register_placement",
        groups=frozenset({"institution"}),
        start_data=lambda i: {"case_number": f"P9-B-{i:06d}", "child_birth_date": "2023-03-15",
                              "placement_date": "2025-01-10", "orphan_court_code": "RIGA"},
        complete_data=lambda i: dict(P9_PLACEMENT_FORM),
    )


# --- statistics ------------------------------------------------------------------------------

@dataclass
class Series:
    """Per-operation latencies in nanoseconds, in the order the operations ran."""

    ns: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ns)

    @property
    def per_second(self) -> float:
        # Operations per second of time spent inside the operations (the loop around them costs
        # nothing worth counting); the same definition for raw and persisted.
        total = sum(self.ns)
        return len(self.ns) * 1e9 / total if total else float("nan")

    @property
    def median_ms(self) -> float:
        return statistics.median(self.ns) / 1e6 if self.ns else float("nan")

    @property
    def p95_ms(self) -> float:
        if not self.ns:
            return float("nan")
        ordered = sorted(self.ns)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] / 1e6

    def blocks(self, size: int) -> list[Series]:
        # Only whole blocks: a short tail block would be noise.
        return [Series(self.ns[i:i + size]) for i in range(0, len(self.ns) - size + 1, size)]


@dataclass
class RawResult:
    count: int
    start: Series          # new workflow + start data + do_engine_steps + dump
    start_bare: Series     # the same without dump
    complete: Series       # load + complete the user task + do_engine_steps + dump
    complete_bare: Series  # the same without load and dump


@dataclass
class PersistedResult:
    start: Series
    complete: Series
    # The raw slice that ran just before each block of persisted calls, to tell a slowdown of
    # the engine from a slowdown of the (shared) machine.
    raw_start_slices: list[Series] = field(default_factory=list)
    raw_complete_slices: list[Series] = field(default_factory=list)


@dataclass
class Row:
    backend: str
    workload: str
    n: int
    raw: RawResult
    persisted: PersistedResult


def now_ns() -> int:
    return time.perf_counter_ns()


def progress(message: str) -> None:
    # Progress on stderr, so the figures on stdout stay a clean table.
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- raw SpiffWorkflow -----------------------------------------------------------------------

class RawRunner:
    """What SpiffWorkflow itself costs for the same work: no database, no events, no derived rows.

    "Raw" keeps the product's serialisation (state.dump / state.load): an engine that persists
    anything must serialise, so that is the fair baseline for the 50 % target. The bare figures,
    without dump and load, are kept next to it for reference. One script engine is shared, as a
    program driving SpiffWorkflow directly would do.

    It runs in slices (``start(k)``, ``complete(k)``) so the caller can interleave it with the
    persisted calls: on a shared machine both then see the same background load.
    """

    def __init__(self, workload: Workload, parsed: ParsedProcess) -> None:
        self.workload, self.parsed = workload, parsed
        self.script_engine = ProductScriptEngine()
        self.result = RawResult(0, Series(), Series(), Series(), Series())
        self.saved: list[tuple[str, Any]] = []  # dumped state, id of the ready user task
        self.completed = 0

    def start(self, count: int) -> None:
        workload, parsed, result = self.workload, self.parsed, self.result
        for _ in range(count):
            data = workload.start_data(len(self.saved))
            t0 = now_ns()
            workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs,
                                    script_engine=self.script_engine)
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(data)
            workflow.do_engine_steps()
            t1 = now_ns()
            dumped = state.dump(workflow)
            t2 = now_ns()
            result.start_bare.ns.append(t1 - t0)
            result.start.ns.append(t2 - t0)
            # The engine finds the task by the guid stored in human_task; find it here, untimed.
            [ready] = [t for t in workflow.get_tasks(state=TaskState.READY)
                       if t.task_spec.bpmn_id == workload.first_task]
            self.saved.append((dumped, ready.id))
        result.count = len(self.saved)

    def complete(self, count: int) -> None:
        result = self.result
        for dumped, task_id in self.saved[self.completed:self.completed + count]:
            data = self.workload.complete_data(self.completed)
            t0 = now_ns()
            workflow = state.load(dumped, self.parsed, self.script_engine)
            t1 = now_ns()
            task = workflow.get_task_from_id(task_id)
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            t2 = now_ns()
            state.dump(workflow)
            t3 = now_ns()
            result.complete_bare.ns.append(t2 - t1)
            result.complete.ns.append(t3 - t0)
            self.completed += 1


def slices(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` near-equal counts."""
    return [total * (k + 1) // parts - total * k // parts for k in range(parts)]


# --- persisted, through the engine service ---------------------------------------------------

@contextmanager
def fresh_database(backend: str, pg_server: str) -> Iterator[str]:
    """A new, migrated database for one measurement, removed afterwards."""
    with scratch_backend(backend, pg_server, "dicase_bench") as url:
        upgrade(url)
        yield url


def open_services(url: str) -> Services:
    return build_services(Settings(database_url=url, start_simulators=False,
                                   in_process_workers=False))


def deploy(services: Services, workloads: list[Workload]) -> None:
    for workload in workloads:
        with transaction(services.sessions) as session:
            deploy_source(session, workload.file_name, workload.source, "bench")


WARM_UP = "warm-up"


def warm_up(services: Services, workload: Workload) -> None:
    # One untimed start first: the engine parses a deployed version once and keeps it, and the
    # first call also opens the connection and fills SQLAlchemy's statement caches. Its task is
    # left out of the completions by its business key.
    services.engine.start(workload.process_key, workload.start_data(0),
                          business_key=f"{workload.label}-{WARM_UP}",
                          actor=Actor("bench", workload.groups))


def measure(services: Services, workload: Workload, n: int, raw: RawRunner, raw_count: int,
            block: int) -> PersistedResult:
    """N ``Engine.start`` calls, then ``Engine.complete_task`` on the first user task of each;
    every call is one transaction, as in the product. Before each block of ``block`` persisted
    calls a slice of the raw baseline runs (``raw_count`` instances in all), so raw and persisted
    see the same background load, and each growth block has a raw figure of its own."""
    engine = services.engine
    actor = Actor("bench", workload.groups)
    result = PersistedResult(Series(), Series())
    persisted_slices = [min(block, n - at) for at in range(0, n, block)]
    raw_slices = slices(raw_count, len(persisted_slices))
    report_every = max(1, len(persisted_slices) // 4)

    started = 0
    for k, (raw_part, part) in enumerate(zip(raw_slices, persisted_slices)):
        before = len(raw.result.start)
        raw.start(raw_part)
        result.raw_start_slices.append(Series(raw.result.start.ns[before:]))
        for i in range(started, started + part):
            data = workload.start_data(i)
            t0 = now_ns()
            engine.start(workload.process_key, data, business_key=f"{workload.label}-{i:06d}",
                         actor=actor)
            result.start.ns.append(now_ns() - t0)
        started += part
        if (k + 1) % report_every == 0:
            progress(f"  {workload.label}: {started}/{n} started")

    # The task ids the inbox would hand out, looked up before timing with plain SQL.
    with services.sessions() as session:
        task_ids = list(session.execute(text(
            "SELECT id FROM human_task WHERE process_key = :key AND element_id = :element "
            "AND status = 'open' AND business_key <> :warm_up ORDER BY id"),
            {"key": workload.process_key, "element": workload.first_task,
             "warm_up": f"{workload.label}-{WARM_UP}"}).scalars())
    assert len(task_ids) == n, f"expected {n} open tasks, found {len(task_ids)}"

    done = 0
    for k, (raw_part, part) in enumerate(zip(raw_slices, persisted_slices)):
        before = len(raw.result.complete)
        raw.complete(raw_part)
        result.raw_complete_slices.append(Series(raw.result.complete.ns[before:]))
        for task_id in task_ids[done:done + part]:
            data = workload.complete_data(done)
            t0 = now_ns()
            engine.complete_task(task_id, actor, data)
            result.complete.ns.append(now_ns() - t0)
            done += 1
        if (k + 1) % report_every == 0:
            progress(f"  {workload.label}: {done}/{n} completed")
    return result


def run_backend(backend: str, workloads: list[tuple[Workload, int]], raw_max: int,
                block_for: Callable[[int], int], pg_server: str) -> list[Row]:
    rows: list[Row] = []
    with fresh_database(backend, pg_server) as url:
        services = open_services(url)
        try:
            deploy(services, [w for w, _ in workloads])
            for workload, count in workloads:
                if count <= 0:
                    continue
                warm_up(services, workload)
                parsed = parse_process(workload.source, workload.file_name)
                raw = RawRunner(workload, parsed)
                raw_count = min(count, raw_max)
                progress(f"{backend} N={count} {workload.label}: persisted, with the raw baseline "
                         f"({raw_count} instances) interleaved")
                persisted = measure(services, workload, count, raw, raw_count, block_for(count))
                rows.append(Row(backend, workload.label, count, raw.result, persisted))
        finally:
            services.db.dispose()
    return rows


# --- concurrent clients ----------------------------------------------------------------------

@dataclass
class ConcurrentRow:
    backend: str
    threads: int
    n: int
    op: str
    persisted_per_s: float  # operations completed per second of wall time, all threads together
    raw_per_s: float        # raw SpiffWorkflow in one thread, measured just before
    p50_ms: float           # per persisted call


def _in_threads(threads: int, work: Callable[[int], None]) -> float:
    """Run ``work(k)`` in ``threads`` threads released together; the wall time until all end."""
    import threading

    barrier = threading.Barrier(threads + 1)
    failures: list[BaseException] = []

    def run(k: int) -> None:
        barrier.wait()
        try:
            work(k)
        except BaseException as err:  # noqa: BLE001 - reported below, not lost in the thread
            failures.append(err)

    pool = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    t0 = now_ns()
    for thread in pool:
        thread.join()
    elapsed = now_ns() - t0
    if failures:
        raise failures[0]
    return elapsed / 1e9


def measure_concurrent(backend: str, threads: int, n: int, pg_server: str) -> list[ConcurrentRow]:
    """``n`` starts, then ``n`` completions, spread over ``threads`` client threads calling the
    same ``Engine`` (as a web server's threads do), on a fresh database; throughput is operations
    per second of wall time. Raw SpiffWorkflow runs just before in one thread: Python threads
    share one interpreter lock, so more threads do not make it faster (they make it slower), and
    one thread is the most this process gets out of SpiffWorkflow without a database."""
    per = [n * (k + 1) // threads - n * k // threads for k in range(threads)]
    raw = RawRunner(BENCH, parse_process(BENCH.source, BENCH.file_name))
    raw_count = min(n, 2000)
    raw_start = _in_threads(1, lambda _k: raw.start(raw_count)) / raw_count * n
    raw_complete = _in_threads(1, lambda _k: raw.complete(raw_count)) / raw_count * n
    with fresh_database(backend, pg_server) as url:
        services = open_services(url)
        try:
            deploy(services, [BENCH])
            warm_up(services, BENCH)
            engine, actor = services.engine, Actor("bench", BENCH.groups)
            latencies: list[list[int]] = [[] for _ in range(threads)]

            def start(k: int) -> None:
                for i in range(per[k]):
                    t0 = now_ns()
                    engine.start(BENCH_KEY, BENCH.start_data(i), business_key=f"T{k}-{i:06d}",
                                 actor=actor)
                    latencies[k].append(now_ns() - t0)

            started = _in_threads(threads, start)
            start_p50 = statistics.median([x for found in latencies for x in found]) / 1e6
            with services.sessions() as session:
                found = session.execute(text(
                    "SELECT id, business_key FROM human_task WHERE element_id = 'first' "
                    "AND status = 'open' AND business_key LIKE 'T%' ORDER BY id")).all()
            tasks: list[list[int]] = [[] for _ in range(threads)]
            for task_id, key in found:
                tasks[int(key[1:key.index("-")])].append(task_id)
            latencies = [[] for _ in range(threads)]

            def complete(k: int) -> None:
                for task_id in tasks[k]:
                    t0 = now_ns()
                    engine.complete_task(task_id, actor, BENCH.complete_data(0))
                    latencies[k].append(now_ns() - t0)

            completed = _in_threads(threads, complete)
            complete_p50 = statistics.median([x for found in latencies for x in found]) / 1e6
        finally:
            services.db.dispose()
    return [ConcurrentRow(backend, threads, n, "start", n / started, n / raw_start, start_p50),
            ConcurrentRow(backend, threads, n, "complete", n / completed, n / raw_complete,
                          complete_p50)]


# --- concurrent client processes ---------------------------------------------------------------

@dataclass
class ProcessesRow:
    backend: str
    processes: int
    n: int
    op: str
    persisted_per_s: float  # all processes together, per second of wall time
    raw_per_s: float        # raw SpiffWorkflow in the same number of processes, just before
    p50_ms: float


def settle() -> None:
    """Leave the set-up's objects out of the collector's full passes: a fresh process holds some
    180,000 of them, and one full collection (about 50 ms here) landing in a run of a second or
    two moved that run's figure by a tenth, making raw in two processes look more than twice raw
    in one. Measured on persisted steps in a long run, freezing changes nothing there."""
    gc.collect()
    gc.freeze()


def _client_process(url: str | None, k: int, phase: str, work: list[Any], ready: Any,
                    go: Any, out: Any) -> None:
    """One client process of the processes figure: set up untimed (imports, spec, connection, one
    warm-up start), wait for the others, do its share, and report its latencies and the moments
    it began and ended (``time.monotonic_ns`` is one clock for every process on the machine)."""
    try:
        latencies: list[int] = []
        if url is None:  # raw SpiffWorkflow, no database
            raw = RawRunner(BENCH, parse_process(BENCH.source, BENCH.file_name))
            raw.start(len(work))  # the completions need started instances; the starts are warm-up
            settle()
            ready.put(k)
            go.wait()
            began = time.monotonic_ns()
            if phase == "start":
                raw.result.start.ns.clear()
                raw.saved.clear()
                raw.start(len(work))
                latencies = raw.result.start.ns
            else:
                raw.complete(len(work))
                latencies = raw.result.complete.ns
            out.put((k, began, time.monotonic_ns(), latencies, None))
            return
        services = open_services(url)
        try:
            engine, actor = services.engine, Actor("bench", BENCH.groups)
            engine.start(BENCH_KEY, BENCH.start_data(0), business_key=f"{WARM_UP}-{phase}-{k}",
                         actor=actor)
            settle()
            ready.put(k)
            go.wait()
            began = time.monotonic_ns()
            for i, item in enumerate(work):
                t0 = now_ns()
                if phase == "start":
                    engine.start(BENCH_KEY, BENCH.start_data(i), business_key=item, actor=actor)
                else:
                    engine.complete_task(item, actor, BENCH.complete_data(i))
                latencies.append(now_ns() - t0)
            out.put((k, began, time.monotonic_ns(), latencies, None))
        finally:
            services.db.dispose()
    except BaseException as err:  # noqa: BLE001 - sent to the parent, which raises it
        out.put((k, 0, 0, [], repr(err)))


def _in_processes(url: str | None, phase: str, shares: list[list[Any]]) -> tuple[float, float]:
    """Run one phase in ``len(shares)`` spawned processes released together; returns the wall
    time from the first process's start to the last one's end, and the p50 of all calls (ms)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    ready, out, go = context.Queue(), context.Queue(), context.Event()
    pool = [context.Process(target=_client_process, args=(url, k, phase, share, ready, go, out))
            for k, share in enumerate(shares)]
    for process in pool:
        process.start()
    try:
        for _ in pool:
            ready.get(timeout=300)
        go.set()
        results = [out.get(timeout=3600) for _ in pool]
    finally:
        for process in pool:
            process.join(timeout=60)
    failed = [error for *_, error in results if error]
    if failed:
        raise RuntimeError(f"a client process failed: {failed[0]}")
    began = min(r[1] for r in results)
    ended = max(r[2] for r in results)
    latencies = [x for r in results for x in r[3]]
    return (ended - began) / 1e9, statistics.median(latencies) / 1e6


def measure_processes(backend: str, processes: int, n: int, pg_server: str) -> list[ProcessesRow]:
    """``n`` starts, then ``n`` completions, spread over ``processes`` client processes, each
    with its own Engine and connection pool on one database: the product's shape with several
    web server or worker processes. Raw SpiffWorkflow runs in as many processes just before, so
    the ratio is taken against the same number of cores' worth of SpiffWorkflow."""
    per = slices(n, processes)
    raw_count = min(n, 2000)
    raw_shares = [[None] * c for c in slices(raw_count, processes)]
    raw_start_s, _ = _in_processes(None, "start", raw_shares)
    raw_complete_s, _ = _in_processes(None, "complete", raw_shares)
    with fresh_database(backend, pg_server) as url:
        services = open_services(url)
        try:
            deploy(services, [BENCH])
            warm_up(services, BENCH)
        finally:
            services.db.dispose()
        keys = [[f"P{k}-{i:06d}" for i in range(count)] for k, count in enumerate(per)]
        started, start_p50 = _in_processes(url, "start", keys)
        services = open_services(url)
        try:
            with services.sessions() as session:
                found = session.execute(text(
                    "SELECT id, business_key FROM human_task WHERE element_id = 'first' "
                    "AND status = 'open' AND business_key LIKE 'P%' ORDER BY id")).all()
        finally:
            services.db.dispose()
        tasks: list[list[Any]] = [[] for _ in range(processes)]
        for task_id, key in found:
            tasks[int(key[1:key.index("-")])].append(task_id)
        completed, complete_p50 = _in_processes(url, "complete", tasks)
    return [ProcessesRow(backend, processes, n, "start", n / started, raw_count / raw_start_s,
                         start_p50),
            ProcessesRow(backend, processes, n, "complete", n / completed,
                         raw_count / raw_complete_s, complete_p50)]


def print_heading(lines: list[str], header: str) -> None:
    """A table's title and legend, its column names and a rule."""
    print("\n" + "\n".join(lines))
    print(header)
    print("-" * len(header))


def print_processes(found: list[ProcessesRow]) -> None:
    print_heading([
        ("=== Concurrent client processes (the product's shape: several web server and worker "
        "processes on one database) ==="),
        ("P client processes, each with its own Engine and connections, each call one "
        "transaction; ops/s = calls finished per second of wall time, all processes together;"),
        ("raw P/s = raw SpiffWorkflow (with dump/load) in P processes at once, measured just "
        "before; %raw P = persisted over that (like for like: the same cores);"),
        "raw 1/s = raw in one process (one core); %raw 1 = persisted over that"],
        f"{'backend':<9}{'procs':>6}{'N':>7}  {'op':<9}{'persisted/s':>12}{'raw P/s':>9}"
        f"{'%raw P':>7}{'raw 1/s':>9}{'%raw 1':>7}{'p50 ms':>8}")
    # Raw in one process is the 1-process line's raw figure (the figure is always taken with 1).
    one = {(r.backend, r.op): r.raw_per_s for r in found if r.processes == 1}
    for r in found:
        raw_one = one[(r.backend, r.op)]
        print(f"{r.backend:<9}{r.processes:>6}{r.n:>7}  {r.op:<9}{r.persisted_per_s:>12.0f}"
              f"{r.raw_per_s:>9.0f}{pct(r.persisted_per_s, r.raw_per_s):>7}"
              f"{raw_one:>9.0f}{pct(r.persisted_per_s, raw_one):>7}{r.p50_ms:>8.2f}")


def print_concurrent(found: list[ConcurrentRow]) -> None:
    print_heading([
        "=== Concurrent clients (second figure; the headline is the sequential table above) ===",
        ("T client threads share one Engine, each call still one transaction; ops/s = calls "
        "finished per second of wall time, all threads together;"),
        ("raw/s = raw SpiffWorkflow (with dump/load) in one thread of this process, measured "
        "just before (more threads do not make it faster: one interpreter lock);"),
        "%raw = persisted ops/s with T threads over that; x seq = ops/s over the 1-thread line"],
        f"{'backend':<9}{'threads':>7}{'N':>7}  {'op':<9}{'persisted/s':>12}{'raw/s':>8}"
        f"{'%raw':>6}{'x seq':>7}{'p50 ms':>8}")
    single = {(r.backend, r.op): r.persisted_per_s for r in found if r.threads == 1}
    for r in found:
        base = single.get((r.backend, r.op))
        print(f"{r.backend:<9}{r.threads:>7}{r.n:>7}  {r.op:<9}{r.persisted_per_s:>12.0f}"
              f"{r.raw_per_s:>8.0f}{pct(r.persisted_per_s, r.raw_per_s):>6}"
              f"{(f'{r.persisted_per_s / base:.2f}' if base else 'n/a'):>7}{r.p50_ms:>8.2f}")


# --- profile ---------------------------------------------------------------------------------

class Stopwatch:
    """Wall-clock time spent in chosen functions, by wrapping them for the duration of a
    measurement: far less distortion than cProfile, which inflates SQLAlchemy's many small calls.
    Times are inclusive (a statement inside derive.sync counts in both)."""

    def __init__(self) -> None:
        self.ns: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self._undo: list[Callable[[], None]] = []

    def add(self, label: str, elapsed: int) -> None:
        self.ns[label] = self.ns.get(label, 0) + elapsed
        self.calls[label] = self.calls.get(label, 0) + 1

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = now_ns()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(label, now_ns() - t0)

        setattr(owner, name, timed)
        self._undo.append(lambda: setattr(owner, name, original))

    def restore(self) -> None:
        while self._undo:
            self._undo.pop()()

    def reset(self) -> None:
        self.ns.clear()
        self.calls.clear()


def instrument(services: Services) -> Stopwatch:
    """Wrap the functions an engine step goes through. The engine is being reworked while this
    benchmark exists, so a function that is no longer there is skipped (and named), not fatal."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session, SessionTransaction

    from app.engine import derive, rows, runtime

    watch = Stopwatch()
    targets: list[tuple[Any, str, str]] = [
        (runtime.Engine, "_load_locked", "Engine._load_locked (definition, spec, load)"),
        (runtime, "specs_for", "specs_for (cached spec)"),
        (runtime.Engine, "_script_engine", "ProductScriptEngine() per step"),
        (state, "new_workflow", "state.new_workflow"),
        (state, "load", "state.load (JSON -> workflow)"),
        (runtime, "_run", "_run (do_engine_steps)"),
        (state, "dump", "state.dump (workflow -> JSON)"),
        (rows.Tx, "event", "Tx.event (hash chain)"),
        (derive, "sync", "derive.sync (derived rows, computed)"),
        (derive, "apply", "derive.apply (derived rows, written)"),
        (rows, "insert_instance", "rows.insert_instance"),
        (rows, "write_instance", "rows.write_instance (UPDATE .. version)"),
        (rows.Tx, "flush", "Tx.flush (writes and events; one statement on PostgreSQL)"),
        (Session, "flush", "Session.flush (ORM unit of work)"),
        (SessionTransaction, "commit", "session commit incl. pending event INSERT"),
        (services.db.dialect, "do_commit", "session COMMIT"),
    ]
    missing = []
    for owner, name, label in targets:
        if callable(getattr(owner, name, None)):
            watch.wrap(owner, name, label)
        else:
            missing.append(f"{getattr(owner, '__name__', type(owner).__name__)}.{name}")
    if missing:
        print(f"(not in this version of the engine, not timed: {', '.join(missing)})")

    # The engine's own statements go to the driver past SQLAlchemy (rows.Tx): timed by kind. On
    # PostgreSQL a statement in a batch is only queued; its round trip is the pipeline's sync.
    run, run_many = rows.Tx.run, rows.Tx.run_many

    def label_of(statement: Any) -> str:
        head = statement[0].split(None, 1)[0].upper()
        return {"COMMIT": "SQL COMMIT (Tx.run)", "BEGIN": "SQL BEGIN (Tx.run)"}.get(
            head, "SQL other statements (Tx.run)")

    def timed_run(self: Any, statement: Any, params: Any = ()) -> Any:
        t0 = now_ns()
        try:
            return run(self, statement, params)
        finally:
            watch.add(label_of(statement), now_ns() - t0)

    def timed_run_many(self: Any, statement: Any, params: Any) -> Any:
        t0 = now_ns()
        try:
            return run_many(self, statement, params)
        finally:
            watch.add("SQL executemany (Tx.run_many)", now_ns() - t0)

    rows.Tx.run, rows.Tx.run_many = timed_run, timed_run_many  # type: ignore[method-assign]

    def unwrap_run() -> None:
        rows.Tx.run, rows.Tx.run_many = run, run_many  # type: ignore[method-assign]

    watch._undo.append(unwrap_run)
    if services.db.dialect.name == "postgresql":
        import psycopg
        watch.wrap(psycopg.Pipeline, "__exit__", "pipeline sync (one PostgreSQL round trip)")

    def before(conn: Any, *_: Any) -> None:
        conn.info["bench_t0"] = now_ns()

    def after(conn: Any, *_: Any) -> None:
        watch.add("SQL statements through SQLAlchemy", now_ns() - conn.info.pop("bench_t0"))

    def stop_listening() -> None:
        event.remove(services.db, "before_cursor_execute", before)
        event.remove(services.db, "after_cursor_execute", after)

    event.listen(services.db, "before_cursor_execute", before)
    event.listen(services.db, "after_cursor_execute", after)
    watch._undo.append(stop_listening)
    return watch


def _print_breakdown(title: str, watch: Stopwatch, count: int, total_ns: int) -> None:
    print(f"\n=== breakdown: {title}: {total_ns / count / 1e6:.2f} ms per call "
          f"(wall clock, inclusive, per call) ===")
    for label, spent in sorted(watch.ns.items(), key=lambda item: -item[1]):
        print(f"  {label:<45}{spent / count / 1e6:>8.3f} ms {100 * spent / total_ns:>5.0f}%"
              f"   {watch.calls[label] / count:>5.1f} calls")


def profile_backend(backend: str, count: int, pg_server: str, workload: Workload = BENCH) -> None:
    """Where a persisted step spends its time: after ``count`` untimed warm-up calls, a wall-clock
    breakdown of ``count`` starts (and completions), then cProfile of ``count`` more, printed by
    cumulative and by own time."""
    with fresh_database(backend, pg_server) as url:
        services = open_services(url)
        try:
            deploy(services, [workload])
            warm_up(services, workload)
            engine, actor = services.engine, Actor("bench", workload.groups)
            key, label = workload.process_key, f"{backend}: {workload.label}"

            def start(i: int) -> None:
                engine.start(key, workload.start_data(i), actor=actor)

            def complete(task_id: int) -> None:
                engine.complete_task(task_id, actor, workload.complete_data(0))

            for i in range(count):  # warm-up: pools, statement caches
                start(i)
            # First a low-overhead breakdown by wall clock, then cProfile for the detail.
            watch = instrument(services)
            try:
                t0 = now_ns()
                for i in range(count):
                    start(count + i)
                _print_breakdown(f"{label}: Engine.start", watch, count, now_ns() - t0)
            finally:
                watch.restore()
            profiler = cProfile.Profile()
            profiler.enable()
            for i in range(count):
                start(2 * count + i)
            profiler.disable()
            _print_profile(f"{label}: {count} x Engine.start", profiler)
            with services.sessions() as session:
                task_ids = list(session.execute(text(
                    "SELECT id FROM human_task WHERE process_key = :key AND element_id = :element "
                    "AND status = 'open' ORDER BY id"),
                    {"key": key, "element": workload.first_task}).scalars())
            for task_id in task_ids[:count]:  # warm-up
                complete(task_id)
            watch = instrument(services)
            try:
                t0 = now_ns()
                for task_id in task_ids[count:2 * count]:
                    complete(task_id)
                _print_breakdown(f"{label}: Engine.complete_task", watch, count, now_ns() - t0)
            finally:
                watch.restore()
            profiler = cProfile.Profile()
            profiler.enable()
            for task_id in task_ids[2 * count:3 * count]:
                complete(task_id)
            profiler.disable()
            _print_profile(f"{label}: {count} x Engine.complete_task", profiler)
        finally:
            services.db.dispose()


def _print_profile(title: str, profiler: cProfile.Profile) -> None:
    for order, limit in (("cumulative", 25), ("tottime", 15)):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(limit)
        print(f"\n=== profile: {title}, sorted by {order}, top {limit} ===")
        # Drop pstats' preamble up to the column header; keep the figures.
        lines = out.getvalue().splitlines()
        head = next((k for k, line in enumerate(lines) if "ncalls" in line), 0)
        total = next((line.strip() for line in lines if "function calls" in line), "")
        print(total)
        print("\n".join(line.rstrip() for line in lines[head:] if line.strip()))


# --- report ----------------------------------------------------------------------------------

def pct(a: float, b: float) -> str:
    return f"{100 * a / b:.0f}%" if b else "n/a"


@dataclass
class Growth:
    """Last block of persisted calls against the first (> 1 faster at the end, < 1 slower)."""

    blocks: list[Series]
    raw_slices: list[Series]
    by_p50: float          # p50 of the first block / p50 of the last
    normalised: float      # the same, each block's p50 first divided by its raw slice's p50


def growth_of(series: Series, raw_slices: list[Series], block: int) -> Growth | None:
    # Medians, not means: robust to the odd slow call on a shared machine. Normalised by the raw
    # slice measured just before each block: if the whole machine slowed down (another job
    # started), raw slowed down as much and the normalised figure stays near 1.
    blocks = series.blocks(block)
    if len(blocks) < 2:
        return None
    first, last = blocks[0], blocks[-1]
    raw_first, raw_last = raw_slices[0], raw_slices[len(blocks) - 1]
    normalised = float("nan")
    if len(raw_first) and len(raw_last):
        normalised = ((first.median_ms / raw_first.median_ms)
                      / (last.median_ms / raw_last.median_ms))
    return Growth(blocks, raw_slices, first.median_ms / last.median_ms, normalised)


def print_summary(rows: list[Row], block_for: Callable[[int], int]) -> None:
    print("\n=== Throughput: persisted (one transaction per call) vs raw in-memory SpiffWorkflow ===")
    print("raw = new/load workflow + engine steps + state.dump/load (same spec, same "
          "ProductScriptEngine), no database;")
    print("raw bare = the same without dump/load. %raw = persisted ops/s as a share of raw ops/s; "
          "%bare likewise of raw bare;")
    print("p50/p95 = per-call latency of the persisted call; %raw p50 = raw p50 / persisted p50 "
          "(the same ratio on medians).")
    print("growth = p50 of the first block / p50 of the last block of persisted calls "
          "(1.00 = no slowdown, < 1 = slower as rows accumulate);")
    print("norm. = the same after dividing each block's p50 by the p50 of the raw slice run "
          "just before it (cancels a machine-wide slowdown)")
    header = (f"{'backend':<9}{'process':<8}{'N':>7}  {'op':<9}{'persisted/s':>12}{'raw/s':>8}"
              f"{'%raw':>6}{'raw bare/s':>11}{'%bare':>6}{'p50 ms':>8}{'p95 ms':>8}"
              f"{'raw p50':>8}{'%raw p50':>9}{'growth':>8}{'norm.':>7}")
    print(header)
    print("-" * len(header))
    for row in rows:
        block = block_for(row.n)
        for op, persisted, raw, bare, raw_slices in (
            ("start", row.persisted.start, row.raw.start, row.raw.start_bare,
             row.persisted.raw_start_slices),
            ("complete", row.persisted.complete, row.raw.complete, row.raw.complete_bare,
             row.persisted.raw_complete_slices),
        ):
            growth = growth_of(persisted, raw_slices, block)
            print(f"{row.backend:<9}{row.workload:<8}{row.n:>7}  {op:<9}"
                  f"{persisted.per_second:>12.0f}{raw.per_second:>8.0f}"
                  f"{pct(persisted.per_second, raw.per_second):>6}"
                  f"{bare.per_second:>11.0f}{pct(persisted.per_second, bare.per_second):>6}"
                  f"{persisted.median_ms:>8.2f}{persisted.p95_ms:>8.2f}{raw.median_ms:>8.2f}"
                  f"{pct(raw.median_ms, persisted.median_ms):>9}"
                  f"{(f'{growth.by_p50:.2f}' if growth else 'n/a'):>8}"
                  f"{(f'{growth.normalised:.2f}' if growth else 'n/a'):>7}")
    raw_counts = sorted({(r.n, r.raw.count) for r in rows if r.raw.count != r.n})
    for n, count in raw_counts:
        print(f"(N={n}: raw measured on {count} instances; raw cost does not depend on how many "
              "instances a database holds)")


def print_growth(rows: list[Row], block_for: Callable[[int], int], max_blocks: int = 10) -> None:
    print("\n=== Growth: successive blocks of persisted calls while stored instances grow ===")
    print("per block: persisted calls/s, p50 ms, and x raw = persisted p50 / p50 of the raw slice "
          "run just before the block")
    for row in rows:
        block = block_for(row.n)
        for op, series, raw_slices in (
            ("start", row.persisted.start, row.persisted.raw_start_slices),
            ("complete", row.persisted.complete, row.persisted.raw_complete_slices),
        ):
            growth = growth_of(series, raw_slices, block)
            title = f"{row.backend} {row.workload} N={row.n} {op}"
            if growth is None:
                print(f"{title}: fewer than two blocks of {block}; no growth figure")
                continue
            blocks = growth.blocks
            # Long runs have many blocks: show an even selection, always the first and the last.
            step = max(1, -(-len(blocks) // max_blocks))
            shown = sorted(set(range(0, len(blocks), step)) | {len(blocks) - 1})
            print(f"{title}, blocks of {block}:")
            for k in shown:
                raw_p50 = raw_slices[k].median_ms if len(raw_slices[k]) else float("nan")
                print(f"    #{k + 1:<3} after {(k + 1) * block:>7} {op}s: "
                      f"{blocks[k].per_second:>6.0f}/s  p50 {blocks[k].median_ms:6.2f} ms  "
                      f"x raw {blocks[k].median_ms / raw_p50:5.1f}")
            print(f"    last/first: ops/s {blocks[-1].per_second / blocks[0].per_second:.2f}, "
                  f"by p50 {growth.by_p50:.2f}, normalised {growth.normalised:.2f}")


def code_version() -> str:
    """The commit measured, and whether the engine's code differs from it (figures move with it)."""
    import subprocess
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "app"], cwd=ROOT,
                               check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" with local changes in app/" if dirty else "")


def print_environment(pg_version: str | None) -> None:
    import os
    print(f"DI Case engine benchmark, {date.today().isoformat()} {time.strftime('%H:%M:%S')}, "
          f"code {code_version()}")
    print(f"python {platform.python_version()}, SpiffWorkflow {version('SpiffWorkflow')}, "
          f"SQLAlchemy {version('SQLAlchemy')}, psycopg {version('psycopg')}, "
          f"sqlite {__import__('sqlite3').sqlite_version}, PostgreSQL {pg_version or '-'}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append",
                        help="instances per measurement; repeat for several (default 1000)")
    parser.add_argument("--backends", default="sqlite,postgres",
                        help="comma-separated: sqlite, postgres (default both)")
    parser.add_argument("--growth-block", type=int, default=0,
                        help="operations per growth block (default N/10)")
    parser.add_argument("--p9-n", type=int, default=-1,
                        help="P9 instances per measurement (default min(N, 250); 0 = no P9 line)")
    parser.add_argument("--raw-max", type=int, default=5000,
                        help="instances in the raw baseline at most (default 5000)")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER,
                        help="PostgreSQL server URL; a fresh database is created on it")
    parser.add_argument("--threads", type=int, default=4,
                        help="client threads for the concurrent figure (default 4; 0 = none)")
    parser.add_argument("--concurrent-backends", default="postgres",
                        help="backends for the concurrent figure (default postgres)")
    parser.add_argument("--concurrent-n", type=int, default=2000,
                        help="instances in the concurrent figure, all threads together")
    parser.add_argument("--processes", type=int, default=0, metavar="P",
                        help="client processes for the processes figure (default 0 = none; "
                             "the figure is taken with 1 and with P)")
    parser.add_argument("--profile-process", choices=("bench", "p9"), default="bench",
                        help="the process --profile runs (default: the benchmark's own)")
    parser.add_argument("--profile", type=int, default=0, metavar="K",
                        help="instead of measuring: where K persisted starts and completions spend "
                             "their time (wall-clock breakdown, then cProfile)")
    args = parser.parse_args(argv)
    # Stopped with kill (a long run in the background): still drop the PostgreSQL database and
    # the SQLite directory, which the ``finally`` blocks do on SystemExit but not on SIGTERM.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    pg_version = reachable_server_version(args.pg_server) if "postgres" in backends else None
    if "postgres" in backends and pg_version is None:
        backends.remove("postgres")
    print_environment(pg_version)

    if args.profile:
        for backend in backends:
            profile_backend(backend, args.profile, args.pg_server,
                            p9_workload() if args.profile_process == "p9" else BENCH)
        return

    # --n 0 leaves the sequential table out (say, to take only the processes figure).
    sizes = [n for n in (args.n or [1000]) if n > 0]
    p9 = p9_workload()
    block_for: Callable[[int], int] = (lambda n: args.growth_block) if args.growth_block \
        else (lambda n: max(1, n // 10))
    rows: list[Row] = []
    began = time.monotonic()
    for n in sizes:
        p9_n = min(n, 250) if args.p9_n < 0 else args.p9_n
        for backend in backends:
            rows.extend(run_backend(backend, [(BENCH, n), (p9, p9_n)], args.raw_max, block_for,
                                    args.pg_server))
    concurrent: list[ConcurrentRow] = []
    if args.threads > 0:
        for backend in [b.strip() for b in args.concurrent_backends.split(",") if b.strip()]:
            if backend not in backends:
                continue
            for threads in sorted({1, args.threads}):
                progress(f"{backend}: {args.concurrent_n} starts and completions in {threads} "
                         "client thread(s)")
                concurrent.extend(measure_concurrent(backend, threads, args.concurrent_n,
                                                     args.pg_server))
    in_processes: list[ProcessesRow] = []
    if args.processes > 0:
        for backend in [b.strip() for b in args.concurrent_backends.split(",") if b.strip()]:
            if backend not in backends:
                continue
            for processes in sorted({1, args.processes}):
                progress(f"{backend}: {args.concurrent_n} starts and completions in {processes} "
                         "client process(es)")
                in_processes.extend(measure_processes(backend, processes, args.concurrent_n,
                                                      args.pg_server))
    if rows:
        print_summary(rows, block_for)
        print_growth(rows, block_for)
    if concurrent:
        print_concurrent(concurrent)
    if in_processes:
        print_processes(in_processes)
    print(f"\n(wall time {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
