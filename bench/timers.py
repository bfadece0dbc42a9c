"""Timer lag: how late the scheduler fires timers, from their due time to the step that fired them.

    python bench/timers.py [--n 300] [--spread 6] [--backends sqlite,postgres] [--poll 0.5]

Starts N instances whose timers fall due spread over a few seconds, runs the real scheduler loop
(workers/runner.py: timer_loop) in a thread with the given poll ceiling, and prints the lag of
every fired timer (``timer.fired_at - timer.due_at``): median, p95 and max. Prints figures; asserts
nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from datetime import UTC

from sqlalchemy import func, select

from app.config import Settings
from app.db import transaction
from app.db.migrate import upgrade
from app.db.models import Timer
from app.db.scratch import scratch_database
from app.engine.deploy import deploy_source
from app.engine.runtime import Actor
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
    from datetime import datetime, timedelta

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--spread", type=float, default=6.0, help="seconds the due times span")
    parser.add_argument("--poll", type=float, default=0.5, help="scheduler's longest sleep")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
