"""Once a month the adoption statistics of the month before go out, pseudonymised. Starts no
process; without a configured pseudonym key nothing is exported (and the log says so)."""
from __future__ import annotations

import logging
from typing import Any

from app.pseudonyms import PseudonymKeyError

from .statistics import export_month

log = logging.getLogger(__name__)


def start_month(services: Any, period: str) -> list[int]:
    try:
        export_month(services, period)
    except PseudonymKeyError as err:
        log.warning("adoption statistics for %s not exported: %s", period, err)
    return []
