"""Two feed-watcher replicas, a SIGKILL and a restart, on the real broker: every entry reaches Kafka, once.

The one window in which an entry can be published twice is a crash after Kafka acknowledged a batch and
before the batch is marked published (one UPDATE). Then the same event (same event_id) is published again
once the claim expires. The test counts such republished events separately and allows them only after a kill.
"""

import asyncio
import collections
import random
import signal
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from radar_api import service
from radar_feed_watcher import store
from radar_shared.messages import ArticleDiscovered
from radar_shared.topics import ARTICLES_DISCOVERED
from tests.support.feeds import rss
from tests.support.services import ServiceProcess, service_env
from tests.support.sinks import FeedServer

pytestmark = pytest.mark.kafka
FEEDS, WAVE = 20, 10


def items(feed: int, start: int, count: int) -> list[dict]:
    return [{"title": f"Feed {feed} story {i}", "text": f"Body {feed}-{i}", "link": f"https://news{feed}.example/{i}"} for i in range(start, start + count)]


async def read_all(bootstrap: str) -> list[ArticleDiscovered]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(ARTICLES_DISCOVERED, p) for p in range(6)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        out: list[ArticleDiscovered] = []
        async def behind() -> bool:
            return any([await consumer.position(tp) < end[tp] for tp in partitions])

        while await behind():
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                out += [ArticleDiscovered.model_validate_json(r.value) for r in records]
        return out
    finally:
        await consumer.stop()


def wait_published(db: str, total: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        from sqlmodel import func, select

        from radar_shared.db import session_scope
        from radar_shared.models import SeenEntry

        with session_scope(db) as s:
            seen = s.exec(select(func.count()).select_from(SeenEntry)).one()
        if seen >= total and not store.unpublished(db):
            return
        time.sleep(0.5)
    raise AssertionError(f"not all {total} entries were published within {timeout}s")


def test_replicas_and_a_crash_never_lose_or_duplicate_entries(fresh_kafka, database_url: str, tmp_path: Path) -> None:
    server = FeedServer().start()
    procs: list[ServiceProcess] = []
    try:
        env = service_env(database_url, fresh_kafka.bootstrap, FEED_WATCHER_POLL_INTERVAL_SECONDS="1", FEED_WATCHER_MIN_INTERVAL_SECONDS="1",
                          FEED_WATCHER_TICK_SECONDS="0.2", FEED_WATCHER_LEASE_SECONDS="3", FEED_WATCHER_CONCURRENCY="3")
        procs = [ServiceProcess("feed-watcher", env, tmp_path / f"watcher-{i}.log").start() for i in range(2)]
        for f in range(FEEDS):  # feeds appear while both replicas are running: they race for the leases
            server.feeds[f"/f{f}.xml"] = rss(items(f, 0, WAVE))
            service.add_feed(database_url, server.url(f"/f{f}.xml"), allowed_networks=["127.0.0.0/8:1024-65535"])
        wait_published(database_url, FEEDS * WAVE, 60)

        first = asyncio.run(read_all(fresh_kafka.bootstrap))
        keys = collections.Counter((e.article.feed_id, e.article.entry_key) for e in first)
        assert len(keys) == FEEDS * WAVE
        assert max(keys.values()) == 1, "two live replicas published an entry twice"
        logs = [p.log_path.read_text() for p in procs]
        assert all("feed polled" in log for log in logs), "both replicas polled part of the feeds"

        # A second wave while one replica is killed at a random moment and started again.
        for f in range(FEEDS):
            server.feeds[f"/f{f}.xml"] = rss(items(f, 0, 2 * WAVE))
        time.sleep(random.uniform(0.2, 1.5))
        procs[0].stop(signal.SIGKILL)
        procs[0] = ServiceProcess("feed-watcher", env, tmp_path / "watcher-0-restarted.log").start()
        wait_published(database_url, FEEDS * 2 * WAVE, 90)

        events = asyncio.run(read_all(fresh_kafka.bootstrap))
        per_entry = collections.defaultdict(list)
        for e in events:
            per_entry[(e.article.feed_id, e.article.entry_key)].append(e.event_id)
        assert len(per_entry) == FEEDS * 2 * WAVE, "an entry was lost"
        republished = {k: ids for k, ids in per_entry.items() if len(ids) > 1}
        for ids in republished.values():
            assert len(set(ids)) == 1, "a duplicate that is not the same event republished"
        print(f"entries: {len(per_entry)}, republished by the crash window: {len(republished)}")
        assert len(republished) <= 500, "more than one outbox batch republished"
    finally:
        for p in procs:
            if p.proc and p.proc.poll() is None:
                p.stop()
        server.stop()
