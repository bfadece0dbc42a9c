"""Log lines as JSON with the request id (the caller's when well formed, else a new one, sent
back in X-Request-ID) and the job or timer a worker line belongs to; no personal data."""
from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask.testing import FlaskClient

from app import create_app
from app.cli import main
from app.config import PROJECT_ROOT, Settings
from app.demo import valid_personal_code
from app.engine.runtime import Actor
from app.observability.logs import JsonFormatter, timer_context
from app.services import Services, build_services
from tests.engine.helpers import deploy_fixture, jobs, open_tasks
from workers.jobs import run_due_jobs

PERSONAL_CODE = valid_personal_code(4242)


Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    """Reads every line logged so far in the test, as the JSON handler wrote it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def ops_services(settings: Settings) -> Iterator[Services]:
    services = build_services(dataclasses.replace(settings, secret_key="log-tests"))
    yield services
    services.db.dispose()


@pytest.fixture
def client(ops_services: Services) -> FlaskClient:
    return create_app(services=ops_services).test_client()


def test_a_request_line_carries_the_callers_request_id(client: FlaskClient,
                                                       json_lines: Lines) -> None:
    answer = client.get("/login", headers={"X-Request-ID": "lb-7f3a9c21-0001"})
    lines = json_lines()
    assert answer.headers["X-Request-ID"] == "lb-7f3a9c21-0001"
    [line] = [line for line in lines if line["logger"] == "dicase.requests"]
    assert line["request_id"] == "lb-7f3a9c21-0001"
    assert set(line) >= {"time", "level", "logger", "message", "request_id"}
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")
    assert line["message"].startswith("GET /login auth.login 200 ")


@pytest.mark.parametrize("given", [None, "short", "has spaces in it", "x" * 101,
                                   "quote\"break-12345", "ūnicode-123456", "<script>alert(1)</script>"])
def test_a_missing_or_malformed_request_id_is_replaced(client: FlaskClient,
                                                       given: str | None) -> None:
    headers = {"X-Request-ID": given} if given is not None else {}
    first = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    second = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert first != given and len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_request_lines_name_the_route_not_the_path_or_query(client: FlaskClient,
                                                            json_lines: Lines) -> None:
    client.get(f"/login?next=/cases/{PERSONAL_CODE}")
    client.get(f"/persons/{PERSONAL_CODE}")
    lines = json_lines()
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    assert len([line for line in lines if line["logger"] == "dicase.requests"]) == 2
    assert PERSONAL_CODE not in text
    assert PERSONAL_CODE.replace("-", "") not in text


def test_an_error_is_logged_by_its_type_and_stack_without_its_message(
        json_lines: Lines) -> None:
    try:
        raise ValueError(f"invalid personal code {PERSONAL_CODE}")
    except ValueError:
        logging.getLogger("dicase.test").exception("the form could not be read")
    [line] = [line for line in json_lines() if line["logger"] == "dicase.test"]
    assert line["message"] == "the form could not be read"
    assert line["error"]["type"] == "builtins.ValueError"
    assert any("test_an_error_is_logged" in frame for frame in line["error"]["stack"])
    assert PERSONAL_CODE not in json.dumps(line)


def test_worker_lines_name_their_job(ops_services: Services, npais_simulator: Any,
                                     json_lines: Lines) -> None:
    deploy_fixture(ops_services, "wait_then_call.bpmn")
    iid = ops_services.engine.start("wait_then_call", {
        "wait_for": "PT0S", "court": "RIGA", "case_number": "J-1", "divisor": 1,
        "review_due": "2030-01-31"}, business_key="J-1", actor=Actor("t"))
    ops_services.engine.complete_task(open_tasks(ops_services, iid)[0].id,
                                      Actor("x", frozenset({"testers"})), {})
    requests.post(f"{npais_simulator.url}/_control/faults", json={"mode": "fault", "count": 1},
                  timeout=5).raise_for_status()
    run_due_jobs(ops_services, "w1")
    [job] = jobs(ops_services, iid)
    lines = json_lines()
    job_lines = [line for line in lines if line.get("job_id") == job.id]
    assert job_lines, lines
    assert {line["request_id"] for line in job_lines} == {None}
    assert all("job_id" not in line for line in lines if line not in job_lines)


def test_lines_logged_while_a_timer_fires_name_it(json_lines: Lines) -> None:
    with timer_context(77):
        logging.getLogger("workers.timers").warning("timer 77 did not fire: ScriptFailed")
    logging.getLogger("workers.timers").info("after")
    first, after = [line for line in json_lines() if line["logger"] == "workers.timers"]
    assert first["timer_id"] == 77 and "timer_id" not in after


def test_the_json_format_is_the_processes_log_format() -> None:
    """In a process of its own, as `dicase` and gunicorn (app/wsgi.py) start it."""
    script = ("import logging; from app.config import Settings; "
              "from app.observability.logs import configure_logging; "
              "configure_logging(Settings().log_format); "
              "logging.getLogger('workers.jobs').info('job runner started')")
    env = {**os.environ, "DICASE_LOG_FORMAT": "json"}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    [line] = [json.loads(text) for text in done.stderr.splitlines()]
    assert (line["logger"], line["level"], line["message"], line["request_id"]) == (
        "workers.jobs", "INFO", "job runner started", None)
    plain = subprocess.run([sys.executable, "-c", script],
                           env={**os.environ, "DICASE_LOG_FORMAT": "text"}, cwd=PROJECT_ROOT,
                           capture_output=True, text=True, timeout=60, check=True)
    assert plain.stderr.strip().endswith("INFO workers.jobs: job runner started")


def test_an_unknown_log_format_is_refused_by_the_command() -> None:
    result = CliRunner().invoke(main, ["incidents"], env={"DICASE_LOG_FORMAT": "xml"})
    assert result.exit_code == 2
    assert "DICASE_LOG_FORMAT must be one of text, json" in result.output
