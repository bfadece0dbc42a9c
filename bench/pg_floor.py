"""What a PostgreSQL step cannot go below on this machine: a round trip, a durable commit, and
rewriting a workflow state of a given size under each TOAST compression.

    python bench/pg_floor.py [--n 1000] [--state-bytes 13600] [--pg-server URL]

The engine's ratio to raw SpiffWorkflow (bench/engine.py) is read against these: a step's database
cost includes at least one durable commit and one or two round trips. Prints medians and p90;
asserts nothing. Works in a scratch database it drops at the end.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg

from app.db.scratch import scratch_database

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def timed(call: Callable[[], object], n: int) -> str:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    times.sort()
    return (f"p50 {statistics.median(times) * 1000:6.3f} ms   "
            f"p90 {times[int(len(times) * 0.9)] * 1000:6.3f} ms")


def state_like(size: int) -> str:
    """Text shaped like a stored workflow state (JSON with ids, names and numbers) of ``size``."""
    tasks, k = [], 0
    while len(json.dumps(tasks)) < size:
        tasks.append({"id": f"{k:08x}-1f2e-4c3d-9a8b-{k * 7919:012x}", "state": 64,
                      "task_spec": f"element_{k % 40}", "last_state_change": 1.7e9 + k,
                      "data": {"case_number": f"P9-{k:06d}", "due": "2026-03-01"}})
        k += 1
    return json.dumps(tasks)


def rewriter(conn: psycopg.Connection, table: str, state: str, n: int) -> Callable[[], None]:
    """Each call rewrites the state of the next row, as the steps of other instances do."""
    rows: Iterator[int] = iter(range(1, n + 1))

    def rewrite() -> None:
        k = next(rows)
        conn.execute(f"UPDATE {table} SET state = %s WHERE id = %s",
                     (state.replace("P9-", f"P{k}-"), k))

    return rewrite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--state-bytes", type=int, default=13600)
    parser.add_argument("--pg-server", default=PG_SERVER)
    args = parser.parse_args()
    with scratch_database(args.pg_server, "dicase_bench_floor") as url:
        conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True)
        conn.execute("CREATE TABLE floor (id serial PRIMARY KEY, v text)")
        print(f"PostgreSQL {conn.info.server_version}, {args.n} calls each")
        print(f"{'SELECT 1 (one round trip)':<44}", timed(lambda: conn.execute("SELECT 1").fetchone(),
                                                          args.n))
        insert = "INSERT INTO floor (v) VALUES ('x')"
        print(f"{'INSERT of one row, durable commit':<44}", timed(lambda: conn.execute(insert),
                                                                  args.n))
        conn.execute("SET synchronous_commit = off")
        print(f"{'the same, synchronous_commit = off':<44}", timed(lambda: conn.execute(insert),
                                                                   args.n))
        conn.execute("RESET synchronous_commit")
        state = state_like(args.state_bytes)
        methods = ["pglz", "lz4"] if "lz4" in (conn.execute(
            "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
            .fetchone() or [[]])[0] else ["pglz"]
        for method in methods:
            table = f"state_{method}"
            conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, state text)")
            conn.execute(f"ALTER TABLE {table} ALTER COLUMN state SET COMPRESSION {method}")
            conn.execute(f"INSERT INTO {table} SELECT g, '' FROM generate_series(1, {args.n}) g")
            label = f"UPDATE of a {len(state) // 1000} KB state, {method}, commit"
            print(f"{label:<44}", timed(rewriter(conn, table, state, args.n), args.n))
        conn.close()


if __name__ == "__main__":
    main()
