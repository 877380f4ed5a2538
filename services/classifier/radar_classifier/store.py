"""Classifier reads (IO): the enabled watches and the watchlists' entries.

They are read through SQLAlchemy Core, with the columns named here, not through the ORM models: `radar classify`
reads them at every start, and importing sqlmodel and the models was a fifth of its time. The tables are the
models' (`radar_shared.models.Watch`, `WatchlistEntry`); tests/unit/classifier/test_store.py writes rows through
the models and reads them back through these.
"""

from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, column, select, table

from radar_classifier.entities import Entity
from radar_shared.db import get_engine

_WATCH = table("watch", column("id", Integer), column("query", String), column("enabled", Boolean))
_ENTRY = table(
    "watchlist_entry", column("id", Integer), column("list_name", String), column("entity_id", String), column("name", String),
    column("kind", String), column("aliases", JSON), column("imo", String), column("program", String), column("weak_aliases", JSON),
    column("mmsi", String), column("vessel_type", String),
)


def load_watches(database_url: str) -> list[tuple[int, str]]:
    with get_engine(database_url).connect() as connection:
        rows: Any = connection.execute(select(_WATCH.c.id, _WATCH.c.query).where(_WATCH.c.enabled).order_by(_WATCH.c.id))
        return [(watch_id, query) for watch_id, query in rows]


def load_watchlists(database_url: str) -> list[Entity]:
    e = _ENTRY.c
    with get_engine(database_url).connect() as connection:
        rows: Any = connection.execute(
            select(e.list_name, e.entity_id, e.name, e.kind, e.aliases, e.imo, e.program, e.weak_aliases, e.mmsi, e.vessel_type).order_by(e.id)
        )
        return [
            Entity(list_name, entity_id, name, kind, tuple(aliases), imo, program, tuple(weak or ()), mmsi, vessel_type or "")
            for list_name, entity_id, name, kind, aliases, imo, program, weak, mmsi, vessel_type in rows
        ]
