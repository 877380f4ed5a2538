"""`radar status`, REST /v1/status and the web page's status and feeds pages call a feed stale by the same
thresholds, FEED_WATCHER_STALE_* (radar_shared.settings.FeedSettings), not by literal defaults of their own."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from radar_api import auth, service
from radar_api.app import create_app
from radar_api.cli import main
from radar_api.config import ApiSettings
from radar_shared.db import session_scope
from radar_shared.models import FeedState
from tests.support.sinks import free_port


@pytest.fixture
def quiet_feed(sqlite_url: str) -> str:
    """A feed whose newest entry is 3 hours old, with entries every 10 minutes: stale only when the least quiet
    time (FEED_WATCHER_STALE_MIN_SECONDS, 2 days by default) is below 3 hours."""
    feed = service.add_feed(sqlite_url, "https://quiet.example/feed", "quiet")
    now = datetime.now(UTC)
    with session_scope(sqlite_url) as s:
        s.add(FeedState(feed_id=feed.id, polls=5, last_poll_at=now, latest_entry_at=now - timedelta(hours=3), typical_gap_seconds=600))
    return sqlite_url


def statuses(db: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The feed's health as each of the three shows it."""
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")  # no broker: the pages say so and go on
    auth.add_user(db, "ops", "admin")
    secret = auth.create_token(db, "ops")[1]
    out = {}
    with TestClient(create_app(db, ApiSettings(rate_limit_per_minute=1000)), headers={"Origin": "http://testserver"}) as client:
        out["rest"] = client.get("/v1/status", headers={"Authorization": f"Bearer {secret}"}).json()["feeds"][0]["health"]
        client.post("/signin", data={"token": secret})
        out["status page"] = "STALE" if "STALE</span> https://quiet.example/feed" in client.get("/status").text else "ok"
        out["feeds page"] = "STALE" if ">STALE</td>" in client.get("/feeds").text else "ok"
    printed = CliRunner().invoke(main, ["status", "--json"], env={"DATABASE_URL": db}).output
    out["cli"] = json.loads(printed.splitlines()[0])["feeds"][0]["health"]
    return out


def test_by_default_a_feed_quiet_for_hours_is_not_stale(quiet_feed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert statuses(quiet_feed, monkeypatch) == {"rest": "ok", "status page": "ok", "feeds page": "ok", "cli": "ok"}


def test_every_view_applies_the_configured_thresholds(quiet_feed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_WATCHER_STALE_MIN_SECONDS", "3600")
    monkeypatch.setenv("FEED_WATCHER_STALE_FACTOR", "2")
    assert statuses(quiet_feed, monkeypatch) == {"rest": "STALE", "status page": "STALE", "feeds page": "STALE", "cli": "STALE"}
