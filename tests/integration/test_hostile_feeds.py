"""Hostile and broken feeds on a local server: a feed that trickles bytes, entries far larger than Kafka takes,
NUL bytes (on PostgreSQL) and a Latin-1 feed that declares no encoding. The poll cycle is the service's own,
against a real database; the oversized entries are published to the real broker."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from sqlmodel import select

from radar_feed_watcher import store
from radar_feed_watcher.config import FeedWatcherSettings
from radar_feed_watcher.fetcher import make_client
from radar_feed_watcher.metrics import FeedMetrics
from radar_feed_watcher.poller import Poller
from radar_shared.broker import make_broker
from radar_shared.db import session_scope
from radar_shared.messages import ArticleDiscovered
from radar_shared.models import Feed, FeedState, SeenEntry
from radar_shared.topics import ARTICLES_DISCOVERED
from tests.support.feeds import rss
from tests.support.services import wait_for
from tests.support.sinks import FeedServer

KAFKA_MAX_REQUEST = 1_048_576


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    srv = FeedServer().start()
    yield srv
    srv.stop()


def add_feed(db: str, url: str, interval: int | None = None) -> int:
    with session_scope(db) as s:
        feed = Feed(url=url, poll_interval_seconds=interval)
        s.add(feed)
        s.flush()
        return feed.id  # type: ignore[return-value]


def state(db: str, feed_id: int) -> FeedState:
    with session_scope(db) as s:
        return s.get(FeedState, feed_id) or FeedState(feed_id=feed_id)


def poller_for(db: str, publish, **settings) -> Poller:  # type: ignore[no-untyped-def]
    config = FeedWatcherSettings(allowed_networks=["127.0.0.0/8:1024-65535"], **settings)
    return Poller(config, db, make_client("test", 2, 30, 8), publish, FeedMetrics(CollectorRegistry()), lambda _: None)


async def poll_once(db: str) -> list[ArticleDiscovered]:
    """One poll cycle; returns the events it published."""
    published: list[ArticleDiscovered] = []

    async def publish(event: ArticleDiscovered) -> None:
        published.append(event)

    poller = poller_for(db, publish)
    await poller.tick()
    await poller.relay_once()
    await poller.client.aclose()
    return published


async def test_a_trickling_feed_hits_its_deadline_is_polled_once_and_good_feeds_keep_their_schedule(sqlite_url: str, server: FeedServer) -> None:
    server.feeds["/slow.xml"] = rss([{"title": "Slow", "text": "x" * 500, "link": "https://slow.example/1"}])
    server.trickle["/slow.xml"] = 0.2  # a byte every 0.2 s: never a 30 s gap between bytes, and never done
    for n in range(3):
        server.feeds[f"/good{n}.xml"] = rss([{"title": f"Good {n}", "text": "t", "link": f"https://good.example/{n}"}])
    slow = add_feed(sqlite_url, server.url("/slow.xml"))
    good = [add_feed(sqlite_url, server.url(f"/good{n}.xml"), interval=1) for n in range(3)]
    published: list = []

    async def publish(event: ArticleDiscovered) -> None:
        published.append(event)

    # The lease (1.5 s) is shorter than the deadline (4 s): only its renewal keeps a second poll from starting.
    poller = poller_for(sqlite_url, publish, fetch_deadline_seconds=4, lease_seconds=1.5, tick_seconds=0.1, per_host_concurrency=4)
    task = asyncio.create_task(poller.run_forever())
    try:
        await asyncio.to_thread(wait_for, lambda: state(sqlite_url, slow).last_error_kind == "deadline", 30, "the slow feed's deadline error")
        st = state(sqlite_url, slow)
        assert st.last_error == f"feed {server.url('/slow.xml')}: no complete response within the 4 s deadline (FEED_WATCHER_FETCH_DEADLINE_SECONDS)"
        assert st.error_streak == 1 and server.hits["/slow.xml"] == 1, "one poll of the slow feed at a time"
        for feed_id in good:
            assert state(sqlite_url, feed_id).polls >= 3, "the good feeds kept their 1 s schedule meanwhile"
        assert {e.article.title for e in published} == {"Good 0", "Good 1", "Good 2"}
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await poller.close()
        await poller.client.aclose()


@pytest.mark.kafka
async def test_oversized_entries_are_capped_and_published_and_an_unpublishable_one_is_failed_on_its_feed(kafka, sqlite_url: str, server: FeedServer) -> None:
    huge_text = "<p>" + "sanctions " * 300_000 + "</p>"  # a 3 MB item
    server.feeds["/big.xml"] = rss([
        {"title": "T" * 1_000_000, "text": "short", "link": "https://big.example/title"},  # a 1 MB title
        {"title": "Huge item", "text": huge_text, "link": "https://big.example/item"},
        {"title": "Huge link", "text": "t", "link": "https://big.example/" + "a" * 1_200_000},  # nothing to cap: too large to publish
        {"title": "Normal", "text": "A normal entry.", "link": "https://big.example/normal"},
    ])
    feed_id = add_feed(sqlite_url, server.url("/big.xml"))
    broker = make_broker(kafka.bootstrap, "hostile-feeds-test", CollectorRegistry())
    publisher = broker.publisher(ARTICLES_DISCOVERED)
    sizes: dict[str, int] = {}

    async def publish(event: ArticleDiscovered) -> None:
        await publisher.publish(event, key=event.article.article_id.encode())  # the real broker acknowledges it
        sizes[event.article.title[:10]] = len(event.model_dump_json().encode())

    async with broker:
        await broker.start()
        poller = poller_for(sqlite_url, publish)
        await poller.tick()
        await poller.relay_once()
        await poller.client.aclose()
    assert sorted(sizes) == ["Huge item", "Normal", "TTTTTTTTTT"]
    assert all(size < KAFKA_MAX_REQUEST / 2 for size in sizes.values()), sizes
    with session_scope(sqlite_url) as s:
        rows = {r.article_id: r for r in s.exec(select(SeenEntry)).all()}
    assert len(rows) == 4 and store.unpublished(sqlite_url) == []
    failed = [r for r in rows.values() if r.failed_at is not None]
    assert len(failed) == 1 and "exceeds FEED_WATCHER_MAX_EVENT_BYTES" in (failed[0].publish_error or "")
    st = state(sqlite_url, feed_id)
    assert st.entries_truncated == 2 and st.entries_failed == 1 and st.error_streak == 0
    assert st.last_entry_error.startswith(f"feed {server.url('/big.xml')}: entry ")
    server.feeds["/big.xml"] += b" "  # a changed body: the failed entry is known and not tried again
    with session_scope(sqlite_url) as s:
        s.get(FeedState, feed_id).next_poll_at = datetime.now(UTC) - timedelta(seconds=1)  # type: ignore[union-attr]
    sizes.clear()
    poller = poller_for(sqlite_url, publish)
    await poller.tick()
    await poller.relay_once()
    await poller.client.aclose()
    assert sizes == {} and state(sqlite_url, feed_id).entries_failed == 1


async def test_nul_bytes_and_control_characters_are_stripped_before_postgresql(postgresql_url: str, server: FeedServer) -> None:
    body = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire\x00</title>'
            b'<item><title>Sanctions\x00 on\x01 North Korea\x1f</title><link>https://nul.example/1</link>'
            b'<description>Ships\x00 seen\x08 off Nampo.\x7f</description></item></channel></rss>')
    server.feeds["/nul.xml"] = body
    add_feed(postgresql_url, server.url("/nul.xml"))
    published = await poll_once(postgresql_url)
    assert [(e.article.title, e.article.text) for e in published] == [("Sanctions on North Korea", "Ships seen off Nampo.")]
    with session_scope(postgresql_url) as s:
        row = s.exec(select(SeenEntry)).one()
        assert row.published_at is not None and row.failed_at is None
    assert "\\u0000" not in json.dumps(published[0].model_dump(mode="json"))


async def test_a_latin1_feed_without_a_declared_encoding_reads_as_portuguese(sqlite_url: str, server: FeedServer) -> None:
    body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Notícias do Porto</title>'
            '<item><title>Câmara aprova ação para o 3º trimestre</title><link>https://pt.example/1</link>'
            '<description>A população de São João espera informação até março.</description></item></channel></rss>').encode("latin-1")
    server.feeds["/pt.xml"] = body
    server.content_types["/pt.xml"] = "application/rss+xml"  # no charset, no XML declaration of one
    feed_id = add_feed(sqlite_url, server.url("/pt.xml"))
    published = await poll_once(sqlite_url)
    article = published[0].article
    assert article.title == "Câmara aprova ação para o 3º trimestre"
    assert article.text == "A população de São João espera informação até março."
    assert state(sqlite_url, feed_id).encoding == "windows-1252 (detected)"
