"""Publishing a batch's classification results (IO: Kafka).

A batch's tagged articles are published without waiting for each acknowledgement; the batch is done, and its
offsets are queued for commit, only when every one of them is acknowledged (acks=all), so an offset is never
committed before its article's event is durable. A crash re-reads at most the batches whose offsets were not
committed yet, and the notifier's delivery log makes the repeats harmless.

A result Kafka will never take (larger than the producer's max request size, checked before it is sent, or
refused by the broker with an error no retry cures) is not an error of its batch: its input record alone is
dead-lettered with the reason, and its batch-mates are published once and committed. A retriable publish error
(the broker away) still fails the batch, which is read again.
"""

import asyncio
import logging
from collections.abc import AsyncIterator

from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.publisher import DefaultPublisher
from prometheus_client import Counter

from radar_classifier.workers import Result
from radar_shared.broker import UnpublishableError, dead_letter_alone, publish_refusal, record_with_key, refused_for_good
from radar_shared.messages import ArticleDiscovered

log = logging.getLogger("radar.classifier")
JSON = {"content-type": "application/json"}  # the events go out as the JSON the classification made
Acks = list[tuple[ArticleDiscovered, object]]
Refused = list[tuple[ArticleDiscovered, BaseException]]


class ResultPublisher:
    """Publishes results to articles.classified.v1, counts their tags, and dead-letters the records Kafka refuses."""

    def __init__(self, broker: KafkaBroker, publisher: DefaultPublisher, tags_total: Counter) -> None:
        self.broker = broker
        self.publisher = publisher
        self.tags_total = tags_total

    async def publish_batch(self, events: list[ArticleDiscovered], chunks: AsyncIterator[tuple[int, list[Result]]], msg: KafkaMessage) -> int:
        """Publish each chunk's results as it comes, wait until all are durable, dead-letter the refused; the
        number of tagged articles published."""
        acks: Acks = []
        refused: Refused = []
        async for start, results in chunks:  # the first chunks go out while the rest are classified
            await self.publish_results(events[start : start + len(results)], results, acks, refused)
        await settle(acks, refused)  # durable before the offsets are committed
        await self.dead_letter_refused(msg, refused)
        return len(acks) - len(refused)

    async def publish_results(self, events: list[ArticleDiscovered], results: list[Result], acks: Acks, refused: Refused) -> None:
        """Publish the tagged articles' events without waiting for their acknowledgements (collected in `acks`); a
        result the producer would refuse goes to `refused` instead."""
        for event, result in zip(events, results, strict=True):
            if result is None:
                log.debug("article classified", extra={"article_id": event.article.article_id, "tags": []})
                continue
            body, tags = result
            key = event.article.article_id.encode()
            if (too_large := publish_refusal(self.broker, key, body, JSON)) is not None:
                refused.append((event, too_large))
                continue
            try:
                acks.append((event, await self.publisher.publish(body, key=key, headers=JSON, no_confirm=True)))
            except Exception as error:
                if not refused_for_good(error):
                    raise
                refused.append((event, error))
                continue
            for kind, tag in tags:
                self.tags_total.labels(kind, tag if kind == "topic" else kind).inc()
            log.debug("article classified", extra={"article_id": event.article.article_id, "tags": [tag for _, tag in tags]})

    async def dead_letter_refused(self, msg: KafkaMessage, refused: Refused) -> None:
        """Each refused result's input record to the dead-letter topic, alone, with why Kafka would not take it."""
        records = msg.raw_message if isinstance(msg.raw_message, tuple | list) else (msg.raw_message,)
        taken: set[int] = set()
        for event, error in refused:
            article_id = event.article.article_id
            record = record_with_key(records, article_id.encode(), str(event.event_id), taken)
            if record is None:  # keyed otherwise than by article_id: the batch cannot be split, it fails as a whole
                raise UnpublishableError(f"article {article_id}: its classified event cannot be published ({error}) and no record of the batch has its key")
            log.error("classified event cannot be published; its article is dead-lettered", extra={"article_id": article_id, "error": f"{type(error).__name__}: {error}"})
            await dead_letter_alone(self.broker, record, UnpublishableError(f"articles.classified.v1 event of article {article_id}: {type(error).__name__}: {error}"))


async def settle(acks: Acks, refused: Refused) -> None:
    """Wait for every acknowledgement. One the broker refused for good goes to `refused`; any other error (the
    broker away) fails the batch, which is read again."""
    pending = [(event, ack) for event, ack in acks if asyncio.isfuture(ack)]
    outcomes = await asyncio.gather(*(ack for _, ack in pending), return_exceptions=True)
    for (event, _), outcome in zip(pending, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            if not refused_for_good(outcome):
                raise outcome
            refused.append((event, outcome))
