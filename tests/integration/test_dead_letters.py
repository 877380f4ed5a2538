"""A poison message too large for its dead-letter topic, on the real broker: an envelope naming it is
dead-lettered instead, the offset is committed, and the partition moves on (it used to be re-read for ever)."""

import asyncio
import json
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from faststream.kafka import KafkaMessage
from prometheus_client import CollectorRegistry

from radar_shared.broker import consumer_options, make_broker
from radar_shared.topics import ARTICLES_DISCOVERED, dlq
from tests.support.events import read_topic

pytestmark = pytest.mark.kafka
MAX_REQUEST = 1_048_576  # the producers' default max.request.size


def largest_value(key: bytes) -> int:
    """The largest value that a producer with default limits sends with `key` and no headers."""
    size = MAX_REQUEST
    while DefaultRecordBatchBuilder.estimate_size_in_bytes(key, b"x" * size, []) > MAX_REQUEST:
        size -= 16
    return size


async def test_a_poison_message_too_large_for_its_dlq_is_dead_lettered_as_an_envelope(kafka) -> None:
    key = f"huge-{uuid.uuid4().hex[:8]}".encode()
    poison = b"{" * largest_value(key)  # not JSON; the dead letter adds headers and no longer fits
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(ARTICLES_DISCOVERED, poison, key=key)
        await producer.send_and_wait(ARTICLES_DISCOVERED, b'"after"', key=key)  # same key, same partition, behind it
    finally:
        await producer.stop()

    registry = CollectorRegistry()
    broker = make_broker(kafka.bootstrap, "dead-letter-test", registry, max_attempts=2, retry_base_delay=0.1)
    seen: list[str] = []
    poison_reads = 0

    @broker.subscriber(ARTICLES_DISCOVERED, **{**consumer_options("dead-letter-test"), "group_id": f"dlq-test-{uuid.uuid4().hex[:8]}"})
    async def handle(body: str, msg: KafkaMessage) -> None:
        nonlocal poison_reads
        if msg.raw_message.key != key:
            return
        if body.startswith("{"):
            poison_reads += 1
            raise json.JSONDecodeError("Expecting property name", body[:10], 1)
        seen.append(body)

    async with broker:
        await broker.start()
        for _ in range(300):
            if seen:
                break
            await asyncio.sleep(0.1)
    assert seen == ["after"], "the partition moved on past the poison message"
    assert poison_reads == 1
    envelopes = [json.loads(v) for k, v, h in await read_topic(kafka.bootstrap, dlq(ARTICLES_DISCOVERED)) if k == key]
    assert len(envelopes) == 1
    envelope = envelopes[0]
    assert envelope["topic"] == ARTICLES_DISCOVERED and envelope["key"] == key.decode() and envelope["size"] == len(poison)
    assert isinstance(envelope["partition"], int) and isinstance(envelope["offset"], int)
    assert envelope["error"].startswith("JSONDecodeError") and "MessageSizeTooLargeError" in envelope["dead_letter_error"]
    assert registry.get_sample_value("radar_dead_letter_envelopes_total", {"topic": dlq(ARTICLES_DISCOVERED)}) == 1
