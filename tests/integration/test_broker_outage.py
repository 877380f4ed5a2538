"""A broker outage on the real broker, with the services as processes (issue 27).

- The feed-watcher polls on while Kafka is down: its feeds are polled at their interval and their new entries
  land in the outbox; when Kafka is back, each is published once.
- The outage is two WARNING lines per process (lost, back), not a flood of aiokafka ERRORs.
"""

import asyncio
import re
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from radar_api import service
from radar_feed_watcher import store
from radar_shared.db import as_utc, session_scope
from radar_shared.models import FeedState, SeenEntry
from radar_shared.topics import ARTICLES_DISCOVERED
from tests.integration.test_broker_faults import cleanup
from tests.support.events import read_events
from tests.support.feeds import rss
from tests.support.services import ServiceProcess, service_env, wait_for
from tests.support.sinks import FeedServer

pytestmark = pytest.mark.kafka

OUTAGE_SECONDS = 10
CONSOLE_LINE = re.compile(r"^\d\d:\d\d:\d\d (\w+)\s")


def items(n: int) -> bytes:
    return rss([{"title": f"Story {i}", "text": "t", "link": f"https://news.example/{i}"} for i in range(n)])


def last_poll(db: str) -> datetime:
    with session_scope(db) as s:
        state = s.exec(select(FeedState)).one()
        return as_utc(state.last_poll_at) or datetime.min.replace(tzinfo=UTC)


def stored(db: str) -> int:
    with session_scope(db) as s:
        return len(s.exec(select(SeenEntry.id)).all())


def levels(log: Path) -> Counter:
    return Counter(m.group(1) for line in log.read_text(errors="replace").splitlines() if (m := CONSOLE_LINE.match(line)))


def test_polls_go_on_while_kafka_is_down_and_the_outage_is_two_warnings_not_a_flood(fresh_kafka, sqlite_url: str, tmp_path: Path) -> None:
    feeds = FeedServer().start()
    feeds.feeds["/feed.xml"] = items(1)
    service.add_feed(sqlite_url, feeds.url("/feed.xml"), "feed", allowed_networks=["127.0.0.0/8:1024-65535"])
    env = service_env(sqlite_url, fresh_kafka.bootstrap, FEED_WATCHER_POLL_INTERVAL_SECONDS="1", FEED_WATCHER_MIN_INTERVAL_SECONDS="1")
    with cleanup(tmp_path, feeds.stop) as procs:
        procs += [ServiceProcess("feed-watcher", env, tmp_path / "feed-watcher.log").start(120), ServiceProcess("classifier", env, tmp_path / "classifier.log").start(120)]
        wait_for(lambda: stored(sqlite_url) == 1 and store.unpublished(sqlite_url) == [], 60, "the first entry published")
        fresh_kafka.pause()
        down = datetime.now(UTC)
        started = time.monotonic()
        for n in (2, 3, 4):
            feeds.feeds["/feed.xml"] = items(n)
            wait_for(lambda n=n: stored(sqlite_url) == n, 20, f"entry {n} stored while Kafka is down")
        assert len(store.unpublished(sqlite_url)) == 3, "the new entries wait in the outbox"
        polled = last_poll(sqlite_url)
        assert polled > down
        wait_for(lambda: time.monotonic() - started >= OUTAGE_SECONDS and last_poll(sqlite_url) > polled, OUTAGE_SECONDS + 10,
                 f"a poll {OUTAGE_SECONDS} s into the outage")
        fresh_kafka.resume()
        wait_for(lambda: store.unpublished(sqlite_url) == [], 90, "the outbox published once Kafka is back")
        titles = Counter(e["article"]["title"] for e in asyncio.run(read_events(fresh_kafka.bootstrap, ARTICLES_DISCOVERED)))
        assert titles == Counter({f"Story {i}": 1 for i in range(4)}), titles
        for proc in procs:
            wait_for(lambda proc=proc: "reachable again" in proc.log_path.read_text(errors="replace"), 60, f"{proc.name} to see the broker back")
    for proc in procs:
        counts = levels(proc.log_path)
        assert counts["ERROR"] == 0 and counts["CRITICAL"] == 0, (proc.name, counts, proc.log_path.read_text()[-5000:])
        assert counts["WARNING"] <= 5, (proc.name, counts, proc.log_path.read_text()[-5000:])
