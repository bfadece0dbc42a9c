"""Fixtures of the report tests: a migrated database with the organisations, a session on it, the
viewers of each kind of organisation, and ``World``, which writes the hand-built data sets."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from app.access.scope import Viewer, viewer_of
from app.services import Services, build_services
from tests.conftest import make_settings

from .world import World


@pytest.fixture
def report_services(database_url: str) -> Iterator[Services]:
    services = build_services(make_settings(database_url))
    yield services
    services.db.dispose()


@pytest.fixture
def session(report_services: Services) -> Iterator[Session]:
    with report_services.sessions() as session:
        yield session


@pytest.fixture
def world(session: Session) -> World:
    return World(session)


def viewer(session: Session, organisation: str, *roles: str, groups: tuple[str, ...] = ()
           ) -> Viewer:
    return viewer_of(session, f"user-{organisation.lower()}", roles or ("caseworker",), groups,
                     organisation)


@pytest.fixture
def viewers(session: Session) -> dict[str, Viewer]:
    """One viewer per organisation the tests compare: the ministry, two municipalities of the
    Riga region and one of Zemgale, both regions, a VSAC, an orphan court, the adoption unit and
    an auditor."""
    return {code: viewer(session, code, "auditor" if code == "LM-AUDIT" else "caseworker")
            for code in ("LM", "RIGA", "JURMALA", "JELGAVA", "PR-RIGA", "PR-ZEMGALE",
                         "VSAC-RIGA", "RIGA-BT", "JELGAVA-BT", "LM-ADOPT", "LM-AUDIT")}
