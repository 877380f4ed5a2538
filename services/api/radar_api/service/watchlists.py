"""Watchlists (an admin's aggregate): named lists of sanctioned entities that the classifier matches. Files are
read by the classifier's own parsers; this module stores what they yield, one list replaced at a time.

Clears (a user's aggregate): an analyst's "this entry, or this alias of it, is noise for me". A clear keeps the
entry's fingerprint; the notifier suppresses only while the entry is still listed with it (notifier store)."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import Session, col, select

from radar_api.service.errors import ConfigError, NotFoundError
from radar_classifier.operator import SAMPLE_WATCHLIST
from radar_shared.db import session_scope
from radar_shared.models import WatchlistClear, WatchlistEntry, utcnow

LIST_NAME = r"[a-z0-9][a-z0-9_.-]{0,99}"  # a list's name, as its tags show it: watchlist:<name>

__all__ = ["SAMPLE_WATCHLIST", "ClearRow", "clear_entry", "import_watchlist", "list_clears", "list_watchlists", "remove_clear"]


def import_watchlist(db: str, entities: list[Any], list_name: str) -> int:
    """Replace the list's entries with `entities` in one transaction; return how many were stored."""
    if not re.fullmatch(LIST_NAME, list_name):
        raise ConfigError("list: use 1-100 lower-case letters, digits, '.', '_' or '-'")
    now = utcnow()
    with session_scope(db) as s:
        s.execute(delete(WatchlistEntry).where(col(WatchlistEntry.list_name) == list_name))
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


@dataclass(frozen=True)
class ClearRow:
    """A user's clear, and whether it still holds: the entry is still listed as it was when cleared."""

    id: int
    list_name: str
    entity_id: str
    alias: str
    name: str
    active: bool
    created_at: datetime


def _entry(s: Session, list_name: str, entity_id: str) -> WatchlistEntry:
    entry = s.exec(select(WatchlistEntry).where(WatchlistEntry.list_name == list_name, WatchlistEntry.entity_id == entity_id)).first()
    if entry is None:
        raise NotFoundError(f"watchlist entry {list_name}/{entity_id} does not exist")
    return entry


def clear_entry(db: str, user_id: int, list_name: str, entity_id: str, alias: str = "") -> ClearRow:
    """Stop alerting `user_id` on the entry (alias empty) or on one of its names, while the entry stays as listed
    now. Clearing again refreshes the clear to the entry's current version."""
    with session_scope(db) as s:
        entry = _entry(s, list_name, entity_id)
        if alias and alias not in (entry.name, *entry.aliases, *entry.weak_aliases):
            raise ConfigError(f"alias: {alias!r} is not a name of {list_name}/{entity_id} ({entry.name})")
        clear = s.exec(
            select(WatchlistClear).where(
                WatchlistClear.user_id == user_id, WatchlistClear.list_name == list_name, WatchlistClear.entity_id == entity_id, WatchlistClear.alias == alias
            )
        ).first() or WatchlistClear(user_id=user_id, list_name=list_name, entity_id=entity_id, alias=alias, fingerprint=entry.fingerprint)
        clear.fingerprint, clear.created_at = entry.fingerprint, utcnow()
        s.add(clear)
        s.flush()
        return ClearRow(clear.id, list_name, entity_id, alias, entry.name, True, clear.created_at)  # type: ignore[arg-type]


def list_clears(db: str, user_id: int) -> list[ClearRow]:
    with session_scope(db) as s:
        rows = s.exec(
            select(WatchlistClear, WatchlistEntry)
            .join(WatchlistEntry, (col(WatchlistEntry.list_name) == col(WatchlistClear.list_name)) & (col(WatchlistEntry.entity_id) == col(WatchlistClear.entity_id)), isouter=True)
            .where(WatchlistClear.user_id == user_id)
            .order_by(col(WatchlistClear.id))
        ).all()
        return [
            ClearRow(c.id, c.list_name, c.entity_id, c.alias, e.name if e else "", e is not None and e.fingerprint == c.fingerprint, c.created_at)  # type: ignore[arg-type]
            for c, e in rows
        ]


def remove_clear(db: str, user_id: int, clear_id: int) -> None:
    """Alert the user on that entry again; NotFoundError when the clear is not theirs."""
    with session_scope(db) as s:
        clear = s.get(WatchlistClear, clear_id)
        if clear is None or clear.user_id != user_id:
            raise NotFoundError(f"clear {clear_id} does not exist")
        s.delete(clear)
