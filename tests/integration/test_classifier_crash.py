"""A classifier killed with SIGKILL in the middle of its batches loses no article.

The classifier publishes a batch's events without waiting for each acknowledgement and commits the batch's
offsets only once all of them are acknowledged. So whatever a SIGKILL interrupts (classifying, publishing,
waiting for acknowledgements, the grouped commit), the restarted classifier reads again every article whose
event is not durable yet: each article's ArticleClassified is on the topic at least once. It runs with a worker
process (CLASSIFIER_WORKERS=1), which classifies part of each batch and exits with the killed service.
"""

import asyncio
import signal
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from radar_shared.messages import Article, ArticleDiscovered
from radar_shared.topics import ARTICLES_CLASSIFIED, ARTICLES_DISCOVERED
from tests.support.events import read_events
from tests.support.services import ServiceProcess, service_env, wait_for

pytestmark = pytest.mark.kafka

ARTICLES = 3000
TEXT = "North Korea evaded UN sanctions by shipping coal to China in ship-to-ship transfers, a UN panel said."


async def produce_articles(bootstrap: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        acks = []
        for n in range(count):
            article = Article(article_id=f"crash{n}", story_id=f"crash-story-{n}", feed_id=1, feed_url="https://f.example/rss", entry_key=f"k{n}",
                              url=f"https://news.example/crash/{n}", title=f"North Korea ships coal despite sanctions ({n})", text=TEXT, lang="en")
            acks.append(await producer.send(ARTICLES_DISCOVERED, ArticleDiscovered(article=article).model_dump_json().encode(), key=article.article_id.encode()))
        await asyncio.gather(*acks)
    finally:
        await producer.stop()


def children(pid: int) -> list[int]:
    return [int(c) for task in Path(f"/proc/{pid}/task").glob("*") for c in (task / "children").read_text().split()]


def state(pid: int) -> str:
    try:
        return next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:"))
    except (OSError, StopIteration):
        return "zombie (gone)"


async def committed(bootstrap: str) -> int:
    """Articles the classifier group has committed on articles.discovered.v1."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets("classifier")
        return sum(meta.offset for tp, meta in offsets.items() if tp.topic == ARTICLES_DISCOVERED and meta.offset > 0)
    finally:
        await admin.close()


def test_a_classifier_killed_mid_stream_publishes_every_article_at_least_once(fresh_kafka, sqlite_url: str, tmp_path: Path) -> None:
    bootstrap = fresh_kafka.bootstrap
    env = service_env(sqlite_url, bootstrap, CLASSIFIER_BATCH_SIZE="50", CLASSIFIER_WORKERS="1", LOG_LEVEL="WARNING")
    asyncio.run(produce_articles(bootstrap, ARTICLES))
    first = ServiceProcess("classifier", env, tmp_path / "classifier-1.log").start()
    try:
        wait_for(lambda: asyncio.run(committed(bootstrap)) > 0, 120, "the classifier to commit its first batch")
        workers = children(first.proc.pid)  # type: ignore[union-attr]  # its worker process (and multiprocessing's resource tracker)
        assert workers, "CLASSIFIER_WORKERS=1 starts a worker process"
    finally:
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    wait_for(lambda: not [pid for pid in workers if Path(f"/proc/{pid}").exists() and "zombie" not in state(pid)], 10,
             f"the killed classifier's worker processes {workers} to exit")
    at_kill = asyncio.run(committed(bootstrap))
    assert at_kill < ARTICLES, f"the classifier had committed all {ARTICLES} articles before the kill: the test proved nothing"

    second = ServiceProcess("classifier", env, tmp_path / "classifier-2.log").start()
    try:
        wait_for(lambda: asyncio.run(committed(bootstrap)) >= ARTICLES, 300, "the restarted classifier to commit every article")
    finally:
        second.stop()

    published = Counter(e["article"]["article_id"] for e in asyncio.run(read_events(bootstrap, ARTICLES_CLASSIFIED)))
    missing = {f"crash{n}" for n in range(ARTICLES)} - set(published)
    assert not missing, f"{len(missing)} articles lost across the SIGKILL (committed {at_kill} at the kill), e.g. {sorted(missing)[:5]}"
