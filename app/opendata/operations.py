"""The regeneration process's service tasks (processes/opendata_regeneration.bpmn), run by the job
runner: load the statistics store, prepare the drafts, publish or discard them. A refusal (no
pseudonym key, a broken extract) is an AdapterError that is not retried: the job becomes an
incident an operator reads and resolves."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from adapters.registry import AdapterError, CallContext, operation
from app.db import transaction
from app.db.models import Job, OpenDataRelease, utcnow
from app.domain.open_data_schedule import regeneration_day
from app.internal_operations import job_services
from app.pseudonyms import PseudonymKeyError, configured_key
from app.services import Services

from . import service

log = logging.getLogger(__name__)


@contextmanager
def _lease_kept(services: Services, call: CallContext) -> Iterator[None]:
    """Keep renewing the job's lease while a long step runs: loading a national extract or
    preparing nine data sets takes longer than a lease, and another worker must not take the
    job and run it a second time meanwhile."""
    lease = services.settings.lease_seconds
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(max(1.0, lease / 3)):
            try:
                with transaction(services.sessions) as session:
                    session.execute(update(Job).where(
                        Job.idempotency_key == call.idempotency_key, Job.status == "running")
                        .values(locked_until=utcnow() + timedelta(seconds=lease)))
            except OperationalError:
                # SQLite is busy with the load's own write: nobody else can claim meanwhile.
                log.info("opendata: the job's lease could not be renewed this time")

    thread = threading.Thread(target=renew, name="opendata-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _run_day(name: str, params: dict[str, Any]) -> Any:
    try:
        return regeneration_day(datetime.fromisoformat(str(params.get("run_at") or "")))
    except ValueError:
        raise AdapterError(f"{name}: run_at {params.get('run_at')!r} is not a moment",
                           retryable=False) from None


def _release_ids(name: str, params: dict[str, Any]) -> list[int]:
    ids = params.get("release_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise AdapterError(f"{name}: release_ids must be a list of release ids", retryable=False)
    return ids


@operation("opendata.extract")
def extract(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Reload the register extracts that changed, then the product's own requests."""
    from .extract import extract_cases, extract_directory
    from .sources import ExtractError

    name = "opendata.extract"
    services = job_services(name, call)
    settings = services.settings
    try:
        key = configured_key(settings.pseudonym_key_file, settings.pseudonym_key,
                         settings.pseudonym_demo_key_file)
    except PseudonymKeyError as err:
        raise AdapterError(f"{name}: {err}", retryable=False) from None
    with _lease_kept(services, call):
        try:
            loads = extract_directory(services.sessions, key, Path(settings.opendata_extracts_dir),
                                      actor=service.SYSTEM_ACTOR)
            loads.append(extract_cases(services.sessions, key, actor=service.SYSTEM_ACTOR))
        except ExtractError as err:
            raise AdapterError(f"{name}: {err}", retryable=False) from None
    # Counts only: the task data is shown in the history, and a row problem is not its business.
    return {"loads": [{"source": r.source, "rows": r.rows, "skipped": r.skipped,
                       "bad_rows": r.bad_rows} for r in loads],
            "reloaded": sum(not r.skipped for r in loads)}


@operation("opendata.prepare")
def prepare(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Each data set's latest complete period on the run's day, as drafts for the review."""
    from . import releases

    name = "opendata.prepare"
    services = job_services(name, call)
    day = _run_day(name, params)
    assert call.instance_id is not None  # job_services refuses a call without one
    with services.sessions() as session:
        leftover = [r.id for r in service.drafts_of(session, call.instance_id)]
    if leftover:
        # An earlier attempt of this step stopped half-way: its drafts make way for a whole set.
        releases.discard(services.sessions, leftover, actor=service.SYSTEM_ACTOR,
                         reason="Sagatavošana atkārtota / preparation repeated")
    with _lease_kept(services, call):
        ids = releases.prepare_due(services.sessions, day, actor=service.SYSTEM_ACTOR,
                                   instance_id=call.instance_id)
    return {"release_ids": list(ids), "run_on": day.isoformat()}


@operation("opendata.publish")
def publish(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """Publish the approved drafts under the statistician's name; then, if the national portal
    is configured, upload the data sets' metadata and resources there."""
    from . import releases

    name = "opendata.publish"
    services = job_services(name, call)
    ids = _release_ids(name, params)
    assert call.instance_id is not None
    with services.sessions() as session:
        who = service.reviewer(session, call.instance_id)
        still_draft = [r.id for r in service.drafts_of(session, call.instance_id) if r.id in ids]
    # A repeated attempt (the portal was down) does not publish twice.
    if still_draft:
        releases.publish(services.sessions, still_draft, actor=who)
    portal = _upload_to_portal(name, services, ids)
    return {"published": ids, "portal": portal}


def _upload_to_portal(name: str, services: Services, ids: list[int]) -> Any:
    """The data sets of the published releases, each with all its published versions, to the
    national portal; "off" when none is configured."""
    from . import ckan, releases
    from .definitions import DATASETS

    if not services.settings.ckan_url:
        return "off"
    with services.sessions() as session:
        codes = sorted(set(session.scalars(select(OpenDataRelease.dataset).where(
            OpenDataRelease.id.in_(ids)))), key=list(DATASETS).index)
        chosen = [(DATASETS[code], releases.history(session, code)) for code in codes]
    try:
        return ckan.publish(services.settings, chosen)
    except ckan.CkanError as err:
        # Published here already; a retry uploads again (the portal may be down for a while).
        raise AdapterError(f"{name}: {err}", retryable=True, system="ckan") from None


@operation("opendata.discard")
def discard(params: dict[str, Any], call: CallContext) -> dict[str, Any]:
    """The statistician returned the drafts: discard them with the reason given."""
    from . import releases

    name = "opendata.discard"
    services = job_services(name, call)
    ids = _release_ids(name, params)
    reason = str(params.get("reason") or "").strip()
    if not reason:
        raise AdapterError(f"{name}: a returned release needs the reason", retryable=False)
    assert call.instance_id is not None
    with services.sessions() as session:
        who = service.reviewer(session, call.instance_id)
        still_draft = [r.id for r in service.drafts_of(session, call.instance_id) if r.id in ids]
    if still_draft:
        releases.discard(services.sessions, still_draft, actor=who, reason=reason)
    return {"discarded": ids}
