"""Readiness: may this process be sent requests? Only when the database answers, its schema is
at the release's migration head and the release's process files are deployed.

``/healthz`` says the process and its database connection live (restart it if not);
``/readyz`` says it can do its work (keep traffic away until it can, e.g. while
``dicase db upgrade`` and ``dicase deploy`` have not run yet after an upgrade).
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.exc import SQLAlchemyError

from app.db.migrate import MIGRATIONS
from app.db.models import ProcessDefinition


@cache
def migration_heads() -> frozenset[str]:
    """The revisions this release's code expects the database to be at."""
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def not_ready_reasons(db: DbEngine, processes_dir: Path) -> list[str]:
    """Why this process is not ready; empty when it is."""
    try:
        with db.connect() as connection:
            try:
                applied = set(connection.scalars(text("SELECT version_num FROM alembic_version")))
            except SQLAlchemyError:
                connection.rollback()
                return ["the database has no schema: run `dicase db upgrade`"]
            if applied != migration_heads():
                return [(f"the database schema is at {', '.join(sorted(applied)) or 'no revision'}, "
                        f"this release needs {', '.join(sorted(migration_heads()))}: "
                        "run `dicase db upgrade`")]
            deployed_files = set(connection.scalars(
                select(ProcessDefinition.file_name).distinct()))
    except (SQLAlchemyError, db.dialect.loaded_dbapi.Error):
        return ["the database cannot be reached"]
    reasons = []
    missing = sorted(path.name for path in processes_dir.glob("*.bpmn")
                     if path.name not in deployed_files)
    if missing:
        reasons.append(f"process files not deployed: {', '.join(missing)}: run `dicase deploy`")
    return reasons
