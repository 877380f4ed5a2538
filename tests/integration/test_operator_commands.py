"""radar dlq list|replay on the real broker, and radar subscriptions test against a real SMTP server."""

import asyncio
import json

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from click.testing import CliRunner

from radar_api import service
from radar_api.cli import main
from radar_shared.topics import ARTICLES_CLASSIFIED, dlq
from tests.support.notifier import SINKS, local_rules
from tests.support.sinks import SMTPSink, free_port


async def count_from(bootstrap: str, topic: str, start: dict[int, int]) -> list[bytes]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(6)]
        consumer.assign(tps)
        end = await consumer.end_offsets(tps)
        out = []
        for tp in tps:
            consumer.seek(tp, start.get(tp.partition, 0))
        while any([await consumer.position(tp) < end[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                out += [r.value for r in records]
        return out
    finally:
        await consumer.stop()


@pytest.mark.kafka
def test_dlq_list_and_replay_once(kafka, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap)

    async def setup() -> dict[int, int]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap)
        await producer.start()
        consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap)
        await consumer.start()
        try:
            tps = [TopicPartition(ARTICLES_CLASSIFIED, p) for p in range(6)]
            before = {tp.partition: o for tp, o in (await consumer.end_offsets(tps)).items()}
            headers = [("x-radar-error", b"ValidationError: field 'tags' missing"), ("x-radar-source-topic", ARTICLES_CLASSIFIED.encode()),
                       ("x-radar-service", b"notifier"), ("x-radar-attempts", b"1")]
            await producer.send_and_wait(dlq(ARTICLES_CLASSIFIED), b'{"article": {}}', key=b"k1", headers=headers)
            return before
        finally:
            await consumer.stop()
            await producer.stop()

    before = asyncio.run(setup())
    listed = CliRunner().invoke(main, ["dlq", "list"])
    assert listed.exit_code == 0 and "ValidationError: field 'tags' missing" in listed.output and "from notifier" in listed.output
    first = CliRunner().invoke(main, ["dlq", "replay"])
    assert first.exit_code == 0 and f"→ {ARTICLES_CLASSIFIED}" in first.output
    again = CliRunner().invoke(main, ["dlq", "replay"])
    assert "replayed" not in again.stdout, "each dead letter is replayed once"
    assert asyncio.run(count_from(kafka.bootstrap, ARTICLES_CLASSIFIED, before)) == [b'{"article": {}}']


def test_subscriptions_test_sends_and_reports(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("NOTIFIER_ALLOWED_NETWORKS", json.dumps(SINKS))  # the CLI sends as the notifier does: the SMTP server is local
    smtp = SMTPSink().start()
    try:
        ok_sub = service.add_subscription(database_url, f"mailto://127.0.0.1:{smtp.port}?to=a@example.com&from=radar@example.com", ["dprk-sanctions"], [], 0.0, local_rules("mailto"))
        down = service.add_subscription(database_url, f"mailto://127.0.0.1:{free_port()}?to=b@example.com&from=radar@example.com", ["dprk-sanctions"], [], 0.0, local_rules("mailto"))
        ok = CliRunner().invoke(main, ["subscriptions", "test", str(ok_sub.id)])
        assert ok.exit_code == 0 and json.loads(ok.output)["ok"] is True
        assert "Radar test alert" in smtp.snapshot()[0].subject
        failed = CliRunner().invoke(main, ["subscriptions", "test", str(down.id)])
        assert failed.exit_code == 1 and "Connection error" in failed.output
        missing = CliRunner().invoke(main, ["subscriptions", "test", "999"])
        assert missing.exit_code == 2 and "does not exist" in missing.output
    finally:
        smtp.stop()
