"""Handler tests in memory with TestKafkaBroker: classify, publish, and poison messages to the DLQ."""

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream import TestApp
from faststream.kafka import TestKafkaBroker

from radar_classifier.app import build_app
from radar_classifier.config import ClassifierConfig, ClassifierSettings
from radar_shared.messages import Article, ArticleClassified, ArticleDiscovered
from radar_shared.settings import SharedSettings
from radar_shared.topics import ARTICLES_CLASSIFIED, ARTICLES_DISCOVERED
from tests.support.observe import Observed, handler_mock, observe


def discovered(title: str, text: str) -> ArticleDiscovered:
    return ArticleDiscovered(article=Article(article_id="a1", story_id="s1", feed_id=1, feed_url="https://f.example/rss", entry_key="k", url="https://f.example/a", title=title, text=text))


@pytest.fixture
async def broker(sqlite_url: str) -> AsyncIterator[tuple[Any, Observed]]:
    """The classifier's app, started as the service starts it (its rules built at start-up), on an in-memory broker."""
    app = build_app(ClassifierConfig(SharedSettings(database_url=sqlite_url), ClassifierSettings()))
    received = observe(app.broker, ARTICLES_CLASSIFIED, ArticleClassified, ARTICLES_DISCOVERED)
    async with TestKafkaBroker(app.broker) as br, TestApp(app):
        yield br, received


async def test_tagged_article_is_published_with_evidence(broker) -> None:  # type: ignore[no-untyped-def]
    br, received = broker
    event = discovered("UN tightens sanctions on North Korea", "Russia shipped fuel to North Korea in breach of sanctions.")
    await br.publish(event, ARTICLES_DISCOVERED, key=b"a1")
    handler_mock(br, ARTICLES_DISCOVERED).assert_called_once()
    [out] = received.events
    assert out.article.article_id == "a1" and out.discovered_at == event.occurred_at
    assert "dprk-sanctions" in {t.tag for t in out.tags}
    assert out.tags[0].snippets and out.classifier_version.startswith("rules:")


async def test_untagged_article_publishes_nothing(broker) -> None:  # type: ignore[no-untyped-def]
    br, received = broker
    await br.publish(discovered("Wimbledon final", "Djokovic won."), ARTICLES_DISCOVERED)
    assert received.events == []


async def test_an_unknown_schema_version_goes_to_the_dlq_unprocessed(broker) -> None:  # type: ignore[no-untyped-def]
    br, received = broker
    v2 = discovered("UN tightens sanctions on North Korea", "Russia shipped fuel to North Korea in breach of sanctions.").model_dump(mode="json")
    body = json.dumps({**v2, "schema_version": 2}).encode()
    await br.publish(body, ARTICLES_DISCOVERED, key=b"a1")
    [(dead, headers)] = received.dead
    assert dead == body and received.events == [], "never classified as if it were v1"
    assert "schema_version 2 is not supported: this service reads version 1" in headers["x-radar-error"]


@pytest.mark.parametrize("poison", [b"not json at all", json.dumps({"article": {"title": "no id"}}).encode(), b"\xff\xfe\x00"])
async def test_poison_message_goes_to_the_dlq_with_the_error(broker, poison: bytes) -> None:  # type: ignore[no-untyped-def]
    br, received = broker
    await br.publish(poison, ARTICLES_DISCOVERED, key=b"bad")
    [(body, headers)] = received.dead
    assert body == poison
    assert headers["x-radar-source-topic"] == ARTICLES_DISCOVERED
    assert headers["x-radar-service"] == "classifier"
    assert "Error" in headers["x-radar-error"]
    # The partition moves on: the next good message is still classified.
    await br.publish(discovered("Sanctions on North Korea", "The UN sanctions North Korea."), ARTICLES_DISCOVERED)
    assert len(received.events) == 1
