"""The report pack process's service task (processes/report_pack.bpmn), run by the job runner:
make the month's packs and queue their e-mails. A run_at that is not a moment is refused (an
incident); a failure half-way is retried, and goes on where it stopped."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.registry import AdapterError, CallContext, operation
from app.internal_operations import job_services

from . import pack
from .pack_schedule import aware, next_pack_at, pack_month

NAME = "reports.pack"


@operation(NAME)
def make_month_packs(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Params: ``run_at`` (the scheduled moment, ISO). Returns the counts and ``next_run_at``,
    the next 3rd, 07:00 Rīga time, after both the run and now (a late run is not repeated)."""
    services = job_services(NAME, call)
    try:
        run_at = aware(str(params.get("run_at") or ""))
    except ValueError:
        raise AdapterError(f"{NAME}: run_at {params.get('run_at')!r} is not a moment",
                           retryable=False) from None
    assert call.instance_id is not None  # job_services refuses a call without one
    month = pack_month(run_at)
    settings = services.settings
    done = pack.make_packs(services.sessions, call.instance_id, month,
                           public_url=settings.public_url,
                           max_attempts=settings.outbox_max_attempts)
    following = next_pack_at(max(run_at, datetime.now(UTC)))
    return {**done, "next_run_at": following.isoformat()}
