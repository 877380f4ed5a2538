"""The notifier's Kafka handler in memory with TestKafkaBroker: an ArticleClassified in, its deliveries recorded
and sent (FakeSender at the edge), alerts.delivered.v1 out through the outbox; a poison message to the DLQ."""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from prometheus_client import CollectorRegistry

from radar_notifier import app as notifier_app
from radar_notifier.deliver import Notifier
from radar_notifier.metrics import DeliveryMetrics
from radar_shared.db import session_scope
from radar_shared.messages import AlertDelivered, Article, ArticleClassified, Snippet, Span, Tag
from radar_shared.models import Delivery
from radar_shared.topics import ALERTS_DELIVERED, ARTICLES_CLASSIFIED, dlq
from tests.support.notifier import FakeSender, subscribe

RECEIVED: dict[str, list] = {"delivered": [], "dlq": []}


@notifier_app.broker.subscriber(ALERTS_DELIVERED, group_id="test-observer")
async def observe_delivered(event: AlertDelivered) -> None:
    RECEIVED["delivered"].append(event)


@notifier_app.broker.subscriber(dlq(ARTICLES_CLASSIFIED), group_id="test-observer")
async def observe_dlq(body: Any, message: KafkaMessage) -> None:
    RECEIVED["dlq"].append((message.body, message.headers))


def classified(n: int, tag: str = "dprk-sanctions") -> ArticleClassified:
    article = Article(article_id=f"a{n}", story_id=f"s{n}", feed_id=1, feed_url="https://f.example/rss", entry_key=f"k{n}",
                      url=f"https://news.example/{n}", title=f"Tanker {n} seized off Nampo", source="news.example")
    evidence = Snippet(text="North Korea sanctions", highlights=[Span(start=0, end=11)])
    return ArticleClassified(article=article, tags=[Tag(tag=tag, score=0.9, snippets=[evidence])], classifier_version="rules:test",
                             discovered_at=datetime.now(UTC))


@pytest.fixture
def notifier(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The app's handler and publishers, over a notifier with this test's database and a FakeSender."""
    for items in RECEIVED.values():
        items.clear()
    sender = FakeSender()
    test_notifier = Notifier(notifier_app.settings, database_url, notifier_app.publish_delivered, notifier_app.publish_failed,
                             DeliveryMetrics(CollectorRegistry()), sender=sender)  # type: ignore[arg-type]
    test_notifier.apply_subscriptions([subscribe(database_url, "mailto://mail.example?to=a@example.com&from=radar@example.com")])
    monkeypatch.setattr(notifier_app, "notifier", test_notifier)
    return test_notifier, sender


def deliveries(db: str) -> list[tuple[str, str]]:
    with session_scope(db) as s:
        return sorted((d.story_id, d.status) for d in s.query(Delivery).all())


async def test_a_classified_article_is_recorded_sent_and_reported(notifier, database_url: str) -> None:  # type: ignore[no-untyped-def]
    test_notifier, sender = notifier
    async with TestKafkaBroker(notifier_app.broker) as br:
        await br.publish(classified(1), ARTICLES_CLASSIFIED, key=b"a1")
        notifier_app.on_article_classified.mock.assert_called_once()
        await test_notifier.settle()
        assert sender.subjects() == ["[Radar] dprk-sanctions: Tanker 1 seized off Nampo"]
        assert deliveries(database_url) == [("s1", "sent")]
        assert await test_notifier.relay_events() == 1
        [event] = RECEIVED["delivered"]
        assert (event.article_id, event.story_id, event.tags, event.attempts) == ("a1", "s1", ["dprk-sanctions"], 1)
        await br.publish(classified(1), ARTICLES_CLASSIFIED, key=b"a1")  # redelivered: recorded and sent once
        await test_notifier.settle()
        assert len(sender.sent) == 1 and deliveries(database_url) == [("s1", "sent")]


async def test_an_article_no_subscription_follows_records_nothing(notifier, database_url: str) -> None:  # type: ignore[no-untyped-def]
    test_notifier, sender = notifier
    async with TestKafkaBroker(notifier_app.broker) as br:
        await br.publish(classified(2, tag="russia-dprk-smuggling"), ARTICLES_CLASSIFIED, key=b"a2")
        await test_notifier.settle()
        assert sender.sent == [] and deliveries(database_url) == []


@pytest.mark.parametrize("poison", [b"not json", json.dumps({"article": {"title": "no id"}, "tags": []}).encode()])
async def test_a_poison_message_goes_to_the_dlq_and_the_partition_moves_on(notifier, database_url: str, poison: bytes) -> None:  # type: ignore[no-untyped-def]
    test_notifier, sender = notifier
    async with TestKafkaBroker(notifier_app.broker) as br:
        await br.publish(poison, ARTICLES_CLASSIFIED, key=b"bad")
        [(body, headers)] = RECEIVED["dlq"]
        assert body == poison and headers["x-radar-service"] == "notifier" and headers["x-radar-source-topic"] == ARTICLES_CLASSIFIED
        await br.publish(classified(3), ARTICLES_CLASSIFIED, key=b"a3")
        await test_notifier.settle()
        assert deliveries(database_url) == [("s3", "sent")] and len(sender.sent) == 1
