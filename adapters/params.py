"""Reading and checking the parameters a BPMN service task passes to an adapter operation.

Parameters are plain JSON values. They are checked before any network call, so a modelling
mistake fails at once with a clear, non-retryable message instead of as a SOAP fault. Messages
name the parameter and the rule, never the value (values may be personal data).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from adapters.registry import AdapterError

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A Latvian personal code (DDMMYY-NNNNN, also the newer 32xxxx-xxxxx form), hyphen optional.
PERSONAL_CODE_IN_TEXT = re.compile(r"(?<!\d)\d{6}-?\d{5}(?!\d)")
_PERSONAL_CODE = re.compile(r"\d{6}-?\d{5}")
# Organisation and municipality codes as in data/territories.csv, e.g. RIGA, JELGAVA-N.
_ORGANISATION_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,31}")


class Params:
    """One operation's parameters; every failure is a non-retryable AdapterError."""

    def __init__(
        self, op: str, params: Any, allowed: frozenset[str], *, system: str
    ) -> None:
        self.op = op
        self.system = system
        if not isinstance(params, Mapping):
            raise self.error("parameters must be a JSON object")
        unknown = sorted(set(params) - allowed)
        if unknown:
            # Usually a typo in the process model; ignoring it would silently drop data.
            raise self.error(f"unknown parameter(s): {', '.join(unknown)}")
        self.params = params

    def error(self, message: str) -> AdapterError:
        return AdapterError(f"{self.op}: {message}", retryable=False, system=self.system)

    def string(self, key: str) -> str:
        value = self.params.get(key)
        if value is None:
            raise self.error(f"parameter '{key}' is required")
        if not isinstance(value, str):
            raise self.error(f"parameter '{key}' must be a string")
        if not value.strip():
            raise self.error(f"parameter '{key}' must not be empty")
        return value

    def text(self, key: str, max_length: int) -> str:
        value = self.string(key)
        if len(value) > max_length:
            raise self.error(f"parameter '{key}' is longer than {max_length} characters")
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.string(key)
        if value not in allowed:
            raise self.error(f"parameter '{key}' must be one of {', '.join(allowed)}")
        return value

    def code(self, key: str) -> str:
        """An organisation or municipality code such as RIGA (data/territories.csv)."""
        value = self.string(key).strip()
        if not _ORGANISATION_CODE.fullmatch(value):
            raise self.error(
                f"parameter '{key}' must be 2-32 upper-case letters, digits or '-'"
            )
        return value

    def codes(self, key: str, max_items: int) -> tuple[str, ...]:
        """A non-empty list of organisation codes, duplicates dropped, order kept."""
        value = self.params.get(key)
        if value is None:
            raise self.error(f"parameter '{key}' is required")
        if not isinstance(value, (list, tuple)) or not value:
            raise self.error(f"parameter '{key}' must be a non-empty list")
        if len(value) > max_items:
            raise self.error(f"parameter '{key}' may hold at most {max_items} codes")
        chosen: list[str] = []
        for item in value:
            if not isinstance(item, str) or not _ORGANISATION_CODE.fullmatch(item):
                raise self.error(
                    f"parameter '{key}' must hold codes of 2-32 upper-case letters, digits or '-'"
                )
            if item not in chosen:
                chosen.append(item)
        return tuple(chosen)

    def case_reference(self, max_length: int, key: str = "case_reference") -> str:
        value = self.string(key).strip()
        if len(value) > max_length:
            raise self.error(f"parameter '{key}' is longer than {max_length} characters")
        if PERSONAL_CODE_IN_TEXT.search(value):
            # The other system gets the case number; a personal code here is a data-protection bug.
            raise self.error(f"parameter '{key}' looks like a personal code; pass the case number")
        return value

    def personal_code(self, key: str = "personal_code") -> str:
        """A personal code written DDMMYY-NNNNN (or without the hyphen); returned with it."""
        value = self.string(key).strip()
        if not _PERSONAL_CODE.fullmatch(value):
            raise self.error(f"parameter '{key}' must be a personal code written NNNNNN-NNNNN")
        return value if "-" in value else f"{value[:6]}-{value[6:]}"

    def integer(self, key: str, minimum: int, maximum: int) -> int:
        value = self.params.get(key)
        if value is None:
            raise self.error(f"parameter '{key}' is required")
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.error(f"parameter '{key}' must be an integer from {minimum} to {maximum}")
        return value

    def optional_iso_date(self, key: str) -> date | None:
        return None if self.params.get(key) is None else self.iso_date(key)

    def iso_date(self, key: str) -> date:
        return self.date_value(key, self.params.get(key))

    def date_value(self, key: str, value: Any) -> date:
        """``value`` (found under ``key``, which may be a path like ``plan.valid_to``) as a date."""
        if value is None:
            raise self.error(f"parameter '{key}' is required")
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.error(f"parameter '{key}' must be a date written YYYY-MM-DD")
