"""Consumer lag and dead-letter counts for the status page and `radar status` (IO)."""

import time
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from radar_shared.broker import kafka_client_options
from radar_shared.topics import ALERTS_DELIVERED, ARTICLES_CLASSIFIED, ARTICLES_DISCOVERED, CONSUMED, dlq

GROUPS = {"classifier": [CONSUMED[0]], "notifier": [CONSUMED[1]]}


@dataclass(frozen=True)
class Lag:
    group: str
    topic: str
    partition: int
    committed: int | None
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


@dataclass(frozen=True)
class KafkaStatus:
    lags: list[Lag]
    dead_letters: dict[str, int]  # DLQ topic → messages in it
    error: str | None = None
    last_hour: dict[str, int] = field(default_factory=dict)  # topic → messages published in the last hour
    per_hour: dict[str, list[int]] = field(default_factory=dict)  # topic → messages in each of the last 24 clock hours, oldest first
    hours_from: float = 0.0  # the start of the first of those hours (epoch seconds)


HOURS = 24


def hour_starts(now: float, hours: int = HOURS) -> list[float]:
    """The starts of the last `hours` clock hours, oldest first; the last is the current hour's (epoch seconds)."""
    current = now - now % 3600
    return [current - 3600 * (hours - 1 - i) for i in range(hours)]


def _or(offset: int | None, default: int) -> int:
    return default if offset is None else offset


def counts_between(boundaries: list[dict], end: dict) -> list[int]:
    """Messages between consecutive offsets: `boundaries` are the first offsets at or after each hour's start
    (per partition, None when no message is that recent), `end` the end offsets."""
    out = []
    for i, at in enumerate(boundaries):
        following = boundaries[i + 1] if i + 1 < len(boundaries) else end
        out.append(sum(_or(following.get(tp), end[tp]) - _or(at.get(tp), end[tp]) for tp in end))
    return out


async def kafka_status(bootstrap: str, timeout_ms: int = 5000) -> KafkaStatus:
    """Lag per consumer group and partition, and DLQ sizes; an unreachable broker is reported, not raised."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout_ms, **kafka_client_options())
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, request_timeout_ms=timeout_ms, **kafka_client_options())
    try:
        await admin.start()
        await consumer.start()
        await consumer._client.force_metadata_update()  # noqa: SLF001
        lags = []
        for group, topics in GROUPS.items():
            committed = await admin.list_consumer_group_offsets(group)
            partitions = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or [])]
            end = await consumer.end_offsets(partitions) if partitions else {}
            for tp in partitions:
                offset = committed.get(tp)
                lags.append(Lag(group, tp.topic, tp.partition, offset.offset if offset else None, end[tp]))
        dead: dict[str, int] = {}
        for topic in (dlq(t) for t in CONSUMED):
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
            if partitions:
                end, begin = await consumer.end_offsets(partitions), await consumer.beginning_offsets(partitions)
                dead[topic] = sum(end[tp] - begin[tp] for tp in partitions)
        now = time.time()
        hour_ago = int((now - 3600) * 1000)
        starts = hour_starts(now)
        last_hour: dict[str, int] = {}
        per_hour: dict[str, list[int]] = {}
        traffic = {topic: [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
                   for topic in (ARTICLES_DISCOVERED, ARTICLES_CLASSIFIED, ALERTS_DELIVERED)}
        partitions = [tp for tps in traffic.values() for tp in tps]
        if partitions:
            end = await consumer.end_offsets(partitions)
            since = await consumer.offsets_for_times({tp: hour_ago for tp in partitions})
            boundaries = []
            for start in starts:  # one request per hour for every topic's partitions
                found = await consumer.offsets_for_times({tp: int(start * 1000) for tp in partitions})
                boundaries.append({tp: (found[tp].offset if found.get(tp) else None) for tp in partitions})
            for topic, tps in traffic.items():
                if tps:
                    last_hour[topic] = sum(end[tp] - (since[tp].offset if since.get(tp) else end[tp]) for tp in tps)
                    per_hour[topic] = counts_between([{tp: b[tp] for tp in tps} for b in boundaries], {tp: end[tp] for tp in tps})
        return KafkaStatus(lags, dead, None, last_hour, per_hour, starts[0])
    except Exception as error:  # noqa: BLE001 - the page shows the broker's state, whatever it is
        return KafkaStatus([], {}, f"{type(error).__name__}: {error}")
    finally:
        await consumer.stop()
        await admin.close()
