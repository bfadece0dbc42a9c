"""Statistics-store contents written straight into stat_subject and stat_fact, for tests whose
right answers are worked out by hand."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import count
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from app.db import make_engine, make_session_factory, transaction
from app.db.models import StatFact, StatLoad, StatSubject


def open_sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """For a test module's ``sessions`` fixture: a session factory on the test database."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@dataclass
class Store:
    subjects: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    _numbers: Iterator[int] = field(default_factory=count)

    def person(self, municipality: str, born: date, sex: str = "F") -> str:
        """A subject born in ``born``'s month, declared in ``municipality``; his pseudonym."""
        pseudonym = f"k1-{next(self._numbers):032x}"
        self.subjects.append({"pseudonym": pseudonym, "sex": sex,
                              "birth_month": born.replace(day=1), "municipality_code": municipality})
        return pseudonym

    def fact(self, source: str, subject: str, started: date, ended: date | None = None, *,
             municipality: str = "", category: str = "", severity: str = "",
             months: int | None = None, amount_cents: int | None = None) -> None:
        self.facts.append({"source": source, "subject": subject, "municipality_code": municipality,
                           "started_on": started, "ended_on": ended, "category": category,
                           "severity": severity, "months": months, "amount_cents": amount_cents})

    def write(self, sessions: sessionmaker[Session]) -> None:
        with transaction(sessions) as session:
            load = StatLoad(source="test", file_name="", content_sha256="0" * 64,
                            rows=len(self.subjects) + len(self.facts), key_version="k1",
                            loaded_by="test")
            session.add(load)
            session.flush()
            if self.subjects:
                session.execute(insert(StatSubject),
                                [{**row, "load_id": load.id} for row in self.subjects])
            if self.facts:
                session.execute(insert(StatFact), [{**row, "load_id": load.id} for row in self.facts])
        self.subjects.clear()
        self.facts.clear()
