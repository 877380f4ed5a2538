"""classifier wiring: consume articles.discovered.v1 in batches, classify them (in this process, and in
CLASSIFIER_WORKERS worker processes beside it if set: workers.py), publish articles.classified.v1.

A batch's tagged articles are published without waiting for each acknowledgement; the handler returns, and
the batch's offsets are queued for commit, only when every one of them is acknowledged (acks=all), so an
offset is never committed before its article's event is durable. A crash re-reads at most the batches whose
offsets were not committed yet, and the notifier's delivery log makes the repeats harmless.

A result Kafka will never take (larger than the producer's max request size, checked before it is sent, or
refused by the broker with an error no retry cures) is not an error of its batch: its input record alone is
dead-lettered with the reason, and its batch-mates are published once and committed. A retriable publish error
(the broker away) still fails the batch, which is read again.
"""

import asyncio
import logging

from faststream.kafka import KafkaMessage
from prometheus_client import CollectorRegistry, Counter

from radar_classifier.classify import Classifier, apply_watches, classify_event
from radar_classifier.config import SERVICE, ClassifierSettings
from radar_classifier.store import load_watches, load_watchlists
from radar_classifier.workers import ClassifierPool, Result, result_of
from radar_shared.broker import (
    UnpublishableError,
    batch_consumer_options,
    batch_decoder,
    dead_letter_alone,
    kafka_security,
    make_broker,
    publish_refusal,
    record_with_key,
    refused_for_good,
)
from radar_shared.heartbeat import ServiceRuntime
from radar_shared.logging import PeriodicSummary
from radar_shared.loops import ConfigReloader
from radar_shared.messages import ArticleClassified, ArticleDiscovered
from radar_shared.service_app import make_app
from radar_shared.settings import SharedSettings
from radar_shared.topics import ARTICLES_CLASSIFIED, ARTICLES_DISCOVERED

log = logging.getLogger("radar.classifier")
shared = SharedSettings()
registry = CollectorRegistry()
runtime = ServiceRuntime(SERVICE, shared, registry)
tags_total = Counter("radar_tags_total", "Tags given, by tag kind and topic", ["kind", "tag"], registry=registry)
settings = ClassifierSettings()
summary = PeriodicSummary(log, "articles classified")
classifier = Classifier.default(max_chars=settings.max_chars)
if settings.workers:  # worker processes classify beside this one
    pool = ClassifierPool(settings.workers, settings.max_chars, local=classifier)
    reloader = ConfigReloader("watches", lambda: load_watches(shared.database_url), lambda rows: pool.configure(watches=rows), shared.config_reload_seconds)
    watchlists = ConfigReloader(
        "watchlists", lambda: load_watchlists(shared.database_url), lambda entities: pool.configure(watchlist=entities), shared.config_reload_seconds * 6
    )
else:
    reloader = ConfigReloader("watches", lambda: load_watches(shared.database_url), lambda rows: apply_watches(classifier, rows), shared.config_reload_seconds)
    watchlists = ConfigReloader(
        "watchlists", lambda: load_watchlists(shared.database_url), lambda entities: setattr(classifier, "watchlist", entities), shared.config_reload_seconds * 6
    )
broker = make_broker(shared.kafka_bootstrap_servers, SERVICE, registry, security=kafka_security(shared))
JSON = {"content-type": "application/json"}  # the events go out as the JSON the classification made
to_article_classified = broker.publisher(ARTICLES_CLASSIFIED, title="to_article_classified", schema=ArticleClassified, description="Tagged articles, key = article_id")


@broker.subscriber(
    ARTICLES_DISCOVERED, title="on_article_discovered", decoder=batch_decoder(broker, ArticleDiscovered),
    **batch_consumer_options(SERVICE, settings.batch_size),
)
async def on_article_discovered(events: list[ArticleDiscovered], msg: KafkaMessage) -> None:
    acks: list[tuple[ArticleDiscovered, object]] = []
    refused: list[tuple[ArticleDiscovered, BaseException]] = []
    if settings.workers:
        values = [event.model_dump_json().encode() for event in events]
        async for start, results in pool.classify_chunks(values):  # the first chunks go out while the rest are classified
            await publish_results(events[start : start + len(results)], results, acks, refused)
    else:
        await publish_results(events, [result_of(classify_event(classifier, event)) for event in events], acks, refused)
    await settle(acks, refused)  # durable before the offsets are committed
    await dead_letter_refused(msg, refused)
    if events:
        runtime.activity(f"classified {events[-1].article.article_id}")
    summary.add(articles=len(events), tagged=len(acks) - len(refused))


async def publish_results(
    events: list[ArticleDiscovered], results: list[Result], acks: list[tuple[ArticleDiscovered, object]], refused: list[tuple[ArticleDiscovered, BaseException]]
) -> None:
    """Publish the tagged articles' events without waiting for their acknowledgements (collected in `acks`); a
    result the producer would refuse goes to `refused` instead."""
    for event, result in zip(events, results, strict=True):
        if result is None:
            log.debug("article classified", extra={"article_id": event.article.article_id, "tags": []})
            continue
        body, tags = result
        key = event.article.article_id.encode()
        if (too_large := publish_refusal(broker, key, body, JSON)) is not None:
            refused.append((event, too_large))
            continue
        try:
            acks.append((event, await to_article_classified.publish(body, key=key, headers=JSON, no_confirm=True)))
        except Exception as error:
            if not refused_for_good(error):
                raise
            refused.append((event, error))
            continue
        for kind, tag in tags:
            tags_total.labels(kind, tag if kind == "topic" else kind).inc()
        log.debug("article classified", extra={"article_id": event.article.article_id, "tags": [tag for _, tag in tags]})


async def settle(acks: list[tuple[ArticleDiscovered, object]], refused: list[tuple[ArticleDiscovered, BaseException]]) -> None:
    """Wait for every acknowledgement. One the broker refused for good goes to `refused`; any other error (the
    broker away) fails the batch, which is read again."""
    pending = [(event, ack) for event, ack in acks if asyncio.isfuture(ack)]
    outcomes = await asyncio.gather(*(ack for _, ack in pending), return_exceptions=True)
    for (event, _), outcome in zip(pending, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            if not refused_for_good(outcome):
                raise outcome
            refused.append((event, outcome))


async def dead_letter_refused(msg: KafkaMessage, refused: list[tuple[ArticleDiscovered, BaseException]]) -> None:
    """Each refused result's input record to the dead-letter topic, alone, with why Kafka would not take it."""
    records = msg.raw_message if isinstance(msg.raw_message, tuple | list) else (msg.raw_message,)
    taken: set[int] = set()
    for event, error in refused:
        article_id = event.article.article_id
        record = record_with_key(records, article_id.encode(), str(event.event_id), taken)
        if record is None:  # keyed otherwise than by article_id: the batch cannot be split, it fails as a whole
            raise UnpublishableError(f"article {article_id}: its classified event cannot be published ({error}) and no record of the batch has its key")
        log.error("classified event cannot be published; its article is dead-lettered", extra={"article_id": article_id, "error": f"{type(error).__name__}: {error}"})
        await dead_letter_alone(broker, record, UnpublishableError(f"articles.classified.v1 event of article {article_id}: {type(error).__name__}: {error}"))


app = make_app(broker, runtime, title="Radar classifier", description="Tags articles with topics and watches, with evidence.")


@app.on_startup
async def load_configuration() -> None:
    reloader.reload()
    watchlists.reload()
    if settings.workers:
        await asyncio.to_thread(pool.start)


@app.after_startup
async def start_background() -> None:
    runtime.start_background(reloader.run_forever(), watchlists.run_forever(), runtime.heartbeat_loop())


@app.on_shutdown
async def stop_background() -> None:
    await runtime.stop_background()
    if settings.workers:
        await asyncio.to_thread(pool.close)
