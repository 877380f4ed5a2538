"""Classifier reads (IO): the enabled watches."""

from sqlmodel import col, select

from radar_shared.db import session_scope
from radar_classifier.watchlist import Entity
from radar_shared.models import Watch, WatchlistEntry


def load_watches(database_url: str) -> list[tuple[int, str]]:
    with session_scope(database_url) as s:
        return [(w.id, w.query) for w in s.exec(select(Watch).where(col(Watch.enabled)).order_by(col(Watch.id))).all()]  # type: ignore[misc]


def load_watchlists(database_url: str) -> list[Entity]:
    with session_scope(database_url) as s:
        rows = s.exec(select(WatchlistEntry).order_by(col(WatchlistEntry.id))).all()
        return [Entity(r.list_name, r.entity_id, r.name, r.kind, tuple(r.aliases), r.imo, r.program) for r in rows]
