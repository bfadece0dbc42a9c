"""Worker loops, as threads in the app process or as a process of their own."""
from __future__ import annotations

import logging
import os
import socket
import threading

from sqlalchemy.exc import OperationalError

from app.services import Services

from .jobs import run_due_jobs
from .timers import fire_due_timers, seconds_to_next_timer

log = logging.getLogger(__name__)


def worker_name(suffix: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{suffix}"


def job_loop(services: Services, stop: threading.Event, name: str) -> None:
    idle = services.settings.poll_seconds
    backoff = idle
    while not stop.is_set():
        try:
            busy = run_due_jobs(services, name)
            backoff = idle
        except OperationalError:
            # The database is away (restart, failover): wait longer each time, then carry on.
            log.warning("job runner %s: database unavailable, retrying in %.1f s", name, backoff)
            busy, backoff = 0, min(backoff * 2, 30.0)
            stop.wait(backoff)
            continue
        if not busy:
            stop.wait(idle)


def timer_loop(services: Services, stop: threading.Event, name: str) -> None:
    ceiling = services.settings.poll_seconds
    backoff = ceiling
    while not stop.is_set():
        try:
            fire_due_timers(services, name)
            wait = seconds_to_next_timer(services, ceiling)
            backoff = ceiling
        except OperationalError:
            log.warning("timer scheduler %s: database unavailable, retrying in %.1f s", name, backoff)
            wait, backoff = backoff, min(backoff * 2, 30.0)
        stop.wait(wait)


def start_threads(services: Services, stop: threading.Event, job_threads: int = 1,
                  timer_threads: int = 1) -> list[threading.Thread]:
    threads = []
    for i in range(job_threads):
        name = worker_name(f"jobs-{i}")
        threads.append(threading.Thread(target=job_loop, args=(services, stop, name),
                                        name=name, daemon=True))
    for i in range(timer_threads):
        name = worker_name(f"timers-{i}")
        threads.append(threading.Thread(target=timer_loop, args=(services, stop, name),
                                        name=name, daemon=True))
    for thread in threads:
        thread.start()
    return threads
