"""Watchlists (an admin's aggregate): named lists of sanctioned entities that the classifier matches. Files are
read by the classifier's own parsers; this module stores what they yield, one list replaced at a time."""

import re
from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import select

from radar_api.service.errors import ConfigError
from radar_classifier.operator import SAMPLE_WATCHLIST
from radar_shared.db import session_scope
from radar_shared.models import WatchlistEntry, utcnow

__all__ = ["SAMPLE_WATCHLIST", "import_watchlist", "list_watchlists"]


def import_watchlist(db: str, entities: list[Any], list_name: str) -> int:
    """Replace the list's entries with `entities` in one transaction; return how many were stored."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,99}", list_name):
        raise ConfigError("list: use 1-100 lower-case letters, digits, '.', '_' or '-'")
    now = utcnow()
    with session_scope(db) as s:
        s.execute(delete(WatchlistEntry).where(WatchlistEntry.list_name == list_name))
        unique = {e.entity_id: e for e in entities}
        rows = [
            {
                "list_name": list_name, "entity_id": e.entity_id, "name": e.name, "kind": e.kind, "aliases": list(e.aliases), "imo": e.imo,
                "program": e.program[:200], "weak_aliases": list(e.weak_aliases), "mmsi": e.mmsi, "vessel_type": e.vessel_type[:100],
                "fingerprint": e.fingerprint, "created_at": now,
            }
            for e in unique.values()
        ]
        for start in range(0, len(rows), 5000):  # one executemany per batch: 100,000 entries in seconds, not minutes
            s.execute(insert(WatchlistEntry), rows[start : start + 5000])
        return len(unique)


def list_watchlists(db: str) -> dict[str, int]:
    with session_scope(db) as s:
        return dict(s.exec(select(WatchlistEntry.list_name, func.count()).group_by(WatchlistEntry.list_name)).all())  # type: ignore[arg-type]
