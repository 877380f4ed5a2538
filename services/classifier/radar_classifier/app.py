"""classifier wiring: consume articles.discovered.v1, publish articles.classified.v1."""

import logging

from prometheus_client import CollectorRegistry, Counter

from radar_classifier.classify import Classifier
from radar_classifier.config import SERVICE, ClassifierSettings
from radar_classifier.handlers import apply_watches, classify_event
from radar_classifier.store import load_watches, load_watchlists
from radar_shared.broker import consumer_options, kafka_security, make_broker
from radar_shared.messages import ArticleClassified, ArticleDiscovered
from radar_shared.runtime import ConfigReloader, ServiceRuntime, make_app
from radar_shared.settings import SharedSettings
from radar_shared.topics import ARTICLES_CLASSIFIED, ARTICLES_DISCOVERED

log = logging.getLogger("radar.classifier")
shared = SharedSettings()
registry = CollectorRegistry()
runtime = ServiceRuntime(SERVICE, shared, registry)
tags_total = Counter("radar_tags_total", "Tags given, by tag kind and topic", ["kind", "tag"], registry=registry)
classifier = Classifier.default(max_chars=ClassifierSettings().max_chars)
reloader = ConfigReloader(
    "watches", lambda: load_watches(shared.database_url), lambda rows: apply_watches(classifier, rows), shared.config_reload_seconds
)
watchlists = ConfigReloader(
    "watchlists", lambda: load_watchlists(shared.database_url), lambda entities: setattr(classifier, "watchlist", entities), shared.config_reload_seconds * 6
)
broker = make_broker(shared.kafka_bootstrap_servers, SERVICE, registry, security=kafka_security(shared))
to_article_classified = broker.publisher(ARTICLES_CLASSIFIED, title="to_article_classified", schema=ArticleClassified, description="Tagged articles, key = article_id")


@broker.subscriber(ARTICLES_DISCOVERED, title="on_article_discovered", **consumer_options(SERVICE))
async def on_article_discovered(event: ArticleDiscovered) -> None:
    classified = classify_event(classifier, event)
    runtime.activity(f"classified {event.article.article_id}")
    if classified is None:
        return
    await to_article_classified.publish(classified, key=event.article.article_id.encode())
    for tag in classified.tags:
        tags_total.labels(tag.kind, tag.tag if tag.kind == "topic" else tag.kind).inc()
    log.info("article classified", extra={"article_id": event.article.article_id, "tags": [t.tag for t in classified.tags]})


app = make_app(broker, runtime, title="Radar classifier", description="Tags articles with topics and watches, with evidence.")


@app.on_startup
async def load_configuration() -> None:
    reloader.reload()
    watchlists.reload()


@app.after_startup
async def start_background() -> None:
    runtime.start_background(reloader.run_forever(), watchlists.run_forever(), runtime.heartbeat_loop())


@app.on_shutdown
async def stop_background() -> None:
    await runtime.stop_background()
