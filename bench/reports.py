"""Every report of the catalogue at national scale, on SQLite and PostgreSQL.

    python bench/reports.py [--persons 60000] [--runs 3] [--backends sqlite,postgres]
                            [--municipality RIGA] [--region PR-RIGA] [--explain]

1. Per database (a scratch PostgreSQL database, a SQLite file in a temporary folder): the
   caseload of bench/reports_population.py written in bulk (untimed; a progress line per table),
   then ``app.reports.facts.refresh`` once, timed on its own: what the first report after a
   national backlog would pay to derive the needs levels and planned services.
2. Every report, for its latest period (the current one at ``--as-of``), in three slices: the
   ministry with all territories (the adoption unit for the adoption reports, the only ones it
   may see), one municipality and one planning region (their own viewers where the report is in
   their audience, else the ministry narrowed to that territory; "—" where neither may see it),
   ``--runs`` times. Each run opens a fresh session, as a dashboard request does, and times
   ``engine.run`` (the figures) and ``engine.drilldown`` of the row with the largest first
   figure (the list behind it): their sum is the dashboard's time. Per report and slice the
   median and slowest of each are printed.
3. The baseline, measured in the same runs on the same database: ``SELECT count(*)`` of the
   largest table; the ratio says how many such scans a dashboard costs. Peak memory (maximum
   resident set) of the process that ran the reports.

Target read against: every dashboard under 2 s on PostgreSQL; those over it are listed, and with
``--explain`` the plan of each one's slowest statement is printed. Each phase runs in its own
process (its peak memory is its own). Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_SECONDS = 2.0


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_child(target: Any, *args: Any) -> Any:
    """Run ``target(*args)`` in a fresh process and return its (picklable) result."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(target, args)


def _params(options: dict[str, Any]) -> Any:
    from bench.reports_population import Params

    return Params(persons=options["persons"], adoption_children=options["adoption_children"],
                  seed=options["seed"], as_of=options["as_of"])


def _services(url: str) -> Any:
    from app.config import Settings
    from app.services import build_services

    return build_services(Settings(database_url=url, start_simulators=False,
                                   in_process_workers=False))


def build_phase(url: str, backend: str, options: dict[str, Any]) -> dict[str, Any]:
    from bench.reports_population import build

    started = time.perf_counter()
    counts = build(url, backend, _params(options))
    return {"seconds": time.perf_counter() - started, "counts": counts, "peak_mib": _peak_mib()}


def refresh_phase(url: str) -> dict[str, Any]:
    from app.reports import facts

    services = _services(url)
    try:
        with services.sessions() as session:
            started = time.perf_counter()
            added = facts.refresh(session)
            seconds = time.perf_counter() - started
    finally:
        services.db.dispose()
    return {"seconds": seconds, "added": added, "peak_mib": _peak_mib()}


class Statements:
    """The statements a call sends, with their time, so an over-target dashboard's slowest one
    can be explained."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.found: list[tuple[float, str, Any]] = []
        self.recording = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, *_args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any
               ) -> None:
        if self.recording:
            self.found.append((time.perf_counter() - conn.info.pop("bench_started"), statement,
                               parameters))

    def slowest(self) -> tuple[float, str, Any]:
        return max(self.found, key=lambda found: found[0])


def _explain(engine: Any, backend: str, statement: str, parameters: Any) -> list[str]:
    prefix = ("EXPLAIN (ANALYZE, BUFFERS) " if backend == "postgres"
              else "EXPLAIN QUERY PLAN ")
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
        conn.rollback()
    return [" | ".join(str(v) for v in row) for row in rows]


def _slices(definition: Any, viewers: dict[str, Any], municipality: str, region: str
            ) -> list[tuple[str, Any, str | None]]:
    """(slice name, viewer, territory) per slice this report has; None where none may see it."""
    from app.reports import engine

    if not engine.may_see(viewers["LM"], definition):
        return [("all", viewers["LM-ADOPT"], None), ("municipality", None, None),
                ("region", None, None)]
    found: list[tuple[str, Any, str | None]] = [("all", viewers["LM"], None)]
    for name, code in (("municipality", municipality), ("region", region)):
        if engine.may_see(viewers[code], definition):
            found.append((name, viewers[code], None))
        else:
            found.append((name, viewers["LM"], code))
    return found


def _largest_cell(result: Any) -> dict[str, str] | None:
    if not result.rows or not result.definition.dimensions:
        return None
    first = result.definition.measures[0].name
    row = max(result.rows, key=lambda r: r[first] if r[first] is not None else -1)
    return {d.name: "" if row[d.name] is None else str(row[d.name])
            for d in result.definition.dimensions}


def measure_phase(url: str, backend: str, options: dict[str, Any],
                  largest: str) -> dict[str, Any]:
    from sqlalchemy import text

    from app.access.scope import viewer_of
    from app.reports import engine
    from app.reports.definitions import REPORTS

    services = _services(url)
    clock = Statements(services.db)
    municipality, region = options["municipality"], options["region"]
    now: datetime = options["as_of"]
    with services.sessions() as session:
        viewers = {code: viewer_of(session, f"bench-{code.lower()}", ("caseworker",), (), code)
                   for code in ("LM", "LM-ADOPT", municipality, region)}
    results: dict[tuple[str, str], dict[str, Any]] = {}
    baseline: list[float] = []
    for _ in range(options["runs"]):
        started = time.perf_counter()
        with services.db.connect() as conn:
            conn.execute(text(f"SELECT count(*) FROM {largest}")).scalar()
        baseline.append(time.perf_counter() - started)
        for report_id, definition in REPORTS.items():
            for slice_name, viewer, territory in _slices(definition, viewers, municipality,
                                                         region):
                entry = results.setdefault((report_id, slice_name), {
                    "as": None, "run": [], "drill": [], "total": [], "rows": 0, "listed": 0,
                    "period": None, "slowest": None})
                if viewer is None:
                    continue
                entry["as"] = (viewer.organisation_code + (f" → {territory}" if territory
                                                           else ""))
                clock.found, clock.recording = [], True
                try:
                    with services.sessions() as session:
                        started = time.perf_counter()
                        result = engine.run(session, report_id, viewer, territory=territory,
                                            now=now)
                        ran = time.perf_counter() - started
                    with services.sessions() as session:
                        cell = _largest_cell(result) if definition.drilldown else None
                        started = time.perf_counter()
                        listed = (engine.drilldown(session, report_id, viewer,
                                                   period=result.period, territory=territory,
                                                   cell=cell, now=now)
                                  if cell is not None else [])
                        drilled = time.perf_counter() - started if cell is not None else 0.0
                except Exception as err:  # noqa: BLE001 - a failing report is a finding, not the end
                    entry["error"] = f"{type(err).__name__}: {str(err).splitlines()[0][:120]}"
                    continue
                finally:
                    clock.recording = False
                entry["run"].append(ran)
                entry["drill"].append(drilled)
                entry["total"].append(ran + drilled)
                entry["rows"], entry["listed"] = len(result.rows), len(listed)
                entry["period"] = result.period
                print(f"[{time.strftime('%H:%M:%S')}] {backend} {report_id} {slice_name}: "
                      f"{(ran + drilled) * 1000:.0f} ms", file=sys.stderr, flush=True)
                slowest = clock.slowest()
                if entry["slowest"] is None or slowest[0] > entry["slowest"][0]:
                    entry["slowest"] = slowest
    plans: dict[tuple[str, str], list[str]] = {}
    if options["explain"]:
        for key, entry in results.items():
            if entry["total"] and statistics.median(entry["total"]) > TARGET_SECONDS:
                _, statement, parameters = entry["slowest"]
                plans[key] = [statement, *_explain(services.db, backend, statement, parameters)]
    services.db.dispose()
    for entry in results.values():
        entry["slowest"] = entry["slowest"][0] if entry["slowest"] else None
    return {"results": results, "baseline": baseline, "plans": plans, "peak_mib": _peak_mib()}


def _ms(values: list[float]) -> str:
    if not values:
        return f"{'—':>17}"
    return f"{statistics.median(values) * 1000:8.0f} {max(values) * 1000:8.0f}"


def print_backend(backend: str, measured: dict[str, Any], runs: int) -> list[str]:
    base = statistics.median(measured["baseline"])
    print(f"\n[{backend}] per report and slice, ms: median and slowest of {runs} runs "
          f"(dashboard = figures + list behind the largest figure)")
    print(f"{'report':28} {'slice':12} {'as':18} {'period':8} {'rows':>5} {'listed':>6} "
          f"{'figures':>17} {'list':>17} {'dashboard':>17} {'×base':>6}")
    over: list[str] = []
    totals: list[float] = [0.0] * runs
    for (report_id, slice_name), entry in measured["results"].items():
        if entry.get("error"):
            print(f"{report_id:28} {slice_name:12} {entry['as'] or '':18} FAILED {entry['error']}")
            over.append(f"{report_id} ({slice_name}, failed)")
            continue
        if not entry["total"]:
            print(f"{report_id:28} {slice_name:12} {'— (no one of it may see it)':18}")
            continue
        median = statistics.median(entry["total"])
        flag = "  OVER 2 s" if median > TARGET_SECONDS else ""
        print(f"{report_id:28} {slice_name:12} {entry['as'][:18]:18} {entry['period']:8} "
              f"{entry['rows']:5d} {entry['listed']:6d} {_ms(entry['run'])} "
              f"{_ms(entry['drill'])} {_ms(entry['total'])} {median / base:6.1f}{flag}")
        for k, seconds in enumerate(entry["total"]):
            totals[k] += seconds
        if median > TARGET_SECONDS:
            over.append(f"{report_id} ({slice_name}, {median:.2f} s)")
    print(f"[{backend}] baseline count(*) of the largest table: median "
          f"{base * 1000:.0f} ms (slowest {max(measured['baseline']) * 1000:.0f} ms); every "
          f"dashboard of every slice one after the other: median "
          f"{statistics.median(totals):.1f} s; peak memory {measured['peak_mib']:.0f} MiB")
    print(f"[{backend}] dashboards over {TARGET_SECONDS:.0f} s (median): "
          + (", ".join(over) if over else "none"))
    for (report_id, slice_name), plan in measured["plans"].items():
        print(f"\n[{backend}] plan of the slowest statement of {report_id} ({slice_name}):")
        for line in plan:
            print("   " + line)
    return over


def run_backend(backend: str, options: dict[str, Any]) -> None:
    from app.db.scratch import reachable_server_version, scratch_backend

    if backend == "postgres" and reachable_server_version(options["pg_server"]) is None:
        return
    with scratch_backend(backend, options["pg_server"], "dicase_bench_reports") as url:
        built = _in_child(build_phase, url, backend, options)
        counts = built["counts"]
        largest = max(counts, key=lambda name: counts[name])
        print(f"\n[{backend}] caseload written in {built['seconds']:.0f} s (untimed set-up), "
              f"peak {built['peak_mib']:.0f} MiB: "
              + ", ".join(f"{name} {n:,}" for name, n in counts.items()))
        refreshed = _in_child(refresh_phase, url)
        print(f"[{backend}] facts.refresh once over the whole caseload: "
              f"{refreshed['seconds']:.1f} s, added "
              + ", ".join(f"{name} {n:,}" for name, n in refreshed["added"].items())
              + f", peak {refreshed['peak_mib']:.0f} MiB")
        measured = _in_child(measure_phase, url, backend, options, largest)
        print_backend(backend, measured, options["runs"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--persons", type=int, default=60_000)
    parser.add_argument("--adoption-children", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--as-of", default="2026-11-26T10:00",
                        help="the moment the caseload ends and the reports are run at (UTC)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--municipality", default="RIGA")
    parser.add_argument("--region", default="PR-RIGA")
    parser.add_argument("--explain", action="store_true",
                        help="print the plan of each over-target dashboard's slowest statement")
    parser.add_argument("--pg-server", default=PG_SERVER)
    args = parser.parse_args(argv)
    options = {"persons": args.persons, "adoption_children": args.adoption_children,
               "seed": args.seed, "as_of": datetime.fromisoformat(args.as_of).replace(tzinfo=UTC),
               "runs": args.runs, "municipality": args.municipality, "region": args.region,
               "explain": args.explain, "pg_server": args.pg_server}
    print(f"reports benchmark: {args.persons:,} persons, seed {args.seed}, as of {args.as_of} "
          f"UTC, {args.runs} runs; load average {os.getloadavg()[0]:.1f}")
    for backend in args.backends.split(","):
        run_backend(backend.strip(), options)


if __name__ == "__main__":
    main()
