"""classifier wiring: consume articles.discovered.v1 in batches, classify them (in this process, and in
CLASSIFIER_WORKERS worker processes beside it if set: workers.py), publish articles.classified.v1 (publish.py:
offsets are committed only once a batch's events are durable; a result Kafka refuses is dead-lettered alone).

`build_app(config)` wires the broker, its handler and the ASGI app; importing this module reads no setting
and loads nothing. The rules and the worker pool are built at start-up, put in faststream's context, and the
handler reaches them there (docs/architecture.md, Wiring).
"""

import asyncio
import logging
from typing import Annotated

from faststream import Context, ContextRepo
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaMessage
from prometheus_client import CollectorRegistry, Counter

from radar_classifier.config import SERVICE, ClassifierConfig
from radar_classifier.publish import ResultPublisher
from radar_classifier.store import load_watches, load_watchlists
from radar_classifier.workers import ClassifyStrategy, classify_strategy
from radar_shared.broker import batch_consumer_options, batch_decoder, kafka_security, make_broker
from radar_shared.heartbeat import ServiceRuntime
from radar_shared.logging import PeriodicSummary
from radar_shared.loops import ConfigReloader
from radar_shared.messages import ArticleClassified, ArticleDiscovered
from radar_shared.service_app import make_app
from radar_shared.topics import ARTICLES_CLASSIFIED, ARTICLES_DISCOVERED

log = logging.getLogger("radar.classifier")


def build_app(config: ClassifierConfig) -> AsgiFastStream:
    shared, settings = config.shared, config.service
    registry = CollectorRegistry()
    runtime = ServiceRuntime(SERVICE, shared, registry)
    tags_total = Counter("radar_tags_total", "Tags given, by tag kind and topic", ["kind", "tag"], registry=registry)
    summary = PeriodicSummary(log, "articles classified")
    broker = make_broker(shared.kafka_bootstrap_servers, SERVICE, registry, security=kafka_security(shared))
    to_article_classified = broker.publisher(ARTICLES_CLASSIFIED, title="to_article_classified", schema=ArticleClassified, description="Tagged articles, key = article_id")
    results = ResultPublisher(broker, to_article_classified, tags_total)

    @broker.subscriber(
        ARTICLES_DISCOVERED, title="on_article_discovered", decoder=batch_decoder(broker, ArticleDiscovered),
        **batch_consumer_options(SERVICE, settings.batch_size),
    )
    async def on_article_discovered(events: list[ArticleDiscovered], msg: KafkaMessage, classifying: Annotated[ClassifyStrategy, Context()]) -> None:
        tagged = await results.publish_batch(events, classifying.classify_events(events), msg)
        if events:
            runtime.activity(f"classified {events[-1].article.article_id}")
        summary.add(articles=len(events), tagged=tagged)

    app = make_app(broker, runtime, title="Radar classifier", description="Tags articles with topics and watches, with evidence.")

    @app.on_startup
    async def load_configuration(context: ContextRepo) -> None:
        classifying = await asyncio.to_thread(classify_strategy, settings.workers, settings.max_chars)
        reloaders = (
            ConfigReloader("watches", lambda: load_watches(shared.database_url), lambda rows: classifying.configure(watches=rows), shared.config_reload_seconds),
            ConfigReloader(
                "watchlists", lambda: load_watchlists(shared.database_url), lambda entities: classifying.configure(watchlist=entities), shared.config_reload_seconds * 6
            ),
        )
        for reloader in reloaders:
            reloader.reload()
        await asyncio.to_thread(classifying.start)
        context.set_global("classifying", classifying)
        context.set_global("reloaders", reloaders)

    @app.after_startup
    async def start_background(reloaders: Annotated[tuple[ConfigReloader, ...], Context()]) -> None:
        runtime.start_background(*(reloader.run_forever() for reloader in reloaders), runtime.heartbeat_loop())

    @app.on_shutdown
    async def stop_background(context: ContextRepo) -> None:
        await runtime.stop_background()
        classifying = context.get("classifying")
        if classifying is not None:
            await asyncio.to_thread(classifying.close)

    return app


def app_from_environment() -> AsgiFastStream:
    """The app with the settings of the environment (the AsyncAPI document is built from it)."""
    return build_app(ClassifierConfig.from_environment())
