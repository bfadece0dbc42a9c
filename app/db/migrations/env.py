"""Alembic environment: the database URL comes from the product's settings (or the caller)."""
from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from app.config import Settings
from app.db import make_engine
from app.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or Settings().database_url
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=url.startswith("sqlite"))
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, poolclass=pool.NullPool) if url.startswith("sqlite") else \
        make_engine(url)
    with engine.connect() as connection:
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables instead.
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=url.startswith("sqlite"), compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
