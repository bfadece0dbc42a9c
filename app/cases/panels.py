"""Sections that process areas add to a person's case file (a support plan's versions, service
records, a self-care progress view ...).

An area lists its panels in ``<area>.panels.PANELS``. A panel's ``load`` receives the instances of
the person the viewer may already read (so it adds no access rule of its own beyond what it reads
by those instance ids) and returns what its template shows, or None to stay hidden.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.access.scope import Viewer
from app.db.models import Person, ProcessInstance

Loader = Callable[[Session, Viewer, Person, Sequence[ProcessInstance]], Any]


@dataclass(frozen=True)
class Panel:
    key: str
    template: str  # rendered with ``panel`` (the loaded value), ``person`` and ``file``
    load: Loader
    order: int = 100  # smaller first


@dataclass(frozen=True)
class LoadedPanel:
    panel: Panel
    value: Any


def all_panels() -> list[Panel]:
    from app.areas import area_modules

    found = [panel for module in area_modules("panels") for panel in getattr(module, "PANELS", ())]
    return sorted(found, key=lambda panel: (panel.order, panel.key))


def load_panels(session: Session, viewer: Viewer, person: Person,
                instances: Sequence[ProcessInstance]) -> list[LoadedPanel]:
    loaded = []
    for panel in all_panels():
        value = panel.load(session, viewer, person, instances)
        if value is not None:
            loaded.append(LoadedPanel(panel, value))
    return loaded
