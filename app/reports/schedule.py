"""The monthly report pack is one long-lived process, not one per month: the calendar only makes
sure it is running (it waits on its own timer for the 3rd of each month)."""
from __future__ import annotations

import logging

from app.engine.errors import UnknownProcess
from app.services import Services

from .pack import PROCESS_KEY, ensure_running

log = logging.getLogger(__name__)


def start_month(services: Services, period: str) -> list[int]:
    try:
        return ensure_running(services.engine, services.sessions)
    except UnknownProcess:
        # Not deployed yet (`dicase deploy`): the next calendar tick tries again.
        log.warning("%s is not deployed; no report packs are made", PROCESS_KEY)
        return []
