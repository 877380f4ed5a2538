"""The poll cycle against a real local feed server and a real database (SQLite and PostgreSQL)."""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from sqlmodel import select

from radar_feed_watcher import store
from radar_feed_watcher.config import FeedWatcherSettings
from radar_feed_watcher.fetcher import make_client
from radar_feed_watcher.metrics import FeedMetrics
from radar_feed_watcher.poller import Poller
from radar_shared.db import session_scope
from radar_shared.messages import ArticleDiscovered
from radar_shared.models import Feed, FeedState, SeenEntry
from tests.support.feeds import rss
from tests.support.sinks import FeedServer

ITEMS = [{"title": f"Story {i}", "text": f"Text {i}", "link": f"https://news.example/{i}?utm_source=rss"} for i in range(3)]


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    srv = FeedServer().start()
    yield srv
    srv.stop()


def add_feed(db: str, url: str) -> int:
    with session_scope(db) as s:
        feed = Feed(url=url)
        s.add(feed)
        s.flush()
        return feed.id  # type: ignore[return-value]


def make_poller(db: str, published: list, fail: list | None = None) -> Poller:
    async def publish(event: ArticleDiscovered) -> None:
        if fail:
            raise fail.pop()
        published.append(event)

    settings = FeedWatcherSettings(allowed_networks=["127.0.0.0/8:1024-65535"], poll_interval_seconds=60)
    return Poller(settings, db, make_client("test", 2, 5, 4), publish, FeedMetrics(CollectorRegistry()), lambda _: None)


def make_due(db: str) -> None:
    with session_scope(db) as s:
        for st in s.exec(select(FeedState)).all():
            st.next_poll_at = datetime.now(UTC) - timedelta(seconds=1)
            s.add(st)


async def test_new_entries_are_published_once_then_304(database_url: str, server: FeedServer) -> None:
    server.feeds["/f.xml"] = rss(ITEMS)
    feed_id = add_feed(database_url, server.url("/f.xml"))
    published: list[ArticleDiscovered] = []
    poller = make_poller(database_url, published)
    await poller.tick()
    await poller.relay_once()
    assert sorted(e.article.title for e in published) == ["Story 0", "Story 1", "Story 2"]
    assert published[0].article.url.startswith("https://news.example/") and "utm_source" not in published[0].article.url
    await poller.tick()
    await poller.relay_once()
    assert len(published) == 3, "not due yet"
    make_due(database_url)
    await poller.tick()
    await poller.relay_once()
    assert server.conditional_hits["/f.xml"] == 1, "the second poll sent If-None-Match and got 304"
    server.feeds["/f.xml"] = rss([*ITEMS, {"title": "Story 3", "text": "New", "link": "https://news.example/3"}])
    make_due(database_url)
    await poller.tick()
    await poller.relay_once()
    assert [e.article.title for e in published[3:]] == ["Story 3"]
    with session_scope(database_url) as s:
        state = s.get(FeedState, feed_id)
        assert state.error_streak == 0 and state.polls == 3 and state.etag
    await poller.client.aclose()


async def test_edited_entry_is_not_a_new_article(database_url: str, server: FeedServer) -> None:
    server.feeds["/f.xml"] = rss([{"title": "Old title", "text": "x", "link": "https://news.example/a", "guid": "g1"}])
    add_feed(database_url, server.url("/f.xml"))
    published: list = []
    poller = make_poller(database_url, published)
    await poller.tick()
    await poller.relay_once()
    server.feeds["/f.xml"] = rss([{"title": "New title", "text": "y", "link": "https://news.example/a", "guid": "g1"}])
    make_due(database_url)
    await poller.tick()
    await poller.relay_once()
    assert [e.article.title for e in published] == ["Old title"]
    await poller.client.aclose()


async def test_a_failed_publish_is_retried_from_the_outbox(database_url: str, server: FeedServer, caplog: pytest.LogCaptureFixture) -> None:
    server.feeds["/f.xml"] = rss(ITEMS[:1])
    add_feed(database_url, server.url("/f.xml"))
    published: list = []
    poller = make_poller(database_url, published, fail=[ConnectionError("broker down")] * 3)
    await poller.tick()  # the broker's outage does not stop the poll cycle
    for _ in range(3):
        await poller.relay_once()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == ["outbox not published; it is retried"], "once per outage"
    assert published == [] and len(store.unpublished(database_url)) == 1, "kept in the outbox"
    with session_scope(database_url) as s:
        assert s.exec(select(FeedState)).one().error_streak == 0, "a broker outage is not the feed's error"
    await poller.tick()
    await poller.relay_once()  # the failed row was released: retried at once, not after its claim expired
    assert [e.article.title for e in published] == ["Story 0"]
    assert store.unpublished(database_url) == []
    with session_scope(database_url) as s:
        row = s.exec(select(SeenEntry)).one()
        assert row.published_at is not None and row.payload is None
    await poller.client.aclose()


async def test_polls_go_on_at_their_interval_while_publishing_is_stuck_and_every_entry_is_published_once_after(
    database_url: str, server: FeedServer
) -> None:
    """A producer that blocks (a partition waiting for its new leader, a broker down): the feed is still polled
    every second and its entries land in the outbox; when the producer is back, each is published once."""
    with session_scope(database_url) as s:
        s.add(Feed(url=server.url("/f.xml"), poll_interval_seconds=1))
    broker_back = asyncio.Event()
    published: list[ArticleDiscovered] = []

    async def publish(event: ArticleDiscovered) -> None:
        await broker_back.wait()
        published.append(event)

    settings = FeedWatcherSettings(allowed_networks=["127.0.0.0/8:1024-65535"], tick_seconds=0.2)
    poller = Poller(settings, database_url, make_client("test", 2, 5, 4), publish, FeedMetrics(CollectorRegistry()), lambda _: None)
    running = asyncio.create_task(poller.run_forever())
    try:
        for n in range(1, 4):
            server.feeds["/f.xml"] = rss(ITEMS[:n])
            await wait_until(lambda n=n: len(store.unpublished(database_url)) == n, 15, f"{n} entries in the outbox while publishing is stuck")
        assert published == []
        broker_back.set()
        await wait_until(lambda: store.unpublished(database_url) == [], 15, "the outbox published")
        assert sorted(e.article.title for e in published) == ["Story 0", "Story 1", "Story 2"], "each entry once"
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await poller.close()
        await poller.client.aclose()


async def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_errors_are_recorded_with_a_streak_and_polling_goes_on(database_url: str, server: FeedServer) -> None:
    feed_id = add_feed(database_url, server.url("/missing.xml"))
    poller = make_poller(database_url, [])
    for _ in range(3):
        make_due(database_url)
        await poller.tick()
        await poller.relay_once()
    with session_scope(database_url) as s:
        state = s.get(FeedState, feed_id)
        assert state.error_streak == 3 and state.last_status == 404 and state.last_error_kind == "http"
        assert "HTTP 404" in state.last_error and server.url("/missing.xml") in state.last_error
        assert state.next_poll_at is not None, "never gives up"
    server.feeds["/missing.xml"] = rss(ITEMS[:1])
    make_due(database_url)
    await poller.tick()
    await poller.relay_once()
    with session_scope(database_url) as s:
        assert s.get(FeedState, feed_id).error_streak == 0
    await poller.client.aclose()


def test_two_watchers_store_an_entry_once(database_url: str) -> None:
    feed_id = add_feed(database_url, "https://news.example/feed")
    now = datetime.now(UTC)
    outbox = [("k1", "a1", {"x": 1}), ("k2", "a2", {"x": 2})]
    kw = dict(status=200, etag=None, last_modified=None, digest="d", now=now, next_poll=now, outbox=outbox)
    assert store.record_fetched(database_url, feed_id, **kw) == 2
    assert store.record_fetched(database_url, feed_id, **kw) == 0
    assert len(store.unpublished(database_url)) == 2
    claimed = store.claim_unpublished(database_url, "watcher-a", now, 300)
    assert [payload for _, payload in claimed] == [{"x": 1}, {"x": 2}]
    assert store.claim_unpublished(database_url, "watcher-b", now, 300) == [], "claimed by watcher-a"


async def test_an_entry_kafka_refuses_for_good_is_failed_on_its_feed_and_the_others_go_on(database_url: str, server: FeedServer) -> None:
    from aiokafka.errors import MessageSizeTooLargeError

    server.feeds["/f.xml"] = rss(ITEMS)
    feed_id = add_feed(database_url, server.url("/f.xml"))
    published: list = []
    poller = make_poller(database_url, published, fail=[MessageSizeTooLargeError("the message is 1200000 bytes")])
    await poller.tick()
    await poller.relay_once()
    assert len(published) == 2 and store.unpublished(database_url) == [], "not retried"
    with session_scope(database_url) as s:
        failed = s.exec(select(SeenEntry).where(SeenEntry.failed_at != None)).one()  # noqa: E711
        assert "MessageSizeTooLargeError" in (failed.publish_error or "")
        st = s.get(FeedState, feed_id)
        assert st.entries_failed == 1 and "was refused by Kafka" in (st.last_entry_error or "") and st.error_streak == 0
    await poller.client.aclose()


async def test_an_entry_with_an_out_of_range_date_is_published_and_warned_of(database_url: str, server: FeedServer, caplog: pytest.LogCaptureFixture) -> None:
    good = rss(ITEMS[:1]).decode()
    bad_item = ('<item><title>Far future</title><link>https://news.example/far</link><guid>far</guid>'
                '<pubDate>9999-12-31T23:59:59-12:00</pubDate><description>x</description></item>')
    server.feeds["/f.xml"] = good.replace("</channel>", bad_item + "</channel>").encode()
    feed_id = add_feed(database_url, server.url("/f.xml"))
    published: list[ArticleDiscovered] = []
    poller = make_poller(database_url, published)
    with caplog.at_level(logging.WARNING):
        await poller.tick()
        await poller.relay_once()
    assert sorted(e.article.title for e in published) == ["Far future", "Story 0"], "the feed is not stopped by one entry's date"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.getMessage() == "feed parsed with a recoverable error"]
    assert any("Far future" in r.error and "out of range" in r.error and getattr(r, "feed_id", None) == feed_id for r in warnings)
    await poller.client.aclose()
