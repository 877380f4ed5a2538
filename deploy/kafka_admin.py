"""Readiness check and topic creation for deploy/kafka.sh, with aiokafka's admin client.

    python deploy/kafka_admin.py wait --bootstrap 127.0.0.1:9092 --timeout 60
    python deploy/kafka_admin.py create-topics --bootstrap 127.0.0.1:9092 --partitions 6
"""

import argparse
import asyncio
import logging
import sys
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from radar_shared.topics import ALL_TOPICS


async def wait(bootstrap: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            await admin.describe_cluster()
            return True
        except (KafkaError, OSError):
            await asyncio.sleep(0.5)
        finally:
            await admin.close()
    return False


async def create_topics(bootstrap: str, partitions: int, topics: tuple[str, ...] = ALL_TOPICS) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        for topic in missing:
            try:
                await admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
            except TopicAlreadyExistsError:
                pass
        return missing
    finally:
        await admin.close()


def main() -> int:
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait")
    w.add_argument("--bootstrap", required=True)
    w.add_argument("--timeout", type=float, default=60)
    c = sub.add_parser("create-topics")
    c.add_argument("--bootstrap", required=True)
    c.add_argument("--partitions", type=int, default=6)
    args = parser.parse_args()
    if args.cmd == "wait":
        ok = asyncio.run(wait(args.bootstrap, args.timeout))
        if not ok:
            print(f"kafka_admin: no broker accepts clients at {args.bootstrap}", file=sys.stderr)
        return 0 if ok else 1
    created = asyncio.run(create_topics(args.bootstrap, args.partitions))
    print(f"kafka_admin: created {len(created)} topic(s): {', '.join(created) or 'none missing'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
