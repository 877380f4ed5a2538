"""Events on the real broker: classified articles produced for the notifier, and what a topic holds."""

import json
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from radar_shared.messages import Article, ArticleClassified, Snippet, Span, Tag
from radar_shared.topics import ARTICLES_CLASSIFIED


async def produce_classified(bootstrap: str, count: int, prefix: str = "out") -> None:
    """`count` articles tagged dprk-sanctions on articles.classified.v1, one story each."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(count):
            article = Article(article_id=f"{prefix}{n}", story_id=f"{prefix}-story-{n}", feed_id=1, feed_url="https://f.example/rss", entry_key=f"k{n}",
                              url=f"https://news.example/{prefix}/{n}", title=f"{prefix} story {n}", text="", source="news.example")
            tag = Tag(tag="dprk-sanctions", score=0.9, snippets=[Snippet(text="North Korea sanctions", highlights=[Span(start=0, end=11)])])
            event = ArticleClassified(article=article, tags=[tag], classifier_version="rules:test", discovered_at=datetime.now(UTC))
            await producer.send_and_wait(ARTICLES_CLASSIFIED, event.model_dump_json().encode(), key=article.article_id.encode())
    finally:
        await producer.stop()


async def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes, dict[str, bytes]]]:
    """Every message the topic holds now: (key, value, headers)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await consumer._client._wait_on_metadata(topic) or ())]  # noqa: SLF001
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        out = []
        while [tp for tp in partitions if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                out += [(r.key, r.value, dict(r.headers)) for r in records]
        return out
    finally:
        await consumer.stop()


async def read_events(bootstrap: str, topic: str) -> list[dict]:
    return [json.loads(value) for _, value, _ in await read_topic(bootstrap, topic)]
