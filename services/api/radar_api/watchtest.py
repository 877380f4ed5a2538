"""`radar watches test`: which recent articles a query would have matched, and why, before it is saved.

Recent articles are the last messages of `articles.discovered.v1` (or a JSON Lines file), read here; the query
runs through the classifier's own matcher, behind its face (`radar_classifier.operator.match_query`).
"""

import json
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import ValidationError

from radar_shared.broker import kafka_client_options
from radar_shared.messages import Article
from radar_shared.topics import ARTICLES_DISCOVERED

__all__ = ["articles_from_lines", "recent_articles"]


async def recent_articles(bootstrap: str, limit: int) -> list[Article]:
    """The last `limit` articles discovered (spread over the partitions), newest last."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, request_timeout_ms=10_000, **kafka_client_options())
    try:
        await consumer.start()
        partitions = [TopicPartition(ARTICLES_DISCOVERED, p) for p in sorted(consumer.partitions_for_topic(ARTICLES_DISCOVERED) or [])]
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001
            partitions = [TopicPartition(ARTICLES_DISCOVERED, p) for p in sorted(consumer.partitions_for_topic(ARTICLES_DISCOVERED) or [])]
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        begin = await consumer.beginning_offsets(partitions)
        per_partition = max(1, limit // max(1, len(partitions)))
        for tp in partitions:
            consumer.seek(tp, max(begin[tp], end[tp] - per_partition))
        records: list[Any] = []
        while any([await consumer.position(tp) < end[tp] for tp in partitions]):
            for batch in (await consumer.getmany(timeout_ms=2000)).values():
                records += batch
        articles = []
        for record in sorted(records, key=lambda r: r.timestamp):
            try:
                articles.append(Article.model_validate(json.loads(record.value)["article"]))
            except (ValueError, KeyError, TypeError):
                continue  # a poison message is not an article; it is the DLQ's business
        return articles[-limit:]
    finally:
        await consumer.stop()


def articles_from_lines(lines: Iterable[str]) -> list[Article]:
    """Articles from JSON Lines ({"title", "text", optional "id", "url", "lang"}); ValueError naming the line."""
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
            out.append(Article(article_id=str(item.get("id", number)), story_id=str(item.get("id", number)), feed_id=0, feed_url="", entry_key="",
                               url=item.get("url", ""), title=item.get("title", ""), text=item.get("text", ""), lang=item.get("lang")))
        except ValidationError as error:
            first = error.errors()[0]
            raise ValueError(f"file: line {number}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        except ValueError as error:  # json.JSONDecodeError too
            raise ValueError(f"file: line {number}: {error}") from None
    return out
