"""The product's process areas, and the one place that lists them.

Each area is a package under ``app/`` that may provide, by convention:

- ``<area>.operations``: service-task operations it registers with ``adapters.registry.operation``
  (internal ones, such as storing a document, run in the job runner like any adapter call);
- ``<area>.views``: a Flask blueprint named ``bp``, and ``MENU`` (``MenuItem``s) for the main menu;
- ``<area>.panels``: ``PANELS``, sections the area adds to a person's case file;
- ``<area>.demo``: ``load_demo(services, today)``, the area's demo persons and cases (idempotent);
- ``<area>.schedule``: ``start_month(services, period)``, the processes that run once a month per
  municipality (P3's submission cycle, P5's report), started by ``dicase start-month`` (cron) or
  by the calendar thread of ``dicase run`` / ``dicase worker --calendar``.

An area leaves out what it does not need. Adding an area is one line in ``AREAS``.
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from types import ModuleType
from typing import Any

AREAS = (
    "app.documents",
    "app.notifications",
    "app.outbox",
    "app.assessment",
    "app.child_assessment",
    "app.community_services",
    "app.group_homes",
    "app.community_preparation",
    "app.co_payment",
    "app.nsk",
    "app.child_protection",
    "app.out_of_family_care",
    "app.adoption",
    "app.region_data",
    "app.opendata",
    "app.reports",
)


def area_modules(part: str) -> Iterator[ModuleType]:
    """The ``<area>.<part>`` modules that exist, imported, in the order of ``AREAS``."""
    for area in AREAS:
        name = f"{area}.{part}"
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:  # the area package itself is not there
            continue
        if found is not None:
            yield importlib.import_module(name)


def load_operations() -> None:
    for _module in area_modules("operations"):
        pass  # importing registers them


def start_month(services: Any, period: str) -> dict[str, list[int]]:
    """Start every area's monthly processes for ``period`` (``YYYY-MM``): each area's
    ``<area>.schedule.start_month(services, period)`` returns the instances it started and
    starts nothing that already runs for that month, so calling this again is harmless."""
    started = {}
    for module in area_modules("schedule"):
        started[module.__name__] = module.start_month(services, period)
    return started


def previous_month(today: date) -> str:
    """The period whose reports are due this month."""
    first = today.replace(day=1)
    last_month = first - timedelta(days=1)
    return f"{last_month.year:04d}-{last_month.month:02d}"


@dataclass(frozen=True)
class MenuItem:
    """A page of an area in the main menu, for the organisation kinds whose work it is (the page
    itself still checks access; the menu only leaves out what would be empty)."""

    endpoint: str
    label: str  # an English msgid, translated where the menu is drawn
    organisation_kinds: frozenset[str]


def menu_for(organisation_kind: str | None) -> list[MenuItem]:
    """The areas' menu items (``<area>.views.MENU``) for a person of this organisation kind."""
    return [item for module in area_modules("views") for item in getattr(module, "MENU", ())
            if organisation_kind in item.organisation_kinds]
