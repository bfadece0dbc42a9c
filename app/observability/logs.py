"""Log lines: plain text for a person at a console, or one JSON object per line for a log
collector (``DICASE_LOG_FORMAT=json``), each carrying the request or the job and timer it belongs to.

The ids travel in context variables, so every logger of the product (and of the libraries it
calls) gets them without being passed anything. A JSON line holds the message the code wrote
and never the arguments of an exception: those may quote a person's data (a validation error
naming a personal code), so an error is logged by its type and the code locations it passed.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

request_id_var: ContextVar[str | None] = ContextVar("dicase_request_id", default=None)
job_id_var: ContextVar[int | None] = ContextVar("dicase_job_id", default=None)
timer_id_var: ContextVar[int | None] = ContextVar("dicase_timer_id", default=None)

# What a caller may send as X-Request-ID (a load balancer's or another system's trace id): short,
# and only characters that cannot break a log line or a header.
_WELL_FORMED_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,99}")


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is well formed, else a new one."""
    if header and _WELL_FORMED_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


@contextmanager
def job_context(job_id: int) -> Iterator[None]:
    """Lines logged while a worker runs this job name it."""
    token = job_id_var.set(job_id)
    try:
        yield
    finally:
        job_id_var.reset(token)


@contextmanager
def timer_context(timer_id: int) -> Iterator[None]:
    """Lines logged while a worker fires this timer name it."""
    token = timer_id_var.set(timer_id)
    try:
        yield
    finally:
        timer_id_var.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the request,
    job or timer id when the line was logged inside one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        job_id, timer_id = job_id_var.get(), timer_id_var.get()
        if job_id is not None:
            line["job_id"] = job_id
        if timer_id is not None:
            line["timer_id"] = timer_id
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = _error_without_arguments(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def _error_without_arguments(exc_info: tuple) -> dict[str, object]:  # type: ignore[type-arg]
    error_type, _error, tb = exc_info
    return {"type": f"{error_type.__module__}.{error_type.__qualname__}",
            "stack": [f"{frame.filename}:{frame.lineno} in {frame.name}"
                      for frame in traceback.extract_tb(tb)]}


def configure_logging(log_format: str) -> None:
    """The process's log handler on standard error, in the format the setting names."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"DICASE_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, "
                         f"not {log_format!r}")
    root = logging.getLogger()
    # Like logging.basicConfig: a host that set up logging already (a test runner) keeps its own.
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter() if log_format == "json"
                             else logging.Formatter(TEXT_FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # SpiffWorkflow logs every task state change at INFO: noise for an operator, and its
    # "data" records could carry task data, which holds personal data.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    # weasyprint reports each rendering step of every PDF at INFO.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
