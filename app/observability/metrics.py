"""Prometheus metrics at ``/metrics``.

Two kinds, for two reasons:

- **HTTP requests** are counted where they are served, in the app process (prometheus-client's
  counters). Under gunicorn with several worker processes, set ``PROMETHEUS_MULTIPROC_DIR``
  (docker/gunicorn.conf.py does) and the answer adds up every process of the machine.
- **Everything the workers do** (task completions, job outcomes, timer lag, open incidents, the
  outbox and job queues) is read from the database when Prometheus scrapes. The workers are other
  processes, often on other machines; the database is where all of them write, so any app process
  answers with the same totals and nothing is lost when a worker restarts. The counters only
  grow because they count rows that never go back (a done job, a completed task, a fired timer,
  an incident, which stays as a row once resolved).

Retries are counted from the append-only event log (``job_failed`` events), incrementally: each
process remembers its totals up to an event id older than ``SETTLED_SECONDS`` (by then every
transaction that could still commit a smaller id has ended) and rereads only what came after.
"""
from __future__ import annotations

import os
import threading
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.db.models import Event, HumanTask, Incident, Job, OutboxMessage, Timer, utcnow

HTTP_REQUESTS = Counter(
    "dicase_http_requests", "HTTP requests answered, by endpoint (the Flask view), method and "
    "status.", ["endpoint", "method", "status"])
HTTP_DURATION = Histogram(
    "dicase_http_request_duration_seconds", "Time to answer an HTTP request, by endpoint and "
    "status.", ["endpoint", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))

# Seconds from a timer's due time to its firing: the poll interval normally, minutes when the
# scheduler was down.
TIMER_LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
# An event id older than this is final: no transaction still open could commit a smaller one.
SETTLED_SECONDS = 300.0


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(endpoint, method, str(status)).inc()
    HTTP_DURATION.labels(endpoint, str(status)).observe(seconds)


def render_metrics(sessions: sessionmaker[Session]) -> bytes:
    """The text exposition: this machine's HTTP metrics and the database's figures."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_HttpCollector())
    registry.register(DatabaseCollector(sessions))
    return generate_latest(registry)


class _HttpCollector:
    """This process's request metrics, for a registry of its own."""

    def collect(self) -> Iterator[Metric]:
        yield from HTTP_REQUESTS.collect()
        yield from HTTP_DURATION.collect()


@dataclass
class _RetryTally:
    """``job_failed`` retries per operation up to the settled event id ``upto``."""

    upto: int = 0
    by_operation: Tally[str] = field(default_factory=Tally)
    lock: threading.Lock = field(default_factory=threading.Lock)


# One per process and database: settled totals never change, so they are kept between scrapes.
_retry_tallies: dict[str, _RetryTally] = {}
_tallies_lock = threading.Lock()


class DatabaseCollector:
    """Reads the product's figures from the database at scrape time."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as session:
            yield _task_completions(session)
            yield _job_outcomes(session, self._retries(session))
            yield _timer_lag(session)
            yield _open_incidents(session)
            yield _outbox(session)
            yield _jobs_waiting(session)

    def _retries(self, session: Session) -> Tally[str]:
        url = str(session.get_bind().engine.url)
        with _tallies_lock:
            tally = _retry_tallies.setdefault(url, _RetryTally())
        with tally.lock:
            settled_before = utcnow() - timedelta(seconds=SETTLED_SECONDS)
            fresh: Tally[str] = Tally()
            settling = True
            for event_id, occurred_at, operation, detail in _job_failures_after(session, tally.upto):
                # Two transactions may take ids in the other order than their clocks: after the
                # first event that is not settled, nothing is kept.
                settling = settling and occurred_at < settled_before
                retried = not detail.get("incident")
                if settling:
                    tally.by_operation[operation] += retried
                    tally.upto = event_id
                else:
                    fresh[operation] += retried
            return tally.by_operation + fresh


def _job_failures_after(session: Session, event_id: int
                        ) -> Iterable[tuple[int, datetime, str, dict[str, object]]]:
    rows = session.execute(
        select(Event.id, Event.occurred_at, Job.operation, Event.detail)
        .join(Job, Job.id == Event.detail["job_id"].as_integer())
        .where(Event.kind == "job_failed", Event.id > event_id)
        .order_by(Event.id))
    for row in rows:
        yield row[0], row[1], row[2], row[3] or {}


def _task_completions(session: Session) -> Metric:
    family = CounterMetricFamily("dicase_task_completions", "User tasks completed, by process.",
                                 labels=["process"])
    for process_key, count in session.execute(
            select(HumanTask.process_key, func.count()).where(HumanTask.status == "completed")
            .group_by(HumanTask.process_key)):
        family.add_metric([process_key], count)
    return family


def _job_outcomes(session: Session, retries: Tally[str]) -> Metric:
    family = CounterMetricFamily(
        "dicase_job_outcomes", "Service-task calls by operation and outcome: done, retry (an "
        "attempt failed and another is scheduled) or incident (out of attempts, or refused).",
        labels=["operation", "outcome"])
    outcomes: Tally[tuple[str, str]] = Tally()
    for operation, count in session.execute(
            select(Job.operation, func.count()).where(Job.status == "done")
            .group_by(Job.operation)):
        outcomes[(operation, "done")] = count
    for operation, count in session.execute(
            select(Job.operation, func.count()).select_from(Incident)
            .join(Job, Job.id == Incident.job_id).group_by(Job.operation)):
        outcomes[(operation, "incident")] = count
    for operation, count in retries.items():
        outcomes[(operation, "retry")] = count
    for (operation, outcome), count in sorted(outcomes.items()):
        family.add_metric([operation, outcome], count)
    return family


def _timer_lag(session: Session) -> Metric:
    if session.get_bind().dialect.name == "sqlite":
        lag = (func.julianday(Timer.fired_at) - func.julianday(Timer.due_at)) * 86400.0
    else:
        lag = func.extract("epoch", Timer.fired_at - Timer.due_at)
    lags = select(lag.label("lag")).where(Timer.status == "fired",
                                          Timer.fired_at.is_not(None)).subquery()
    row = session.execute(select(
        func.count(), func.coalesce(func.sum(lags.c.lag), 0.0),
        *[func.coalesce(func.sum(case((lags.c.lag <= bound, 1), else_=0)), 0)
          for bound in TIMER_LAG_BUCKETS])).one()
    total, lag_sum, *within = row
    buckets = [(_bound(bound), float(count)) for bound, count in zip(TIMER_LAG_BUCKETS, within, strict=True)]
    buckets.append(("+Inf", float(total)))
    family = HistogramMetricFamily(
        "dicase_timer_lag_seconds", "Seconds from a timer's due time to its firing.")
    family.add_metric([], buckets, float(lag_sum))
    return family


def _bound(value: float) -> str:
    return repr(float(value))


def _open_incidents(session: Session) -> Metric:
    family = GaugeMetricFamily("dicase_open_incidents",
                               "Incidents waiting for an operator, by kind.", labels=["kind"])
    counts = dict(session.execute(select(Incident.kind, func.count())
                                  .where(Incident.resolved_at.is_(None)).group_by(Incident.kind)).all())
    # Every kind always present, so an alert rule sees 0 rather than no series.
    for kind in ("job", "timer", "script", "message"):
        family.add_metric([kind], counts.pop(kind, 0))
    for kind, count in sorted(counts.items()):
        family.add_metric([kind], count)
    return family


def _outbox(session: Session) -> Metric:
    family = GaugeMetricFamily(
        "dicase_outbox_messages", "Notifications in the outbox not yet acknowledged, by status "
        "(queued: to send; sent: waiting for NPAIS's acknowledgement; failed) and channel.",
        labels=["status", "channel"])
    counts = {(status, channel): count for status, channel, count in session.execute(
        select(OutboxMessage.status, OutboxMessage.channel, func.count())
        .where(OutboxMessage.status != "acknowledged")
        .group_by(OutboxMessage.status, OutboxMessage.channel))}
    for status in ("queued", "sent", "failed"):
        for channel in ("npais", "email", "in_app"):
            family.add_metric([status, channel], counts.pop((status, channel), 0))
    for (status, channel), count in sorted(counts.items()):
        family.add_metric([status, channel], count)
    return family


def _jobs_waiting(session: Session) -> Metric:
    family = GaugeMetricFamily(
        "dicase_jobs", "Service-task calls not finished: ready (waiting for a worker or for "
        "their next attempt) and running.", labels=["status"])
    counts = dict(session.execute(select(Job.status, func.count())
                                  .where(Job.status.in_(("ready", "running")))
                                  .group_by(Job.status)).all())
    for status in ("ready", "running"):
        family.add_metric([status], counts.get(status, 0))
    return family

