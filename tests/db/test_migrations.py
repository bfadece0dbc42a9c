from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from app.db import transaction
from app.db.migrate import upgrade
from app.db.models import Base, User
from app.services import Services


def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    engine.dispose()
    assert diff == [], "the models changed without an Alembic revision"


def test_upgrading_an_existing_database_keeps_its_data(database_url: str, services: Services) -> None:
    with transaction(services.sessions) as session:
        session.add(User(username="kept", display_name="Kept", roles=["caseworker"], groups=[]))
    upgrade(database_url)
    with services.sessions() as session:
        assert session.scalar(select(User.display_name).where(User.username == "kept")) == "Kept"
