"""The classifier reads watches and watchlist entries through Core with column names of its own: rows written
through the ORM models come back whole, in order, the disabled watches left out (SQLite and PostgreSQL)."""

from radar_classifier.store import load_watches, load_watchlists
from radar_classifier.watchlist import Entity
from radar_shared.db import session_scope
from radar_shared.models import Watch, WatchlistEntry


def test_the_enabled_watches_in_order(database_url: str) -> None:
    with session_scope(database_url) as s:
        s.add_all([Watch(query="coal Nampo"), Watch(query="old", enabled=False), Watch(query='"Rich Glory" OR tanker', name="ships")])
    with session_scope(database_url) as s:
        expected = [(w.id, w.query) for w in s.query(Watch).order_by(Watch.id) if w.enabled]  # type: ignore[arg-type]
    assert load_watches(database_url) == expected and [q for _, q in expected] == ["coal Nampo", '"Rich Glory" OR tanker']


def test_watchlist_entries_with_their_aliases(database_url: str) -> None:
    with session_scope(database_url) as s:
        s.add_all([
            WatchlistEntry(list_name="ofac", entity_id="1", name="Korea Ocean Shipping", kind="company", aliases=["KOSC", "Korea Ocean"], program="DPRK3"),
            WatchlistEntry(list_name="ofac", entity_id="2", name="Chon Ma San", kind="vessel", imo="8660313", weak_aliases=["CMS"], mmsi="445123000", vessel_type="Tanker"),
        ])
    assert load_watchlists(database_url) == [
        Entity("ofac", "1", "Korea Ocean Shipping", "company", ("KOSC", "Korea Ocean"), None, "DPRK3"),
        Entity("ofac", "2", "Chon Ma San", "vessel", (), "8660313", "", ("CMS",), "445123000", "Tanker"),
    ]
