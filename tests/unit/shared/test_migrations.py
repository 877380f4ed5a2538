"""Alembic migrations create exactly the tables the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import radar_shared.models  # noqa: F401
from radar_shared.db import current_revision, get_engine, head_revision, upgrade


def test_migrations_match_the_models(database_url: str) -> None:
    upgrade(database_url)  # twice does no harm
    assert current_revision(database_url) == head_revision(database_url)
    with get_engine(database_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], "models changed without a migration: run the autogenerate in docs/decisions/001"
