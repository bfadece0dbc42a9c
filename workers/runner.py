"""Worker loops, as threads in the app process or as a process of their own."""
from __future__ import annotations

import logging
import os
import socket
import threading

from sqlalchemy.exc import OperationalError

from app.services import Services

from .jobs import run_due_jobs
from .outbox import outbox_loop
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


CALENDAR_SECONDS = 3600.0


def calendar_loop(services: Services, stop: threading.Event, name: str) -> None:
    """Start the monthly processes (reports due for last month) when a month begins. Hourly, and
    harmless to repeat: each area starts nothing that already runs for the month."""
    from app.areas import previous_month, start_month
    from app.domain.calendar import today_in_latvia

    while not stop.is_set():
        try:
            started = start_month(services, previous_month(today_in_latvia()))
            count = sum(len(ids) for ids in started.values())
            if count:
                log.info("calendar %s: started %d monthly process(es)", name, count)
        except OperationalError:
            log.warning("calendar %s: database unavailable, trying again later", name)
        except Exception as err:  # noqa: BLE001 - a failing area must not stop the others' loops
            log.error("calendar %s: %s", name, type(err).__name__)
        stop.wait(CALENDAR_SECONDS)


def start_threads(services: Services, stop: threading.Event, job_threads: int = 1,
                  timer_threads: int = 1, calendar: bool = False,
                  outbox_threads: int = 1) -> list[threading.Thread]:
    """The worker threads; ``calendar`` adds the monthly starter (run it in one worker only);
    ``outbox_threads`` send notifications (workers/outbox.py)."""
    threads = []
    if calendar:
        name = worker_name("calendar")
        threads.append(threading.Thread(target=calendar_loop, args=(services, stop, name),
                                        name=name, daemon=True))
    for i in range(job_threads):
        name = worker_name(f"jobs-{i}")
        threads.append(threading.Thread(target=job_loop, args=(services, stop, name),
                                        name=name, daemon=True))
    for i in range(timer_threads):
        name = worker_name(f"timers-{i}")
        threads.append(threading.Thread(target=timer_loop, args=(services, stop, name),
                                        name=name, daemon=True))
    for i in range(outbox_threads):
        name = worker_name(f"outbox-{i}")
        threads.append(threading.Thread(target=outbox_loop, args=(services, stop, name),
                                        name=name, daemon=True))
    for thread in threads:
        thread.start()
    return threads
