"""One article whose classified event Kafka cannot take (5 MB of text, sent gzip-compressed so the input itself
fits) is dead-lettered alone, with the reason; its batch-mates are published once each and committed. It used
to fail its batch five times: good articles were published again and again, and all went to the DLQ."""

import asyncio
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
