"""410 Gone, permanent redirects and leases, against a real local server and database."""

from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from sqlmodel import select

from radar_feed_watcher import store
from radar_shared.db import session_scope
from radar_shared.models import FeedState
from tests.support.feeds import rss
from tests.support.sinks import free_port, serve
from tests.unit.feed_watcher.test_poller import add_feed, make_due, make_poller

FEED = rss([{"title": "Moved story", "text": "t", "link": "https://news.example/moved"}])


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/old":
            self.send_response(301)
            self.send_header("Location", "/new")
            self.send_header("content-length", "0")
            self.end_headers()
        elif self.path == "/new":
            self.send_response(200)
            self.send_header("content-length", str(len(FEED)))
            self.send_header("cache-control", "max-age=900")
            self.end_headers()
            self.wfile.write(FEED)
        else:
            self.send_response(410)
            self.send_header("content-length", "0")
            self.end_headers()


@pytest.fixture(scope="module")
def base():  # type: ignore[no-untyped-def]
    port = free_port()
    srv = serve(Handler, port)
    yield f"http://127.0.0.1:{port}"
    srv.shutdown()


async def test_permanent_redirect_is_recorded_and_followed(database_url: str, base: str) -> None:
    feed_id = add_feed(database_url, f"{base}/old")
    published: list = []
    poller = make_poller(database_url, published)
    await poller.tick()
    await poller.relay_once()
    with session_scope(database_url) as s:
        st = s.get(FeedState, feed_id)
        assert st.effective_url == f"{base}/new"
        assert st.interval_seconds == 900, "Cache-Control max-age set the floor"
    assert published[0].article.feed_url == f"{base}/old", "the feed keeps its identity"
    make_due(database_url)
    leased = store.lease_due_feeds(database_url, datetime.now(UTC), "x", 60)
    assert leased[0].url == f"{base}/new"
    await poller.client.aclose()


async def test_gone_is_recorded_and_polled_rarely(database_url: str, base: str) -> None:
    feed_id = add_feed(database_url, f"{base}/gone")
    poller = make_poller(database_url, [])
    await poller.tick()
    await poller.relay_once()
    with session_scope(database_url) as s:
        st = s.get(FeedState, feed_id)
        assert st.gone_at is not None and st.last_error_kind == "gone" and "410" in st.last_error
        assert st.next_poll_at is not None, "still polled: publishers bring feeds back"
    await poller.client.aclose()


def test_a_lease_keeps_other_watchers_away(database_url: str) -> None:
    add_feed(database_url, "https://news.example/a")
    add_feed(database_url, "https://news.example/b")
    now = datetime.now(UTC)
    first = store.lease_due_feeds(database_url, now, "watcher-1", 300)
    assert len(first) == 2
    assert store.lease_due_feeds(database_url, now, "watcher-2", 300) == []
    later = now + timedelta(seconds=301)  # watcher-1 died: its leases expire
    assert len(store.lease_due_feeds(database_url, later, "watcher-2", 300)) == 2
    with session_scope(database_url) as s:
        assert {st.lease_owner for st in s.exec(select(FeedState)).all()} == {"watcher-2"}
