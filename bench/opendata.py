"""Open-data benchmark: the nine data sets regenerated from a national-scale synthetic population.

    python bench/opendata.py [--scale 1900000] [--seed 1] [--backends sqlite,postgres]
                             [--runs 3] [--extracts DIR]

1. The synthetic population (app/population) is generated once into a folder of register
   extracts (or an existing folder is reused with ``--extracts`` when its manifest has the same
   seed and scale): time and peak memory.
2. Per database (a scratch PostgreSQL database, a SQLite file): the extracts are loaded into the
   statistics store (pseudonymised; app/opendata/extract.py): time, rows per second.
3. Regeneration: every data set's latest complete period computed, protected and written as a
   draft release (app/opendata/releases.prepare, the work the monthly process does), ``--runs``
   times: per data set and for all nine, the median and the slowest run, and the peak memory.
   The baseline, measured in the same run on the same database, is one full scan of the store
   (``count(*)`` of the facts grouped by source): the ratio says how many such scans the nine
   data sets cost.

Each phase runs in its own process, so its peak memory (``ru_maxrss``) is its own. Prints
figures; asserts nothing about them.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_KEY = "k1:" + "bench-only-key-" * 4


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_child(target: Any, *args: Any) -> Any:
    """Run ``target(*args)`` in a fresh process and return its result (a dict)."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(target, args)


def generate_phase(out: str, scale: int, seed: int, as_of: str) -> dict[str, Any]:
    from app.population import generate

    started = time.perf_counter()
    manifest = generate(Path(out), scale=scale, seed=seed, as_of=date.fromisoformat(as_of))
    rows = sum(entry["rows"] for entry in manifest["files"].values())
    return {"seconds": time.perf_counter() - started, "rows": rows, "peak_mib": _peak_mib()}


def _services(url: str) -> Any:
    from app.config import Settings
    from app.services import build_services

    return build_services(Settings(database_url=url, start_simulators=False,
                                   in_process_workers=False))


def extract_phase(url: str, extracts: str) -> dict[str, Any]:
    from app.access.organisations import load_organisations
    from app.db import transaction
    from app.db.migrate import upgrade
    from app.opendata.extract import extract_directory
    from app.pseudonyms import parse_key

    upgrade(url)
    services = _services(url)
    with transaction(services.sessions) as session:
        load_organisations(session)
    started = time.perf_counter()
    results = extract_directory(services.sessions, parse_key(BENCH_KEY), Path(extracts),
                                actor="bench")
    seconds = time.perf_counter() - started
    services.db.dispose()
    return {"seconds": seconds, "rows": sum(r.rows for r in results), "peak_mib": _peak_mib()}


def regenerate_phase(url: str, as_of: str, runs: int) -> dict[str, Any]:
    from sqlalchemy import text

    from app.opendata.definitions import DATASETS, latest_complete_period
    from app.opendata.releases import prepare

    services = _services(url)
    today = date.fromisoformat(as_of)
    baseline: list[float] = []
    per_dataset: dict[str, list[float]] = {code: [] for code in DATASETS}
    totals: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        with services.db.connect() as conn:
            conn.execute(text("SELECT source, count(*) FROM stat_fact GROUP BY source")).all()
        baseline.append(time.perf_counter() - started)
        run_started = time.perf_counter()
        for code, definition in DATASETS.items():
            started = time.perf_counter()
            prepare(services.sessions, code, latest_complete_period(definition, today),
                    actor="bench")
            per_dataset[code].append(time.perf_counter() - started)
        totals.append(time.perf_counter() - run_started)
    services.db.dispose()
    return {"baseline": baseline, "per_dataset": per_dataset, "totals": totals,
            "peak_mib": _peak_mib()}


def _figures(values: list[float]) -> str:
    ordered = sorted(values)
    return f"median {statistics.median(ordered):7.2f} s  slowest {ordered[-1]:7.2f} s"


def run_backend(backend: str, extracts: str, as_of: str, runs: int) -> None:
    from app.db.scratch import scratch_backend

    with scratch_backend(backend, PG_SERVER, "dicase_bench_opendata") as url:
        loaded = _in_child(extract_phase, url, extracts)
        print(f"[{backend}] extract: {loaded['rows']:,} rows in {loaded['seconds']:.1f} s "
              f"({loaded['rows'] / loaded['seconds']:,.0f} rows/s), peak {loaded['peak_mib']:.0f} MiB")
        result = _in_child(regenerate_phase, url, as_of, runs)
        for code, seconds in result["per_dataset"].items():
            print(f"[{backend}]   {code}: {_figures(seconds)}")
        base = statistics.median(result["baseline"])
        total = statistics.median(result["totals"])
        print(f"[{backend}] all nine: {_figures(result['totals'])}  "
              f"(baseline scan {base:.2f} s, ratio {total / base:.1f}×), "
              f"peak {result['peak_mib']:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=1_900_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2026-11-01")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--extracts", default=None,
                        help="Reuse this folder of extracts when its manifest matches.")
    args = parser.parse_args()

    folder = Path(args.extracts or tempfile.mkdtemp(prefix="dicase-population-"))
    manifest = folder / "manifest.json"
    reuse = manifest.exists() and all(
        json.loads(manifest.read_text())[k] == v
        for k, v in {"seed": args.seed, "scale": args.scale, "as_of": args.as_of}.items())
    if reuse:
        print(f"population: reusing {folder}")
    else:
        made = _in_child(generate_phase, str(folder), args.scale, args.seed, args.as_of)
        print(f"population: {args.scale:,} persons, {made['rows']:,} extract rows in "
              f"{made['seconds']:.1f} s, peak {made['peak_mib']:.0f} MiB ({folder})")
    for backend in args.backends.split(","):
        run_backend(backend.strip(), str(folder), args.as_of, args.runs)


if __name__ == "__main__":
    main()
