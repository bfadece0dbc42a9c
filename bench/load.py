"""Load benchmark: simulated caseworkers working their inboxes against the app under gunicorn,
with PostgreSQL and `dicase worker` processes, all real processes on 127.0.0.1.

    python bench/load.py                       # 200 caseworkers for 120 s, then the job phase
    python bench/load.py --users 50 --seconds 60 --ramp 10 --jobs 200
    python bench/load.py --jobs 0              # the web phase only
    python bench/load.py --seconds 0           # the job phase only

Set-up (untimed): a scratch PostgreSQL database, migrated, organisations loaded, processes
deployed; N caseworker accounts spread over the five state social care centres (VSAC), each
with a few children in P9 (out-of-family care) started through the product's service: the
first waiting for the institution to register the placement, the others for their periodic
report.

Web phase: gunicorn serves ``app.wsgi:application`` with the image's settings
(docker/gunicorn.conf.py, JSON logs, shared request metrics) and K worker processes; W ``dicase
worker`` processes run the jobs and timers as docker/compose.yaml runs them; the simulators of
the external systems run in a process of their own. Each simulated caseworker signs in (the form
with its CSRF token; the sign-ins are spread over a ramp-up), then repeats until the time is up:
the inbox, the inbox filtered to their own children, a task, the child's case file, claim,
complete with valid form data, back to the inbox. A completed periodic report hands three jobs
(NPAIS, SOPA, the receipts) to the workers, after which the child's next report appears.
Printed per page kind: count, throughput, p50/p95/p99 as the client saw them; the time inside
the app per route (from the app's own request log); the errors (any answer that is not the
expected one, or none within the timeout); the app's peak memory (the gunicorn processes' RSS
summed, from /proc) and its CPU time per request.

Job phase: with no worker running, M P1 (adult needs assessment) instances are started, each
waiting at its register check (a SOAP call to the PMLP simulator); then 1, then 2 worker
processes are started and timed until every one of those jobs has ended.

Prints figures; asserts nothing about them.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import requests
from sqlalchemy import func, select, text

from app.access.organisations import load_organisations
from app.access.scope import viewer_of
from app.assessment.service import start_assessment
from app.auth.passwords import hash_password
from app.auth.service import create_user
from app.cases.service import register_person
from app.config import Settings
from app.db import transaction
from app.db.migrate import upgrade
from app.db.models import HumanTask, Incident, Job
from app.db.scratch import reachable_server_version, scratch_database
from app.demo import valid_personal_code
from app.demo_steps import run_workers
from app.domain.calendar import today_in_latvia
from app.engine.deploy import deploy_directory
from app.engine.runtime import Actor
from app.out_of_family_care import service as placements
from app.services import Services, build_services

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "load-benchmark-password"
BIN = Path(sys.executable).parent

# Each centre with a municipality of its region, whose orphan court placed the children.
CENTRES = (("VSAC-RIGA", "RIGA"), ("VSAC-VIDZEME", "VALMIERA"), ("VSAC-KURZEME", "LIEPAJA"),
           ("VSAC-ZEMGALE", "JELGAVA"), ("VSAC-LATGALE", "DAUGAVPILS"))
GIVEN_NAMES = ("Elza", "Roberts", "Marta", "Toms", "Līga", "Jānis", "Anna", "Kārlis")
# The PMLP simulator's fixture persons (app/assessment/demo.py): the register finds them.
PMLP_PERSONS = ((20, "Mārtiņš", "Krūmiņš"), (21, "Agnese", "Siliņa"), (22, "Roberts", "Kalniņš"),
                (23, "Anna", "Kalniņa"), (24, "Artūrs", "Vītols"), (26, "Toms", "Siliņš"),
                (27, "Elza", "Ozoliņa"), (28, "Valdis", "Lapiņš"), (30, "Pēteris", "Liepiņš"))
REPORT_TEXT = "Regulāra saskarsme; bērns attīstās atbilstoši vecumam."
PAGE_KINDS = ("login form", "sign in", "inbox", "inbox filtered", "task", "case file", "claim",
              "complete")

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_TASK_LINK = re.compile(r'href="/tasks/(\d+)"')
_PERSON_LINK = re.compile(r'href="/persons/(\d+)"')


def family_name(user_number: int) -> str:
    """Every child of one caseworker carries this name, so the caseworker's filter finds them
    and nobody else's."""
    return f"Kalniņa-{user_number:04d}"


# --------------------------------------------------------------------------- set-up


def settings_for(url: str, adapters: dict[str, str]) -> Settings:
    return Settings(database_url=url, start_simulators=False, in_process_workers=False,
                    secret_key="load-benchmark-secret", **adapters)  # type: ignore[arg-type]


def prepare(services: Services, users: int, cases_per_user: int,
            threads: int) -> dict[str, int]:
    """Accounts and their children's P9 cases, made through the product's services."""
    upgrade(services.settings.database_url)
    with transaction(services.sessions) as session:
        load_organisations(session)
    outcome = deploy_directory(services.sessions, services.settings.processes_dir, "bench")
    if outcome.errors:
        raise SystemExit(f"deployment refused: {outcome.errors}")
    # Every account is made by create_user, but with one argon2 hash of the shared password:
    # hashing it once per account would add a minute of set-up. Signing in still verifies it.
    shared_hash = hash_password(PASSWORD)
    with transaction(services.sessions) as session, \
            mock.patch("app.auth.service.hash_password", lambda _password: shared_hash):
        for number in range(users):
            centre, _municipality = CENTRES[number % len(CENTRES)]
            create_user(session, username_of(number), f"Slodzes darbinieks {number}", PASSWORD,
                        roles=["caseworker"], groups=["institution"], organisation_code=centre)
    today = today_in_latvia()
    with ThreadPoolExecutor(threads) as pool:
        started = sum(pool.map(lambda number: children_of_caseworker(
            services, number, cases_per_user, today), range(users)))
    run_workers(services)
    with services.sessions() as session:
        open_tasks = session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.status == "open")) or 0
    return {"users": users, "cases": started, "open tasks": open_tasks}


def children_of_caseworker(services: Services, number: int, cases: int, today: date) -> int:
    centre, municipality = CENTRES[number % len(CENTRES)]
    actor = Actor(username_of(number), frozenset({"institution"}))
    for case in range(cases):
        seed = 7_000_000 + number * 100 + case
        # Born about two years ago, placed ten days ago: the first report is due in about
        # three months, so no reminder or deadline fires during the run.
        born = today - timedelta(days=700 + case)
        with transaction(services.sessions) as session:
            staff = viewer_of(session, "load-setup", ["caseworker"], ["institution"], centre)
            child = register_person(
                session, staff, given_name=GIVEN_NAMES[(number + case) % len(GIVEN_NAMES)],
                family_name=family_name(number), personal_code=valid_personal_code(seed),
                birth_date=born, municipality_code=municipality, institution_code=centre)
            child_id = int(child.id)
        # The first child waits for the institution to register the placement (as after an
        # orphan court's message), the others for their periodic report.
        source = "npais" if case == 0 else "institution"
        placements.start_placement(
            services, person_id=child_id, placement_date=today - timedelta(days=10),
            institution_code=centre, orphan_court_code=f"{municipality}-BT",
            actor=actor if source == "institution" else Actor("npais"), source=source,
            decision_reference=f"BT-LOAD-{seed}")
    return cases


def username_of(number: int) -> str:
    return f"load{number:04d}"


# --------------------------------------------------------------------------- processes


class Processes:
    """The processes the benchmark starts; stopped (SIGTERM, then SIGKILL) on the way out."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.running.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self) -> None:
        for proc in list(self.running):
            self.stop(proc)


@contextmanager
def simulators(log_dir: Path) -> Iterator[dict[str, str]]:
    """The external systems' simulators in a process of their own (not in the client's, whose
    threads are busy); yields the adapter settings that point at them."""
    code = ("import json, sys\n"
            "from adapters.simulators import adapter_settings, start_all\n"
            "running = start_all({})\n"
            "print(json.dumps(adapter_settings(running)), flush=True)\n"
            "sys.stdin.read()\n")
    with (log_dir / "simulators.log").open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=log)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the simulators did not start")
        yield json.loads(line)
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def product_env(url: str, adapters: dict[str, str], log_dir: Path) -> dict[str, str]:
    """The environment of the app and the workers: the production settings of the Dockerfile
    (JSON logs, request metrics shared by the gunicorn workers), except secure cookies (plain
    HTTP on 127.0.0.1 here)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DICASE_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"DICASE_DATABASE_URL": url, "DICASE_SECRET_KEY": "load-benchmark-secret",
                "DICASE_START_SIMULATORS": "0", "DICASE_IN_PROCESS_WORKERS": "0",
                "DICASE_SECURE_COOKIES": "0", "DICASE_LOG_FORMAT": "json",
                "PROMETHEUS_MULTIPROC_DIR": str(log_dir / "metrics")})
    env.update({f"DICASE_{key.upper()}": value for key, value in adapters.items()})
    return env


def worker_command(job_threads: int) -> list[str]:
    return [str(BIN / "dicase"), "worker", "--jobs", str(job_threads), "--timers", "1"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(base: str, proc: subprocess.Popen[bytes], budget: float = 90.0) -> float:
    began = time.perf_counter()
    while time.perf_counter() - began < budget:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            if requests.get(f"{base}/login", timeout=30).status_code == 200:
                return time.perf_counter() - began
        except requests.RequestException:
            pass  # not listening yet, or its first request is still being served
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


# --------------------------------------------------------------------------- memory


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # utime and stime are the 14th and 15th fields; after the command's ")" they are 12th, 13th
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                found.extend(int(child) for child in handle.read().split())
    except FileNotFoundError:
        pass
    return found


class MemorySampler(threading.Thread):
    """Every half second: the gunicorn master's and its workers' RSS summed, and the worker
    processes' RSS summed; keeps the peaks, and the CPU time each process used meanwhile."""

    def __init__(self, gunicorn_pid: int, worker_pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.gunicorn_pid = gunicorn_pid
        self.worker_pids = worker_pids
        self.stop = threading.Event()
        self.peak_app = self.peak_workers = 0
        self.peak_app_processes = 0
        self.samples: list[int] = []
        self.cpu_first: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}

    def cpu_used(self, pids: set[int]) -> float:
        return sum(self.cpu_last[pid] - self.cpu_first[pid] for pid in pids & set(self.cpu_last))

    def app_pids(self) -> set[int]:
        return set(self.cpu_last) - set(self.worker_pids)

    def run(self) -> None:
        while not self.stop.is_set():
            pids = [self.gunicorn_pid, *children_of(self.gunicorn_pid)]
            for pid in pids + self.worker_pids:
                used = cpu_seconds(pid)
                if used:
                    self.cpu_first.setdefault(pid, used)
                    self.cpu_last[pid] = used
            app = sum(rss_bytes(pid) for pid in pids)
            workers = sum(rss_bytes(pid) for pid in self.worker_pids)
            self.samples.append(app)
            if app > self.peak_app:
                self.peak_app, self.peak_app_processes = app, len(pids)
            self.peak_workers = max(self.peak_workers, workers)
            self.stop.wait(0.5)


# --------------------------------------------------------------------------- the caseworkers


@dataclass
class Tally:
    """What every simulated caseworker saw; one lock, held only to append."""

    began: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    # per page kind: (when the request was sent, seconds from the run's start; its latency)
    requests: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {kind: [] for kind in PAGE_KINDS})
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    timeouts: int = 0
    cycles: int = 0
    idle: int = 0

    def record(self, kind: str, sent: float, seconds: float) -> None:
        with self.lock:
            self.requests[kind].append((sent - self.began, seconds))

    def latencies(self, kind: str, since: float = 0.0) -> list[float]:
        return [seconds for sent, seconds in self.requests[kind] if sent >= since]

    def error(self, what: str, timed_out: bool = False) -> None:
        with self.lock:
            self.error_count += 1
            self.timeouts += timed_out
            if len(self.errors) < 10:
                self.errors.append(what)


class Unexpected(Exception):
    """An answer that is not the one a working app gives, or none in time; an error."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class TimeUp(Exception):
    """The run is over: no request is sent after its end."""


class Caseworker:
    def __init__(self, base: str, number: int, tally: Tally, deadline: float, think: float,
                 timeout: float, delay: float) -> None:
        self.base = base
        self.number = number
        self.delay = delay
        self.tally = tally
        self.deadline = deadline
        self.think = think
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers.update({"User-Agent": "dicase-load-bench"})
        self.previous = base + "/login"

    def request(self, kind: str, method: str, path: str, expect: tuple[int, ...],
                data: dict[str, Any] | None = None) -> requests.Response:
        if time.perf_counter() >= self.deadline:
            raise TimeUp
        # A browser names the page it comes from, and its origin on a form it posts.
        headers = {"Referer": self.previous}
        if method == "POST":
            headers["Origin"] = self.base
        began = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, data=data,
                                         allow_redirects=False, timeout=self.timeout,
                                         headers=headers)
        except requests.RequestException as err:
            raise Unexpected(f"{kind} {method} {path}: {type(err).__name__}",
                             timed_out=isinstance(err, requests.Timeout)) from err
        self.tally.record(kind, began, time.perf_counter() - began)
        if method == "GET":
            self.previous = self.base + path
        if self.think:
            time.sleep(self.think)  # reading the page, or the next one after a form was sent
        if response.status_code not in expect:
            snippet = re.sub(r"\s+", " ", response.text[:200])
            raise Unexpected(f"{kind} {method} {path}: HTTP {response.status_code} {snippet}")
        return response

    def run(self) -> None:
        time.sleep(self.delay)
        try:
            self.sign_in()
        except TimeUp:
            return
        except Exception as err:  # noqa: BLE001 - every failure is an error of the run
            self.tally.error(_describe(err), isinstance(err, Unexpected) and err.timed_out)
            return
        while time.perf_counter() < self.deadline:
            try:
                self.one_task()
            except TimeUp:
                return
            except Exception as err:  # noqa: BLE001 - every failure is an error of the run
                self.tally.error(_describe(err), isinstance(err, Unexpected) and err.timed_out)

    def sign_in(self) -> None:
        page = self.request("login form", "GET", "/login", (200,))
        token = csrf(page, "login form")
        answer = self.request("sign in", "POST", "/login", (302,), {
            "csrf_token": token, "username": username_of(self.number), "password": PASSWORD})
        if answer.headers.get("Location", "").startswith("/login"):
            raise Unexpected("sign in: sent back to the sign-in page")

    def one_task(self) -> None:
        """Inbox, filter to my children, a task, the child's file, claim, complete, inbox."""
        self.request("inbox", "GET", "/inbox", (200,))
        query = urlencode({"tab": "group", "process": placements.PROCESS_KEY,
                           "person": family_name(self.number)})
        listed = self.request("inbox filtered", "GET", f"/inbox?{query}", (200,))
        task_ids = _TASK_LINK.findall(listed.text)
        if not task_ids:
            # Every child's next report is still with the workers (its deliveries are jobs).
            with self.tally.lock:
                self.tally.idle += 1
            time.sleep(0.2)
            return
        task_id = task_ids[self.number % len(task_ids)]
        task = self.request("task", "GET", f"/tasks/{task_id}", (200,))
        person = _PERSON_LINK.search(task.text)
        if person is None:
            raise Unexpected(f"task {task_id}: no link to the person's case file")
        token = csrf(task, "task")
        self.request("case file", "GET", f"/persons/{person.group(1)}", (200,))
        self.request("claim", "POST", f"/tasks/{task_id}/claim", (302,),
                     {"csrf_token": token, "back": "task"})
        form = placement_form() if 'name="institution_name"' in task.text else report_form()
        done = self.request("complete", "POST", f"/tasks/{task_id}", (302,),
                            {"csrf_token": token, **form})
        if done.headers.get("Location") != "/inbox":
            raise Unexpected(f"complete {task_id}: redirected to {done.headers.get('Location')}")
        with self.tally.lock:
            self.tally.cycles += 1


def _describe(err: Exception) -> str:
    return str(err) if isinstance(err, Unexpected) else f"client: {type(err).__name__}: {err}"


def csrf(response: requests.Response, kind: str) -> str:
    match = _CSRF.search(response.text)
    if match is None:
        raise Unexpected(f"{kind}: the page has no CSRF field")
    return match.group(1)


def placement_form() -> dict[str, str]:
    today = today_in_latvia()
    return {"placement_date": (today - timedelta(days=10)).isoformat(),
            "child_birth_date": (today - timedelta(days=700)).isoformat(),
            "institution_name": "VSAC filiāle", "orphan_court_code": "RIGA", "notes": ""}


def report_form() -> dict[str, str]:
    return {"report_date": today_in_latvia().isoformat(), "contact_with_parents": REPORT_TEXT,
            "contact_with_siblings": REPORT_TEXT, "contact_with_others": REPORT_TEXT,
            "cooperation": REPORT_TEXT, "physical_development": REPORT_TEXT,
            "psychosocial_development": REPORT_TEXT}


def run_caseworkers(base: str, users: int, seconds: float, think: float, timeout: float,
                    ramp: float) -> tuple[Tally, float]:
    """Caseworker n signs in ``ramp * n / users`` seconds after the start (people arrive at
    work over a while, not all in one second), then works until ``seconds`` have passed."""
    began = time.perf_counter()
    tally = Tally(began)
    deadline = began + seconds
    threads = [threading.Thread(
        target=Caseworker(base, n, tally, deadline, think, timeout, ramp * n / users).run,
        name=f"caseworker-{n}", daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 2 * timeout)
    return tally, time.perf_counter() - began


# --------------------------------------------------------------------------- job phase


def enqueue_register_checks(services: Services, count: int, person_ids: list[int]) -> list[int]:
    """``count`` P1 instances, each waiting for its register check (a PMLP job); their job ids."""
    before = _max_job_id(services)
    with services.sessions() as session:
        staff = viewer_of(session, "load-setup", ["caseworker"], ["institution"], "VSAC-RIGA")
    applied = today_in_latvia() - timedelta(days=1)
    for n in range(count):
        with services.sessions() as session:
            start_assessment(services.engine, session, staff, person_ids[n % len(person_ids)],
                             applied, applicant="load-setup")
    with services.sessions() as session:
        return list(session.scalars(select(Job.id).where(Job.id > before).order_by(Job.id)))


def _max_job_id(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.max(Job.id))) or 0)


def register_pmlp_persons(services: Services) -> list[int]:
    ids = []
    with transaction(services.sessions) as session:
        staff = viewer_of(session, "load-setup", ["caseworker"], ["institution"], "VSAC-RIGA")
        for seed, given, family in PMLP_PERSONS:
            person = register_person(session, staff, given_name=given, family_name=family,
                                     personal_code=valid_personal_code(seed),
                                     municipality_code="RIGA", institution_code="VSAC-RIGA")
            ids.append(int(person.id))
    return ids


@dataclass
class JobRun:
    processes: int
    jobs: int
    done: int
    incidents: int
    wall: float
    first_done: float
    busy: float

    @property
    def per_second(self) -> float:
        return self.done / self.wall if self.wall else 0.0

    @property
    def steady_per_second(self) -> float:
        return (self.done - 1) / self.busy if self.busy > 0 else 0.0


def time_workers(services: Services, procs: Processes, count: int, job_threads: int,
                 job_ids: list[int], budget: float) -> JobRun:
    """Start ``count`` worker processes and wait until every job in ``job_ids`` has ended."""
    low, high = job_ids[0], job_ids[-1]
    query = text("SELECT status, count(*) FROM job WHERE id BETWEEN :low AND :high "
                 "GROUP BY status")
    began = time.perf_counter()
    workers = [procs.start(f"job-worker-{count}-{i}", worker_command(job_threads))
               for i in range(count)]
    first_done = None
    wall = budget
    counts: dict[str, int] = {}
    try:
        while time.perf_counter() - began < budget:
            with services.db.connect() as conn:
                counts = dict(conn.execute(query, {"low": low, "high": high}).all())
            finished = counts.get("done", 0) + counts.get("incident", 0)
            if first_done is None and finished:
                first_done = time.perf_counter() - began
            if finished >= len(job_ids):
                wall = time.perf_counter() - began
                break
            time.sleep(0.05)
    finally:
        for worker in workers:
            procs.stop(worker)
    first = first_done if first_done is not None else wall
    with services.sessions() as session:
        incidents = session.scalar(select(func.count()).select_from(Incident).where(
            Incident.job_id.between(low, high))) or 0
    return JobRun(count, len(job_ids), counts.get("done", 0), incidents, wall, first,
                  wall - first)


# --------------------------------------------------------------------------- report


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def print_pages(tally: Tally, seconds: float, since: float = 0.0) -> None:
    """Per page kind, the requests sent from ``since`` seconds after the start on; requests per
    second of the time they were sent in (none is sent after ``seconds``)."""
    span = seconds - since
    print(f"{'page':<16} {'count':>7} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
          f" {'max ms':>8}")
    every: list[float] = []
    for kind in PAGE_KINDS:
        values = tally.latencies(kind, since)
        every.extend(values)
        print(_row(kind, values, span))
    print(_row("all requests", every, span))


def _row(label: str, values: list[float], span: float) -> str:
    if not values:
        return f"{label:<16} {0:>7}"
    return (f"{label:<16} {len(values):>7} {len(values) / span:>7.1f} "
            f"{percentile(values, .50) * 1000:>8.0f} {percentile(values, .95) * 1000:>8.0f} "
            f"{percentile(values, .99) * 1000:>8.0f} {max(values) * 1000:>8.0f}")


_REQUEST_LINE = re.compile(r"^(GET|POST) \S+ (\S+) (\d{3}) ([\d.]+) ms$")


def app_request_times(log_file: Path) -> dict[str, list[float]]:
    """Seconds each request spent inside the app, by method and endpoint, read from the app's own
    request log (JSON lines of ``dicase.requests``): the time from the first to the last of
    Flask's hooks, without the wait in gunicorn's queue."""
    found: dict[str, list[float]] = {}
    for line in log_file.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") != "dicase.requests":
            continue
        match = _REQUEST_LINE.match(str(entry.get("message", "")))
        if match:
            method, endpoint, _status, ms = match.groups()
            found.setdefault(f"{method} {endpoint}", []).append(float(ms) / 1000)
    return found


def print_app_times(times: dict[str, list[float]]) -> None:
    print(f"{'route (in the app)':<22} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
          f" {'max ms':>8}")
    for route in sorted(times, key=lambda r: -len(times[r])):
        values = times[route]
        print(f"{route:<22} {len(values):>7} {percentile(values, .50) * 1000:>8.0f} "
              f"{percentile(values, .95) * 1000:>8.0f} {percentile(values, .99) * 1000:>8.0f} "
              f"{max(values) * 1000:>8.0f}")


def mib(value: int) -> str:
    return f"{value / 2**20:,.0f} MiB"


def count_rows(services: Services, sql: str) -> int:
    with services.db.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="simulated caseworkers (200)")
    parser.add_argument("--seconds", type=float, default=120.0,
                        help="length of the web phase; 0 skips it (120)")
    parser.add_argument("--ramp", type=float, default=45.0,
                        help="seconds over which the caseworkers sign in, one after another (45)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds a caseworker waits after each page (0)")
    parser.add_argument("--cases-per-user", type=int, default=3, help="children per caseworker")
    parser.add_argument("--setup-threads", type=int, default=4,
                        help="threads making the cases during the set-up (4)")
    parser.add_argument("--app-workers", type=int, default=4, help="gunicorn --workers (4)")
    parser.add_argument("--app-threads", type=int, default=4, help="gunicorn --threads (4)")
    parser.add_argument("--workers", type=int, default=2,
                        help="`dicase worker` processes during the web phase (2)")
    parser.add_argument("--job-threads", type=int, default=2,
                        help="`dicase worker --jobs`, as docker/compose.yaml runs it (2)")
    parser.add_argument("--jobs", type=int, default=500,
                        help="jobs per run of the job phase; 0 skips it (500)")
    parser.add_argument("--job-workers", default="1,2",
                        help="worker process counts of the job phase (1,2)")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds a caseworker waits for an answer; longer is an error (60)")
    parser.add_argument("--pg-server", default=PG_SERVER)
    args = parser.parse_args()

    version = reachable_server_version(args.pg_server)
    if version is None:
        raise SystemExit("bench/load.py needs PostgreSQL")
    print(f"PostgreSQL {version}; {os.cpu_count()} cores; load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    log_dir = Path(tempfile.mkdtemp(prefix="dicase-load-"))
    with scratch_database(args.pg_server, "dicase_bench_load") as url, \
            simulators(log_dir) as adapters:
        services = build_services(settings_for(url, adapters))
        procs = Processes(log_dir, product_env(url, adapters, log_dir))
        try:
            run(args, services, procs)
        finally:
            procs.stop_all()
            services.db.dispose()
    print(f"\nLogs of the app and workers: {log_dir}")


def run(args: argparse.Namespace, services: Services, procs: Processes) -> None:
    began = time.perf_counter()
    made = prepare(services, args.users, args.cases_per_user, args.setup_threads)
    pmlp_persons = register_pmlp_persons(services)
    print(f"set-up: {made['users']} caseworkers in {len(CENTRES)} centres, {made['cases']} P9 "
          f"cases, {made['open tasks']} open tasks ({time.perf_counter() - began:.0f} s)",
          flush=True)

    if args.seconds > 0:
        web_phase(args, services, procs)
    if args.jobs > 0:
        job_phase(args, services, procs, pmlp_persons)


COMPLETED_BY_CASEWORKERS = ("SELECT count(*) FROM human_task WHERE status = 'completed' "
                            "AND completed_by LIKE 'load%'")


def web_phase(args: argparse.Namespace, services: Services, procs: Processes) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workers = [procs.start(f"worker-{i}", worker_command(args.job_threads))
               for i in range(args.workers)]
    # The image's command (docker/Dockerfile), on a free loopback port and with the sizes asked.
    gunicorn = procs.start("gunicorn", [
        str(BIN / "gunicorn"), "--config", "docker/gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.app_workers),
        "--threads", str(args.app_threads), "app.wsgi:application"])
    ready = wait_until_serving(base, gunicorn)
    print(f"gunicorn: {args.app_workers} workers x {args.app_threads} threads, serving after "
          f"{ready:.1f} s; {args.workers} worker processes "
          f"({' '.join(worker_command(args.job_threads)[1:])})", flush=True)
    jobs_before = count_rows(services, "SELECT count(*) FROM job WHERE status = 'done'")
    completed_before = count_rows(services, COMPLETED_BY_CASEWORKERS)
    sampler = MemorySampler(gunicorn.pid, [w.pid for w in workers])
    sampler.start()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    load_before = os.getloadavg()[0]
    tally, wall = run_caseworkers(base, args.users, args.seconds, args.think, args.timeout,
                                  args.ramp)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    load_after = os.getloadavg()[0]
    sampler.stop.set()
    sampler.join()
    procs.stop(gunicorn)
    # Let the workers finish what the last completions handed them before counting.
    settle_until = time.perf_counter() + 60
    while time.perf_counter() < settle_until and count_rows(
            services, "SELECT count(*) FROM job WHERE status IN ('ready', 'running')"):
        time.sleep(0.5)
    for worker in workers:
        procs.stop(worker)

    print(f"\n== Web: {args.users} caseworkers for {args.seconds:g} s (the last answer came "
          f"after {wall:.0f} s), think time {args.think:g} s, sign-ins spread over the first "
          f"{args.ramp:g} s; load average {load_before:.1f} -> {load_after:.1f}\n\nthe whole run:")
    print_pages(tally, args.seconds)
    if 0 < args.ramp < args.seconds:
        print(f"\nafter the ramp-up (requests sent from {args.ramp:g} s on):")
        print_pages(tally, args.seconds, since=args.ramp)
    completed = count_rows(services, COMPLETED_BY_CASEWORKERS) - completed_before
    jobs_done = count_rows(services, "SELECT count(*) FROM job WHERE status = 'done'") - jobs_before
    print(f"\ntasks completed: {tally.cycles} by the clients, {completed} in the database; "
          f"{tally.idle} inbox looks found nothing to do (the next report was with the workers)")
    left = count_rows(services, "SELECT count(*) FROM job WHERE status IN ('ready', 'running')")
    incidents = count_rows(services, "SELECT count(*) FROM incident")
    print(f"jobs done by the workers during the run: {jobs_done}; left undone: {left}; "
          f"incidents: {incidents}")
    print("\ntime inside the app (its request log; the rest of a page's time above is the wait "
          "in gunicorn's queue and the network):")
    print_app_times(app_request_times(procs.log_dir / "gunicorn.log"))
    requests_sent = sum(len(tally.requests[kind]) for kind in PAGE_KINDS)
    app_cpu = sampler.cpu_used(sampler.app_pids())
    workers_cpu = sampler.cpu_used({w.pid for w in workers})
    if requests_sent:
        print(f"\nCPU used by the app: {app_cpu:.0f} s ({app_cpu / requests_sent * 1000:.0f} ms "
              f"per request, {app_cpu / wall:.2f} cores); by the worker processes: "
              f"{workers_cpu:.0f} s ({workers_cpu / wall:.2f} cores)")
    print(f"errors: {tally.error_count} ({tally.timeouts} of them no answer within "
          f"{args.timeout:g} s)")
    for line in tally.errors[:5]:
        print(f"  {line}")
    if sampler.samples:
        print(f"app peak memory: {mib(sampler.peak_app)} (gunicorn master + {args.app_workers} "
              f"workers, RSS summed; {sampler.peak_app_processes} processes at the peak); "
              f"median {mib(int(statistics.median(sampler.samples)))}")
    print(f"worker processes' peak memory: {mib(sampler.peak_workers)} ({args.workers} summed)")
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime
                                                               - cpu_before.ru_stime)
    print(f"the client's own CPU: {client_cpu:.0f} s over {wall:.0f} s "
          f"({client_cpu / wall:.2f} of the {os.cpu_count()} cores)", flush=True)


def job_phase(args: argparse.Namespace, services: Services, procs: Processes,
              person_ids: list[int]) -> None:
    counts = [int(c) for c in args.job_workers.split(",") if c.strip()]
    runs: list[JobRun] = []
    for count in counts:
        began = time.perf_counter()
        job_ids = enqueue_register_checks(services, args.jobs, person_ids)
        print(f"\njob phase: {len(job_ids)} register-check jobs enqueued "
              f"({time.perf_counter() - began:.0f} s); starting {count} worker process(es)",
              flush=True)
        runs.append(time_workers(services, procs, count, args.job_threads, job_ids,
                                 budget=600))
    print(f"\n== Jobs: P1 register checks (PMLP simulator), {args.jobs} per run")
    print(f"{'processes':>9} {'jobs':>6} {'done':>6} {'incid.':>6} {'all done s':>10} "
          f"{'jobs/s':>7} {'first s':>8} {'steady jobs/s':>13}")
    for r in runs:
        print(f"{r.processes:>9} {r.jobs:>6} {r.done:>6} {r.incidents:>6} {r.wall:>10.1f} "
              f"{r.per_second:>7.1f} {r.first_done:>8.1f} {r.steady_per_second:>13.1f}")
    first, last = runs[0], runs[-1]
    if len(runs) >= 2 and first.per_second and first.steady_per_second:
        print(f"{last.processes} processes / {first.processes}: "
              f"{last.per_second / first.per_second:.2f}x (all done), "
              f"{last.steady_per_second / first.steady_per_second:.2f}x (steady)")


if __name__ == "__main__":
    main()
