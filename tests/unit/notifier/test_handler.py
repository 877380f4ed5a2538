"""The notifier's Kafka handler in memory with TestKafkaBroker: an ArticleClassified in, its deliveries recorded
and sent (FakeSender at the edge), alerts.delivered.v1 out through the outbox; a poison message to the DLQ."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream import TestApp
from faststream.kafka import TestKafkaBroker

from radar_notifier.app import build_app
from radar_notifier.config import NotifierConfig, NotifierSettings
from radar_shared.db import session_scope
from radar_shared.messages import AlertDelivered, Article, ArticleClassified, Snippet, Span, Tag
from radar_shared.models import Delivery
from radar_shared.settings import FeedbackSettings, SharedSettings
from radar_shared.topics import ALERTS_DELIVERED, ARTICLES_CLASSIFIED
from tests.support.notifier import FakeSender, subscribe
from tests.support.observe import Observed, handler_mock, observe


def classified(n: int, tag: str = "dprk-sanctions") -> ArticleClassified:
    article = Article(article_id=f"a{n}", story_id=f"s{n}", feed_id=1, feed_url="https://f.example/rss", entry_key=f"k{n}",
                      url=f"https://news.example/{n}", title=f"Tanker {n} seized off Nampo", source="news.example")
    evidence = Snippet(text="North Korea sanctions", highlights=[Span(start=0, end=11)])
    return ArticleClassified(article=article, tags=[Tag(tag=tag, score=0.9, snippets=[evidence])], classifier_version="rules:test",
                             discovered_at=datetime.now(UTC))


@pytest.fixture
async def notifier(database_url: str, tmp_path) -> AsyncIterator[tuple[Any, FakeSender, Any, Observed]]:  # type: ignore[no-untyped-def]
    """The notifier's app, started as the service starts it (its Notifier built at start-up, with this test's
    database and a FakeSender), on an in-memory broker."""
    subscribe(database_url, "mailto://mail.example?to=a@example.com&from=radar@example.com")
    sender = FakeSender()
    config = NotifierConfig(SharedSettings(database_url=database_url), NotifierSettings(retry_poll_seconds=0.05),
                            FeedbackSettings(secret_file=str(tmp_path / "feedback-secret")))
    app = build_app(config, sender=sender)  # type: ignore[arg-type]
    received = observe(app.broker, ALERTS_DELIVERED, AlertDelivered, ARTICLES_CLASSIFIED)
    async with TestKafkaBroker(app.broker) as br, TestApp(app):
        yield app.context.get("notifier"), sender, br, received


async def arrived(items: list, count: int, timeout: float = 10.0) -> list:
    """The items once there are `count` of them (the outbox relay runs in the background)."""
    deadline = time.monotonic() + timeout
    while len(items) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return items


def deliveries(db: str) -> list[tuple[str, str]]:
    with session_scope(db) as s:
        return sorted((d.story_id, d.status) for d in s.query(Delivery).all())


async def test_a_classified_article_is_recorded_sent_and_reported(notifier, database_url: str) -> None:  # type: ignore[no-untyped-def]
    test_notifier, sender, br, received = notifier
    await br.publish(classified(1), ARTICLES_CLASSIFIED, key=b"a1")
    handler_mock(br, ARTICLES_CLASSIFIED).assert_called_once()
    await test_notifier.settle()
    assert sender.subjects() == ["[Radar] dprk-sanctions: Tanker 1 seized off Nampo"]
    assert deliveries(database_url) == [("s1", "sent")]
    [event] = await arrived(received.events, 1)
    assert (event.article_id, event.story_id, event.tags, event.attempts) == ("a1", "s1", ["dprk-sanctions"], 1)
    await br.publish(classified(1), ARTICLES_CLASSIFIED, key=b"a1")  # redelivered: recorded and sent once
    await test_notifier.settle()
    assert len(sender.sent) == 1 and deliveries(database_url) == [("s1", "sent")]


async def test_an_article_no_subscription_follows_records_nothing(notifier, database_url: str) -> None:  # type: ignore[no-untyped-def]
    test_notifier, sender, br, received = notifier
    await br.publish(classified(2, tag="russia-dprk-smuggling"), ARTICLES_CLASSIFIED, key=b"a2")
    await test_notifier.settle()
    assert sender.sent == [] and deliveries(database_url) == []


@pytest.mark.parametrize("poison", [b"not json", json.dumps({"article": {"title": "no id"}, "tags": []}).encode()])
async def test_a_poison_message_goes_to_the_dlq_and_the_partition_moves_on(notifier, database_url: str, poison: bytes) -> None:  # type: ignore[no-untyped-def]
    test_notifier, sender, br, received = notifier
    await br.publish(poison, ARTICLES_CLASSIFIED, key=b"bad")
    [(body, headers)] = received.dead
    assert body == poison and headers["x-radar-service"] == "notifier" and headers["x-radar-source-topic"] == ARTICLES_CLASSIFIED
    await br.publish(classified(3), ARTICLES_CLASSIFIED, key=b"a3")
    await test_notifier.settle()
    assert deliveries(database_url) == [("s3", "sent")] and len(sender.sent) == 1
