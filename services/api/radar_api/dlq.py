"""`radar dlq list|replay`: the dead-letter topics, read and replayed (IO).

Replay re-publishes each dead letter to its source topic (header `x-radar-source-topic`) with its key, and
commits its progress in the consumer group `radar-dlq-replay`: a message is replayed once, however often the
command runs. A message that is still poison goes back to the DLQ, where it shows up again as a new entry.
"""

from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from radar_shared.broker import kafka_client_options
from radar_shared.topics import CONSUMED, dlq

REPLAY_GROUP = "radar-dlq-replay"


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def source_topic(self) -> str:
        return self.headers.get("x-radar-source-topic") or self.topic.removesuffix(".dlq")


async def _read(consumer: AIOKafkaConsumer, partitions: list[TopicPartition], start: dict[TopicPartition, int]) -> list[DeadLetter]:
    end = await consumer.end_offsets(partitions)
    for tp in partitions:
        consumer.seek(tp, start[tp])
    out: list[DeadLetter] = []
    while any([await consumer.position(tp) < end[tp] for tp in partitions]):
        for records in (await consumer.getmany(timeout_ms=2000)).values():
            for r in records:
                if r.offset < end[TopicPartition(r.topic, r.partition)]:
                    headers = {k: (v or b"").decode("utf-8", "replace") for k, v in (r.headers or ())}
                    out.append(DeadLetter(r.topic, r.partition, r.offset, r.key, r.value or b"", headers))
    return sorted(out, key=lambda d: (d.topic, d.partition, d.offset))


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    await consumer._client.force_metadata_update()  # noqa: SLF001
    return [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or [])]


class UnknownTopicError(ValueError):
    """--topic names no topic that has dead letters. The message names the field and the topics there are."""


def dlq_topics(topic: str | None) -> list[str]:
    """The dead-letter topics of `topic` (a consumed topic or its DLQ), or of all consumed topics."""
    topics = [dlq(t) for t in CONSUMED if topic in (None, t, dlq(t))]
    if not topics:
        raise UnknownTopicError(f"topic: no dead letters are kept for {topic!r}; topics: {', '.join(CONSUMED)} (or their .dlq)")
    return topics


async def list_dead_letters(bootstrap: str, topic: str | None = None) -> list[DeadLetter]:
    topics = dlq_topics(topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **kafka_client_options())
    try:
        await consumer.start()
        partitions = await _partitions(consumer, topics)
        consumer.assign(partitions)
        begin = await consumer.beginning_offsets(partitions)
        return await _read(consumer, partitions, begin)
    finally:
        await consumer.stop()


async def replay(bootstrap: str, topic: str | None = None, dry_run: bool = False) -> list[DeadLetter]:
    """Re-publish the dead letters not replayed before; return them."""
    topics = dlq_topics(topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=REPLAY_GROUP, enable_auto_commit=False, **kafka_client_options(), auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **kafka_client_options())
    try:
        await consumer.start()
        await producer.start()
        partitions = await _partitions(consumer, topics)
        consumer.assign(partitions)
        begin = await consumer.beginning_offsets(partitions)
        start = {}
        for tp in partitions:
            committed = await consumer.committed(tp)
            start[tp] = committed if committed is not None else begin[tp]
        letters = await _read(consumer, partitions, start)
        if dry_run:
            return letters
        for letter in letters:
            headers = [(k, v.encode()) for k, v in letter.headers.items() if not k.startswith("x-radar-")] + [("x-radar-replayed-from", f"{letter.topic}:{letter.partition}:{letter.offset}".encode())]
            await producer.send_and_wait(letter.source_topic, letter.value, key=letter.key, headers=headers)
            await consumer.commit({TopicPartition(letter.topic, letter.partition): OffsetAndMetadata(letter.offset + 1, "")})
        return letters
    finally:
        await producer.stop()
        await consumer.stop()
