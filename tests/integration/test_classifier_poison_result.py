"""One article whose classified event Kafka cannot take (5 MB of text, sent gzip-compressed so the input itself
fits) is dead-lettered alone, with the reason; its batch-mates are published once each and committed. It used
to fail its batch five times: good articles were published again and again, and all went to the DLQ."""

import asyncio
import signal
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from radar_shared.messages import Article, ArticleDiscovered
from radar_shared.topics import ARTICLES_CLASSIFIED, ARTICLES_DISCOVERED, dlq
from tests.integration.test_classifier_crash import committed
from tests.support.events import read_events, read_topic
from tests.support.services import ServiceProcess, service_env, wait_for

pytestmark = pytest.mark.kafka
SENTENCE = "North Korea evaded UN sanctions by shipping coal to China in ship-to-ship transfers, a UN panel said. "
GOOD = [f"good{n}" for n in range(6)]


def discovered(article_id: str, text: str) -> bytes:
    article = Article(article_id=article_id, story_id=f"story-{article_id}", feed_id=1, feed_url="https://f.example/rss", entry_key=article_id,
                      url=f"https://news.example/{article_id}", title="North Korea ships coal despite sanctions", text=text, lang="en")
    return ArticleDiscovered(article=article).model_dump_json().encode()


async def produce_batch(bootstrap: str) -> None:
    """Four good articles, the poison, two good ones, keyed by article_id as the feed-watcher does, on one
    partition, so one batch, in this order."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", compression_type="gzip", max_request_size=16_000_000, linger_ms=50)
    await producer.start()
    try:
        ids = [*GOOD[:4], "poison", *GOOD[4:]]
        acks = [await producer.send(ARTICLES_DISCOVERED, discovered(i, SENTENCE * (50_000 if i == "poison" else 1)), key=i.encode(), partition=0) for i in ids]
        await asyncio.gather(*acks)
    finally:
        await producer.stop()


def test_an_unpublishable_result_is_dead_lettered_alone_and_its_batch_mates_published_once(fresh_kafka, sqlite_url: str, tmp_path: Path) -> None:
    bootstrap = fresh_kafka.bootstrap
    asyncio.run(produce_batch(bootstrap))
    classifier = ServiceProcess("classifier", service_env(sqlite_url, bootstrap, CLASSIFIER_BATCH_SIZE="50", LOG_LEVEL="WARNING"), tmp_path / "classifier.log").start()
    try:
        wait_for(lambda: asyncio.run(committed(bootstrap)) >= 7, 120, "the classifier to commit the batch of seven")
    finally:
        classifier.stop()
    published = Counter(e["article"]["article_id"] for e in asyncio.run(read_events(bootstrap, ARTICLES_CLASSIFIED)))
    assert published == Counter({i: 1 for i in GOOD}), f"each good article once on {ARTICLES_CLASSIFIED}, the poison never: {published}\n{(tmp_path / 'classifier.log').read_text()[-3000:]}"
    dead = asyncio.run(read_topic(bootstrap, dlq(ARTICLES_DISCOVERED)))
    assert len(dead) == 1, f"the poison alone in the DLQ: {[(h.get('x-radar-error'), len(v)) for _, v, h in dead]}"
    error = dead[0][2]["x-radar-error"].decode()
    assert "poison" in error and "max request size" in error, error
    assert dead[0][2]["x-radar-attempts"] == b"1", "dead-lettered at once, not after the batch failed five times"


async def produce_stream(bootstrap: str, count: int) -> None:
    """`count` good articles with the poison in the middle, spread over the partitions."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", compression_type="gzip", max_request_size=16_000_000, linger_ms=5)
    await producer.start()
    try:
        ids = [f"s{n}" for n in range(count)]
        ids.insert(count // 2, "poison")
        acks = [await producer.send(ARTICLES_DISCOVERED, discovered(i, SENTENCE * (50_000 if i == "poison" else 1)), key=i.encode()) for i in ids]
        await asyncio.gather(*acks)
    finally:
        await producer.stop()


def test_a_classifier_killed_mid_stream_loses_no_article_and_dead_letters_the_poison_alone(fresh_kafka, sqlite_url: str, tmp_path: Path) -> None:
    bootstrap, count = fresh_kafka.bootstrap, 1500
    asyncio.run(produce_stream(bootstrap, count))
    env = service_env(sqlite_url, bootstrap, CLASSIFIER_BATCH_SIZE="50", LOG_LEVEL="WARNING")
    first = ServiceProcess("classifier", env, tmp_path / "classifier-1.log").start()
    try:
        wait_for(lambda: asyncio.run(committed(bootstrap)) > 0, 120, "the classifier to commit its first batch")
    finally:
        assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    at_kill = asyncio.run(committed(bootstrap))
    assert at_kill < count + 1, "the classifier had committed everything before the kill: the test proved nothing"
    second = ServiceProcess("classifier", env, tmp_path / "classifier-2.log").start()
    try:
        wait_for(lambda: asyncio.run(committed(bootstrap)) >= count + 1, 300, "the restarted classifier to commit every article")
    finally:
        second.stop()
    published = Counter(e["article"]["article_id"] for e in asyncio.run(read_events(bootstrap, ARTICLES_CLASSIFIED)))
    missing = {f"s{n}" for n in range(count)} - set(published)
    assert not missing, f"{len(missing)} articles lost across the SIGKILL (committed {at_kill} at the kill), e.g. {sorted(missing)[:5]}"
    assert "poison" not in published
    dead = [h for k, _, h in asyncio.run(read_topic(bootstrap, dlq(ARTICLES_DISCOVERED)))]
    assert dead and all(b"poison" in h["x-radar-error"] for h in dead), f"only the poison is dead-lettered: {[h.get('x-radar-error') for h in dead]}"
    # at least once (decision 002): a kill between its dead letter and the commit sends it again, from the same offset
    assert len({(h["x-radar-source-partition"], h["x-radar-source-offset"]) for h in dead}) == 1
