"""Real processes for the reliability tests: `dicase worker` processes and a caseworkers process
(``tests/reliability/caseworkers.py``) on 127.0.0.1 against one database, killed with SIGKILL by
pid and started again; the small process they all work on; and the check of the simulator's
ledger against the jobs."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT
from app.db import transaction
from app.db.models import Incident, Job, ProcessInstance
from app.engine.deploy import deploy_source
from app.services import Services

from .consistency import check_instances

PROBE = "reliability_probe"
REVIEWERS = "testers"
# What each of the probe's service tasks tells the orphan court, by element.
NOTICES = {"notify_start": "PLACEMENT_REGISTERED", "notify_end": "REPORT_DELIVERED"}


def _notify(element: str) -> str:
    return f"""
    <bpmn:serviceTask id="{element}" name="Notify">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="npais.notify_orphan_court" resultVariable="{element}">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="orphan_court_code" type="str" value="'RIGA'" />
            <spiffworkflow:parameter id="case_reference" type="str" value="case_number" />
            <spiffworkflow:parameter id="notice_type" type="str" value="'{NOTICES[element]}'" />
            <spiffworkflow:parameter id="recipients" type="list" value="['ORPHAN_COURT']" />
            <spiffworkflow:parameter id="text" type="str" value="'reliability'" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>"""


# start -> notify (job) -> wait (timer) -> review (human task) -> notify (job) -> end
PROBE_BPMN = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="{PROBE}_definitions" targetNamespace="urn:lv:dicase:tests">
  <bpmn:process id="{PROBE}" name="Notify, wait, review, notify" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>{_notify("notify_start")}
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:intermediateCatchEvent id="wait" name="Wait">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="wait_timer">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">wait_for</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="review" name="Review">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="candidateGroups" value="{REVIEWERS}" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>{_notify("notify_end")}
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="notify_start" />
    <bpmn:sequenceFlow id="f2" sourceRef="notify_start" targetRef="wait" />
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="review" />
    <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="notify_end" />
    <bpmn:sequenceFlow id="f5" sourceRef="notify_end" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def deploy_probe(services: Services) -> None:
    with transaction(services.sessions) as session:
        deploy_source(session, f"{PROBE}.bpmn", PROBE_BPMN, "reliability")


def probe_data(number: int, wait_for: str = "PT1S") -> tuple[str, dict[str, Any]]:
    """The business key and start data of the ``number``-th probe instance."""
    case_number = f"R-{number:06d}"
    return case_number, {"case_number": case_number, "wait_for": wait_for}


def instance_counts(session: Session) -> Counter[str]:
    return Counter(dict(session.execute(  # type: ignore[arg-type]
        select(ProcessInstance.status, func.count()).group_by(ProcessInstance.status)).all()))


# --- processes ------------------------------------------------------------------------------


def child_environment(database_url: str, npais_url: str, *, lease_seconds: float = 2.0,
                      **more: str) -> dict[str, str]:
    """The settings of the worker and caseworkers processes, as `dicase` reads them."""
    return dict(os.environ, DICASE_DATABASE_URL=database_url, DICASE_NPAIS_URL=npais_url,
                DICASE_LEASE_SECONDS=str(lease_seconds), DICASE_POLL_SECONDS="0.1",
                DICASE_JOB_BACKOFF_SECONDS="0.2", DICASE_ADAPTER_TIMEOUT="5",
                DICASE_START_SIMULATORS="0", DICASE_IN_PROCESS_WORKERS="0", **more)


WORKER = [sys.executable, "-m", "app.cli", "worker", "--jobs", "2", "--timers", "1",
          "--outbox", "0"]


def caseworkers_command(instances: int, batch: int = 20) -> list[str]:
    return [sys.executable, "-m", "tests.reliability.caseworkers", str(instances), str(batch)]


@dataclass
class Crew:
    """Named processes started with one command each, killed and started again by name; each
    keeps a log file per run under ``logs``."""

    commands: dict[str, list[str]]
    environment: dict[str, str]
    logs: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    kills: Counter[str] = field(default_factory=Counter)
    starts: Counter[str] = field(default_factory=Counter)

    def start(self, name: str) -> subprocess.Popen[bytes]:
        self.starts[name] += 1
        log = (self.logs / f"{name}.{self.starts[name]}.log").open("wb")
        process = subprocess.Popen(self.commands[name], cwd=PROJECT_ROOT, env=self.environment,
                                   stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.running[name] = process
        return process

    def kill(self, name: str) -> None:
        """SIGKILL by pid: no handler runs, nothing is cleaned up, transactions are cut."""
        process = self.running.pop(name)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        self.kills[name] += 1

    def stop_all(self) -> None:
        for name in list(self.running):
            process = self.running.pop(name)
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)

    def log_text(self, prefix: str) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob(f"{prefix}*.log")))


def wait_for(predicate: Callable[[], bool], timeout: float, what: str,
             every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not reached within {timeout:.0f} s: {what}"
        time.sleep(every)


# --- the simulator's ledger against the jobs -------------------------------------------------


@dataclass
class SideEffects:
    applied: int
    received: int
    problems: list[str]


def check_side_effects(session: Session, npais_url: str) -> SideEffects:
    """Every done job's notice was applied by NPAIS under the job's key, and no case got a notice
    of a kind twice: a retried call comes back with its key and is applied once, and two jobs
    for one service task (two keys) would show as a second notice."""
    answer = requests.get(f"{npais_url}/_control/received",
                          params={"operation": "NotifyOrphanCourt"}, timeout=30)
    answer.raise_for_status()
    records = answer.json()
    counts = requests.get(f"{npais_url}/_control/applied", timeout=30).json()
    problems = [f"key {key} applied {n} times" for key, n in counts["applied"].items() if n != 1]
    by_notice: dict[tuple[str, str], list[str]] = {}
    for record in records:
        fields = record["fields"]
        by_notice.setdefault((fields["CaseReference"], fields["NoticeType"]), []).append(
            record["idempotency_key"])
    problems += [f"{case} got {notice} {len(keys)} times" for (case, notice), keys
                 in by_notice.items() if len(keys) > 1]
    done = session.execute(select(ProcessInstance.business_key, Job.element_id, Job.idempotency_key)
                           .join(ProcessInstance, ProcessInstance.id == Job.instance_id)
                           .where(Job.status == "done", Job.operation == "npais.notify_orphan_court"))
    expected = set()
    for business_key, element, key in done:
        expected.add((business_key, NOTICES[element]))
        if by_notice.get((business_key, NOTICES[element])) != [key]:
            problems.append(f"{business_key}: {element}'s key {key} is not the one NPAIS applied")
    problems += [f"{case} got {notice} without a done job" for case, notice in by_notice
                 if (case, notice) not in expected]
    return SideEffects(len(records), sum(counts["received"].values()), problems)


def verify_run(services: Services, npais_url: str, instances: int) -> dict[str, Any]:
    """What a run of ``instances`` probe instances must leave behind, whatever was killed or
    restarted meanwhile; the figures for the report."""
    with services.sessions() as session:
        consistency = check_instances(session)
        side_effects = check_side_effects(session, npais_url)
        incidents = session.scalar(select(func.count()).select_from(Incident))
        keys = session.scalar(select(func.count(func.distinct(ProcessInstance.business_key))))
        retaken = session.scalar(select(func.count()).select_from(Job).where(Job.attempts > 1))
    assert consistency.problems == [], consistency.problems[:20]
    assert side_effects.problems == [], side_effects.problems[:20]
    assert dict(consistency.instances) == {"completed": instances}
    assert keys == instances  # no instance started twice
    assert (consistency.tasks_completed, consistency.jobs_done, consistency.timers_fired) == (
        instances, 2 * instances, instances)
    assert side_effects.applied == 2 * instances
    assert incidents == 0
    return {"summary": consistency.summary(), "attempts": consistency.job_attempts,
            "retaken": retaken, "received": side_effects.received,
            "applied": side_effects.applied}
