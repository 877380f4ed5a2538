"""Engine, sessions and migrations. SQLite by default (WAL, busy timeout), PostgreSQL through DATABASE_URL.

A committed transaction is durable, a power loss included: services commit Kafka offsets (and send alerts)
only after their writes commit, so a commit that a power loss could undo would lose an alert or send one
twice. SQLite therefore runs with synchronous=FULL (WAL: one fsync of the log per commit, about 0.4 ms here);
NORMAL would survive a killed process but not a power loss. Writers keep that cost down by batching: one
transaction per batch, not per row.

On PostgreSQL the pool keeps a connection open for every thread that writes at once: no write opens its own.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# PostgreSQL connections kept open per process: at least as many as threads that write at once (the notifier's
# eight delivery-log threads, plus the event loop's executor for heartbeats and reloads). SQLAlchemy's default of
# five made the sixth to eighth concurrent writers each open a connection and close it when done.
POSTGRESQL_POOL_SIZE = 12
POSTGRESQL_MAX_OVERFLOW = 8  # bursts beyond the pool (the API's request threads): up to 20 connections a process


@lru_cache(maxsize=8)
def get_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError:
                pass  # SQLite then says it cannot open the file, as a database error that callers report
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=POSTGRESQL_POOL_SIZE, max_overflow=POSTGRESQL_MAX_OVERFLOW)


@contextmanager
def session_scope(database_url: str) -> Iterator["Session"]:
    """A session that commits on success and rolls back on error."""
    from sqlmodel import Session  # imported here: readers of a few rows through Core (`radar classify`) do without it

    with Session(get_engine(database_url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def dialect_insert(session: "Session") -> Any:
    """The INSERT construct of the session's database (PostgreSQL's or SQLite's), which has on_conflict_do_*."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; everything in Radar is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def alembic_config(database_url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply the Alembic migrations."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with get_engine(database_url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(database_url: str) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
