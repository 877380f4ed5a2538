"""Readiness check and topic creation for deploy/kafka.sh, with aiokafka's admin client.

    python deploy/kafka_admin.py wait --bootstrap 127.0.0.1:9092 --timeout 60
    python deploy/kafka_admin.py create-topics --bootstrap 127.0.0.1:9092 --partitions 6
    python deploy/kafka_admin.py leaders --bootstrap 127.0.0.1:9092 [--topic articles.classified.v1]
    python deploy/kafka_admin.py create-topics --bootstrap 127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096 \
        --partitions 6 --replication-factor 3 --min-insync-replicas 2

With replication factor 3 and min.insync.replicas 2, a write with acks=all is on two brokers before the
producer hears of it, and the topic keeps taking writes while one broker is down.
"""

import argparse
import asyncio
import logging
import sys
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from radar_shared.topics import ALL_TOPICS


async def wait(bootstrap: str, timeout: float, brokers: int = 1) -> bool:
    """True once the broker at `bootstrap` answers and knows of at least `brokers` live brokers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            if len(cluster.get("brokers", ())) >= brokers:
                return True
            await asyncio.sleep(0.5)
        except (KafkaError, OSError):
            await asyncio.sleep(0.5)
        finally:
            await admin.close()
    return False


async def create_topics(
    bootstrap: str, partitions: int, topics: tuple[str, ...] = ALL_TOPICS, replication_factor: int = 1, min_insync_replicas: int = 1
) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    configs = {"min.insync.replicas": str(min_insync_replicas)}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap.split(","))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        for topic in missing:
            try:
                await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor, topic_configs=configs)])
            except TopicAlreadyExistsError:
                pass
        return missing
    finally:
        await admin.close()


async def leaders(bootstrap: str, topics: tuple[str, ...] = ALL_TOPICS) -> dict[int, int]:
    """How many partitions of `topics` each broker leads, busiest first (leader -1: no leader now)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap.split(","))
    await admin.start()
    try:
        counts: dict[int, int] = {}
        for topic in await admin.describe_topics(list(topics)):
            for partition in topic["partitions"]:
                counts[partition["leader"]] = counts.get(partition["leader"], 0) + 1
        return dict(sorted(counts.items(), key=lambda item: -item[1]))
    finally:
        await admin.close()


def main() -> int:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait")
    w.add_argument("--bootstrap", required=True)
    w.add_argument("--timeout", type=float, default=60)
    w.add_argument("--brokers", type=int, default=1, help="wait until this many brokers are registered")
    c = sub.add_parser("create-topics")
    c.add_argument("--bootstrap", required=True)
    c.add_argument("--partitions", type=int, default=6)
    c.add_argument("--replication-factor", type=int, default=1)
    c.add_argument("--min-insync-replicas", type=int, default=1)
    ld = sub.add_parser("leaders", help="partitions led by each broker (node id, count), busiest first")
    ld.add_argument("--bootstrap", required=True)
    ld.add_argument("--topic", action="append", help="only these topics (default: all of Radar's)")
    args = parser.parse_args()
    if args.cmd == "leaders":
        for node, count in asyncio.run(leaders(args.bootstrap, tuple(args.topic or ALL_TOPICS))).items():
            print(node, count)
        return 0
    if args.cmd == "wait":
        ok = asyncio.run(wait(args.bootstrap, args.timeout, args.brokers))
        if not ok:
            print(f"kafka_admin: no broker accepts clients at {args.bootstrap}", file=sys.stderr)
        return 0 if ok else 1
    created = asyncio.run(create_topics(args.bootstrap, args.partitions, replication_factor=args.replication_factor, min_insync_replicas=args.min_insync_replicas))
    print(f"kafka_admin: created {len(created)} topic(s): {', '.join(created) or 'none missing'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
