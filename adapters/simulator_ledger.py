"""A simulator's memory: which idempotency keys were applied, and what they carried.

Shared by the simulators of every external system. A lookup (PMLP, VDEĀVK) is "applied" as one
entry in the register's query log, so a retried lookup is logged once, like a retried notice.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class IdempotencyConflict(Exception):
    """A key that was applied before came back with different content."""


@dataclass(frozen=True)
class Applied:
    key: str
    operation: str
    receipt_id: str
    received_at: datetime
    fields: Mapping[str, Any]


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Ledger:
    """Applies each idempotency key once. Thread-safe: the simulator serves requests in threads,
    and a client retrying after a timeout races its own first attempt."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._applied: dict[str, Applied] = {}
        self._times_applied: Counter[str] = Counter()
        self._times_received: Counter[str] = Counter()
        self._sequence = 0

    def apply(
        self, key: str, operation: str, fields: Mapping[str, Any], id_prefix: str
    ) -> tuple[Applied, bool]:
        """Record the request under ``key``; returns (the record, whether it was a duplicate)."""
        with self._lock:
            self._times_received[key] += 1
            earlier = self._applied.get(key)
            if earlier is not None:
                if earlier.operation != operation or earlier.fields != fields:
                    raise IdempotencyConflict(
                        "This idempotency key was already used for a different request"
                    )
                return earlier, True
            self._sequence += 1
            record = Applied(
                key=key,
                operation=operation,
                receipt_id=f"{id_prefix}-{self._sequence:08d}",
                received_at=self._clock(),
                fields=dict(fields),
            )
            self._applied[key] = record
            self._times_applied[key] += 1
            return record, False

    def counts(self) -> dict[str, dict[str, int]]:
        """How often each key was applied (never more than once) and received (any number)."""
        with self._lock:
            return {
                "applied": dict(self._times_applied),
                "received": dict(self._times_received),
            }

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "idempotency_key": r.key,
                    "operation": r.operation,
                    "id": r.receipt_id,
                    "received_at": r.received_at.isoformat(),
                    "fields": dict(r.fields),
                }
                for r in self._applied.values()
            ]

    def reset(self) -> None:
        with self._lock:
            self._applied.clear()
            self._times_applied.clear()
            self._times_received.clear()
            self._sequence = 0
