"""Timer benchmarks: how late the scheduler fires timers, and how fast it fires a crowd of them.

    python bench/timers.py lag [--n 300] [--spread 6] [--backends sqlite,postgres] [--poll 0.5]
    python bench/timers.py p9 [--n 100000] [--setup-processes 2] [--schedulers 1,2]

``lag``: N instances of a one-timer process whose timers fall due spread over a few seconds; the
real scheduler loop (workers/runner.py: timer_loop) in a thread; the lag of every fired timer
(``timer.fired_at - timer.due_at``): median, p95 and max.

``p9``: N children in P9 (processes/p09_out_of_family_care.bpmn), each started and its placement
registered through the engine (by several processes, untimed), with the first report due on the
same day, so every report deadline is the same midnight. Then S scheduler processes, each the
product's timer loop as ``dicase worker`` runs it, are started after that midnight, and the script
prints how long they take to fire every deadline, the throughput, the lag of each firing counted
from the scheduler's start (p50/p95/p99/max), and the check that no timer was lost (still
waiting) or fired twice (two ``timer_fired`` events of one element in one instance). One fresh
PostgreSQL database (or SQLite file) holds the N instances; each scheduler count in
``--schedulers`` gets a copy of it.

Prints figures; asserts nothing about them.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import time_machine
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import transaction
from app.db.migrate import upgrade
from app.db.models import Base, Event, HumanTask, ProcessDefinition, ProcessInstance, Timer
from app.db.scratch import scratch_database
from app.domain.calendar import add_months, end_of_day, today_in_latvia
from app.domain.out_of_family_care import next_report_due
from app.engine import state
from app.engine.deploy import deploy_directory, deploy_source
from app.engine.parsing import parse_process
from app.engine.runtime import Actor
from app.engine.scripting import ProductScriptEngine
from app.services import build_services
from workers.runner import timer_loop, worker_name

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

WAIT_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="urn:lv:dicase:bench">
  <bpmn:process id="bench_wait" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">due</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def measure(url: str, n: int, spread: float, poll: float) -> list[float]:
    upgrade(url)
    services = build_services(Settings(database_url=url, poll_seconds=poll))
    with transaction(services.sessions) as session:
        deploy_source(session, "bench_wait.bpmn", WAIT_MODEL, "bench")
    # Lead time so that starting all instances finishes before the first timer is due.
    first_due = datetime.now(UTC) + timedelta(seconds=2 + n * 0.01)
    for i in range(n):
        due = first_due + timedelta(seconds=spread * i / n)
        services.engine.start("bench_wait", {"due": due.isoformat()}, business_key=f"T{i}",
                              actor=Actor("bench"))
    stop = threading.Event()
    thread = threading.Thread(target=timer_loop, args=(services, stop, worker_name("bench")),
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 60 + spread + n * 0.05
    while time.monotonic() < deadline:
        with services.sessions() as session:
            waiting = session.scalar(select(func.count()).select_from(Timer)
                                     .where(Timer.status == "waiting"))
        if not waiting:
            break
        time.sleep(0.2)
    stop.set()
    thread.join(timeout=10)
    with services.sessions() as session:
        rows = session.execute(select(Timer.due_at, Timer.fired_at).where(Timer.status == "fired"))
        lags = [(fired - due).total_seconds() for due, fired in rows]
    services.db.dispose()
    return lags


# --- P9: many children's reports due in the same minute ----------------------------------------

P9 = "p09_out_of_family_care"


def _p9_dates(today: date) -> tuple[str, str, datetime]:
    """A child under three placed 100 days ago, so the first report was due about a week ago:
    the birth date, the placement date, and the moment the report deadline passed (the same
    midnight for every instance)."""
    birth = add_months(today, -24)
    placement = today - timedelta(days=100)
    deadline = end_of_day(next_report_due(placement, None, birth))
    return birth.isoformat(), placement.isoformat(), deadline


def _p9_create(url: str, first: int, count: int, today_iso: str) -> int:
    """Worker process of the set-up: ``count`` P9 instances started and their placement
    registered through the engine, as an institution would. Returns how many were made."""
    birth, placement, deadline = _p9_dates(date.fromisoformat(today_iso))
    # The children were registered before their deadline: this process's clock runs from two
    # hours before it, so the engine leaves each deadline as a waiting timer (a reminder due
    # earlier fires here, as it would have then). The schedulers run on the real clock.
    traveller = time_machine.travel(deadline - timedelta(hours=2), tick=True)
    traveller.start()
    services = build_services(Settings(database_url=url))
    institution = Actor("bench-institution", groups=frozenset({"institution"}))
    made = 0
    for i in range(first, first + count):
        case = f"P9-B-{i:06d}"
        iid = services.engine.start(P9, {"case_number": case, "child_birth_date": birth,
                                         "placement_date": placement, "orphan_court_code": "RIGA"},
                                    business_key=case, actor=Actor("bench"))
        with services.sessions() as session:
            task_id = session.scalar(select(HumanTask.id).where(
                HumanTask.instance_id == iid, HumanTask.status == "open"))
        services.engine.complete_task(task_id, institution, {
            "placement_date": placement, "child_birth_date": birth,
            "institution_name": "VSAC «Rīga»", "orphan_court_code": "RIGA"})
        made += 1
    services.db.dispose()
    traveller.stop()
    return made


def _p9_scheduler(url: str, seconds: float, name: str) -> None:
    """A scheduler process as ``dicase worker`` runs it: the product's timer loop, nothing else."""
    services = build_services(Settings(database_url=url, poll_seconds=0.5))
    stop = threading.Event()
    thread = threading.Thread(target=timer_loop, args=(services, stop, worker_name(name)),
                              daemon=True)
    thread.start()
    stop.wait(seconds)
    stop.set()
    thread.join(timeout=30)
    services.db.dispose()


def p9_setup(url: str, n: int, processes: int, clone: bool) -> float:
    """N P9 children waiting for their first report; the seconds it took. ``clone``: one child
    through the engine, then N-1 copies of its rows (see ``_p9_clone``); otherwise every child
    through the engine, in ``processes`` processes."""
    upgrade(url)
    services = build_services(Settings(database_url=url))
    deploy_directory(services.sessions, services.settings.processes_dir, "bench")
    services.db.dispose()
    today = today_in_latvia().isoformat()
    started = time.perf_counter()
    if clone:
        _p9_create(url, 0, 1, today)
        _p9_clone(url, n - 1)
        return time.perf_counter() - started
    share = [n // processes + (1 if k < n % processes else 0) for k in range(processes)]
    firsts = [sum(share[:k]) for k in range(processes)]
    with mp.get_context("spawn").Pool(processes) as pool:
        made = sum(pool.starmap(_p9_create, [(url, f, c, today)
                                             for f, c in zip(firsts, share, strict=True)]))
    assert made == n
    return time.perf_counter() - started


_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CLONED = ("human_task", "timer", "message_subscription")


def _p9_clone(url: str, copies: int) -> None:
    """Copies of the one instance the engine made, each with its own id, case number and task
    ids: the instance row (its serialised workflow), its open tasks, its waiting timer and its
    message subscription. The copies' event logs are left empty (each copy's first event will
    chain from the original's head), so they are for the scheduler figure only."""
    services = build_services(Settings(database_url=url))
    tables = {name: Base.metadata.tables[name] for name in ("process_instance", *_CLONED)}
    with services.db.begin() as conn:
        template = dict(conn.execute(select(tables["process_instance"])).one()._mapping)
        children = {name: [dict(r._mapping) for r in conn.execute(
            select(table).where(table.c.instance_id == template["id"],
                                *([table.c.status.in_(("open", "waiting"))]
                                  if "status" in table.c else [])))]
                    for name, table in tables.items() if name in _CLONED}
        case = template["business_key"]
        for first in range(0, copies, 2000):
            batch = range(first + 1, min(copies, first + 2000) + 1)
            made: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
            for k in batch:
                guids: dict[str, str] = {}

                def renew(value: Any, k: int = k, guids: dict[str, str] = guids) -> Any:
                    if not isinstance(value, str):
                        return value
                    value = _GUID.sub(lambda m: guids.setdefault(m.group(0), str(uuid.uuid4())),
                                      value)
                    return value.replace(case, f"P9-B-{k:06d}")

                iid = template["id"] + k
                made["process_instance"].append(
                    {c: (iid if c == "id" else renew(v)) for c, v in template.items()})
                for name in _CLONED:
                    made[name].extend({c: (iid if c == "instance_id" else renew(v))
                                       for c, v in row.items() if c != "id"}
                                      for row in children[name])
            for name in ("process_instance", *_CLONED):
                if made[name]:
                    conn.execute(tables[name].insert(), made[name])
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('process_instance', 'id'), "
                              "(SELECT max(id) FROM process_instance))"))
    # Rows that accumulate over months have their statistics kept by autovacuum; rows copied in
    # a minute do not yet, and the planner would sort every waiting timer for each claim.
    with services.db.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    services.db.dispose()


def p9_report_timers(session: Session) -> list[tuple[int, datetime]]:
    """The waiting timer of each instance that falls due last: the report deadline (a reminder
    before it, if the model has one, is due earlier)."""
    last = (select(Timer.instance_id, func.max(Timer.due_at).label("due"))
            .where(Timer.status == "waiting").group_by(Timer.instance_id).subquery())
    return [(row.id, row.due_at) for row in session.execute(
        select(Timer.id, Timer.due_at).join(last, (last.c.instance_id == Timer.instance_id)
                                            & (last.c.due == Timer.due_at)))]


def _p9_raw(source: str, file_name: str, dmn_sources: dict[str, str], stored: str,
            count: int) -> float:
    """Worker process of the raw figure: ``count`` deadline firings by SpiffWorkflow alone, no
    database: restore the stored workflow, let its due timers fire and the engine run, serialise
    it again (the product's state codec, as bench/engine.py's raw). Returns the seconds."""
    parsed = parse_process(source, file_name, dmn_sources)
    scripts = ProductScriptEngine(time_limit=Settings().script_time_limit)
    done = len(state.load(stored, parsed, scripts).get_tasks(state=TaskState.COMPLETED))
    started = time.perf_counter()
    for _ in range(count):
        workflow = state.load(stored, parsed, scripts)
        workflow.refresh_timers()
        workflow.do_engine_steps()
        state.dump(workflow)
    took = time.perf_counter() - started
    # The deadline did fire and the engine ran on from it: not an empty loop.
    assert len(workflow.get_tasks(state=TaskState.COMPLETED)) > done
    return took


def p9_raw(url: str, processes: int, count: int) -> float:
    """Deadline firings per second of SpiffWorkflow alone in ``processes`` processes (each
    ``count`` firings of one waiting child's stored workflow, all started together): the most
    this machine could fire with a database that cost nothing."""
    services = build_services(Settings(database_url=url))
    with services.sessions() as session:
        stored, definition_id = session.execute(
            select(ProcessInstance.state, ProcessInstance.definition_id)
            .where(ProcessInstance.process_key == P9).order_by(ProcessInstance.id).limit(1)).one()
        definition = session.get_one(ProcessDefinition, definition_id)
        args = (definition.source_xml, definition.file_name, definition.dmn_sources or {},
                stored, count)
    services.db.dispose()
    started = time.perf_counter()
    with mp.get_context("spawn").Pool(processes) as pool:
        pool.starmap(_p9_raw, [args] * processes)
    return processes * count / (time.perf_counter() - started)


def p9_measure(url: str, schedulers: int, budget: float, raw_count: int) -> dict[str, float]:
    services = build_services(Settings(database_url=url))
    with services.sessions() as session:
        report = dict(p9_report_timers(session))
        waiting = set(session.scalars(select(Timer.id).where(Timer.status == "waiting")))
    # Reminders due before the deadline fire first, untimed, so the figure is the deadlines'.
    for timer_id in sorted(waiting - set(report)):
        services.engine.fire_timer(timer_id, "bench-setup")
    raw = p9_raw(url, schedulers, raw_count) if raw_count else float("nan")
    due_at = max(report.values())
    begin = datetime.now(UTC)
    assert begin >= _aware(due_at), "the deadline must have passed before the scheduler starts"
    started = time.perf_counter()
    procs = [mp.get_context("spawn").Process(target=_p9_scheduler,
                                             args=(url, budget, f"bench-{k}"))
             for k in range(schedulers)]
    for proc in procs:
        proc.start()
    left = len(report)
    while time.perf_counter() - started < budget and left:
        time.sleep(0.5)
        with services.sessions() as session:
            left = session.scalar(select(func.count()).select_from(Timer).where(
                Timer.status == "waiting")) or 0
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.terminate()
        proc.join()
    with services.sessions() as session:
        # Every deadline is the same moment; reminders fired before it are due earlier.
        fired = session.execute(select(Timer.id, Timer.fired_at).where(
            Timer.due_at == due_at, Timer.status == "fired")).all()
        twice = session.execute(
            select(Event.instance_id, Event.element_id).where(Event.kind == "timer_fired")
            .group_by(Event.instance_id, Event.element_id).having(func.count() > 1)).all()
    services.db.dispose()
    # The deadline passed before the scheduler started: lag counts from the start.
    lags = sorted((_aware(f) - begin).total_seconds() for _, f in fired)
    return {"raw": raw, "timers": len(report), "fired": len(fired), "lost": len(report) - len(fired),
            "twice": len(twice), "seconds": elapsed,
            "p50": _pct(lags, 50), "p95": _pct(lags, 95), "p99": _pct(lags, 99),
            "max": lags[-1] if lags else float("nan")}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pct(values: list[float], pct: int) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, round(len(values) * pct / 100) - 1))]


def lag_main(args: argparse.Namespace) -> None:
    print(f"timer lag: N={args.n} timers due over {args.spread:g} s, poll ceiling {args.poll:g} s")
    print(f"{'backend':<10} {'fired':>6} {'median s':>9} {'p95 s':>7} {'max s':>7}")
    for backend in args.backends.split(","):
        if backend == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp()}/timers.db"
            lags = measure(url, args.n, args.spread, args.poll)
        else:
            with scratch_database(PG_SERVER, "dicase_bench") as url:
                lags = measure(url, args.n, args.spread, args.poll)
        lags.sort()
        p95 = lags[int(len(lags) * 0.95) - 1] if lags else float("nan")
        print(f"{backend:<10} {len(lags):>6} {statistics.median(lags):>9.3f} {p95:>7.3f} "
              f"{max(lags):>7.3f}")


def p9_main(args: argparse.Namespace) -> None:
    counts = [int(c) for c in args.schedulers.split(",")]
    print(f"P9: {args.n} children, report deadlines at the same midnight; "
          f"scheduler processes {args.schedulers}; backend {args.backend}", flush=True)
    with _p9_database(args.backend) as template:
        took = p9_setup(template, args.n, args.setup_processes, args.setup == "clone")
        how = ("one through the engine, the rest copied" if args.setup == "clone" else
               f"all through the engine, {args.setup_processes} processes")
        print(f"set-up: {args.n} instances waiting in {took:.0f} s ({how})", flush=True)
        print(f"{'schedulers':>10} {'timers':>7} {'fired':>7} {'lost':>5} {'twice':>5} "
              f"{'all fired s':>11} {'fired/s':>8} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} "
              f"{'max s':>7} {'raw/s':>7} {'%raw':>5} {'raw s':>7}")
        for count in counts:
            with _p9_copy(args.backend, template) as url:
                r = p9_measure(url, count, args.budget, min(args.raw_max, args.n // count))
            done = f"{r['seconds']:.1f}" if not r["lost"] else f">{r['seconds']:.0f}"
            rate = r["fired"] / r["seconds"]
            print(f"{count:>10} {r['timers']:>7.0f} {r['fired']:>7.0f} {r['lost']:>5.0f} "
                  f"{r['twice']:>5.0f} {done:>11} {rate:>8.0f} "
                  f"{r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f} {r['max']:>7.1f} "
                  f"{r['raw']:>7.0f} {rate / r['raw']:>5.0%} {r['timers'] / r['raw']:>7.1f}",
                  flush=True)
        print("raw/s: deadline firings per second of SpiffWorkflow alone (restore, fire, run, "
              "serialise; no database) in as many processes as schedulers, measured just before "
              "them; raw s: how long it would take for all the timers", flush=True)


class _p9_database:
    """A fresh database for the set-up: a new PostgreSQL database, or a SQLite file."""

    def __init__(self, backend: str) -> None:
        self.backend, self._scratch = backend, None

    def __enter__(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{tempfile.mkdtemp()}/p9.db"
        self._scratch = scratch_database(PG_SERVER, "dicase_bench_p9")
        return self._scratch.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._scratch is not None:
            self._scratch.__exit__(*exc)


class _p9_copy:
    """A copy of the set-up database, so each scheduler count starts from the same timers."""

    def __init__(self, backend: str, template: str) -> None:
        self.backend, self.template, self.url = backend, template, ""

    def __enter__(self) -> str:
        if self.backend == "sqlite":
            source = self.template.split("///", 1)[1]
            target = f"{tempfile.mkdtemp()}/p9copy.db"
            import sqlite3
            with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
                src.backup(dst)
            self.url = f"sqlite:///{target}"
            return self.url
        name = self.template.rsplit("/", 1)[1]
        self.copy = f"{name}_run"
        build_services(Settings(database_url=self.template)).db.dispose()
        _pg_admin(f'DROP DATABASE IF EXISTS "{self.copy}"')
        _pg_admin(f'CREATE DATABASE "{self.copy}" TEMPLATE "{name}"')
        self.url = self.template.rsplit("/", 1)[0] + "/" + self.copy
        return self.url

    def __exit__(self, *exc: object) -> None:
        if self.backend != "sqlite":
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.copy}" WITH (FORCE)')


def _pg_admin(statement: str) -> None:
    from sqlalchemy import create_engine
    engine = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode")
    lag = modes.add_parser("lag", help="lag of timers spread over a few seconds")
    lag.add_argument("--n", type=int, default=300)
    lag.add_argument("--spread", type=float, default=6.0, help="seconds the due times span")
    lag.add_argument("--poll", type=float, default=0.5, help="scheduler's longest sleep")
    lag.add_argument("--backends", default="sqlite,postgres")
    p9 = modes.add_parser("p9", help="P9 report deadlines all due at once")
    p9.add_argument("--n", type=int, default=100000)
    p9.add_argument("--backend", default="postgres", choices=("postgres", "sqlite"))
    p9.add_argument("--setup", default="clone", choices=("clone", "engine"),
                    help="clone: one child through the engine, copies of its rows for the rest; "
                         "engine: every child through the engine (slow: minutes per 10,000)")
    p9.add_argument("--setup-processes", type=int, default=2)
    p9.add_argument("--schedulers", default="1,2", help="scheduler process counts to measure")
    p9.add_argument("--raw-max", type=int, default=3000,
                    help="firings per process in the raw figure (0 leaves it out)")
    p9.add_argument("--budget", type=float, default=1800.0,
                    help="seconds to wait for all deadlines to fire before giving up")
    args = parser.parse_args()
    if args.mode == "p9":
        p9_main(args)
    else:
        if args.mode is None:
            args = parser.parse_args(["lag", *sys.argv[1:]])
        lag_main(args)


if __name__ == "__main__":
    main()
