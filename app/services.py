"""The long-lived objects the app, the workers and the CLI share, built from settings."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.engine.runtime import Engine


@dataclass
class Services:
    settings: Settings
    db: DbEngine
    sessions: sessionmaker[Session]
    engine: Engine


def build_services(settings: Settings | None = None) -> Services:
    settings = settings or Settings()
    db = make_engine(settings.database_url)
    sessions = make_session_factory(db)
    return Services(settings, db, sessions, Engine(sessions, settings))
