"""feed-watcher wiring: broker, publisher, poller and the ASGI app (health, readiness, metrics, AsyncAPI)."""

from faststream import ContextRepo
from prometheus_client import CollectorRegistry

from radar_feed_watcher.config import SERVICE, FeedWatcherSettings
from radar_feed_watcher.fetcher import make_client
from radar_feed_watcher.metrics import FeedMetrics
from radar_feed_watcher.parser_pool import ParserPool
from radar_feed_watcher.poller import Poller
from radar_shared.broker import kafka_security, make_broker
from radar_shared.heartbeat import ServiceRuntime
from radar_shared.messages import ArticleDiscovered
from radar_shared.service_app import make_app
from radar_shared.settings import SharedSettings
from radar_shared.topics import ARTICLES_DISCOVERED

shared = SharedSettings()
settings = FeedWatcherSettings()
registry = CollectorRegistry()
runtime = ServiceRuntime(SERVICE, shared, registry)
metrics = FeedMetrics(registry)
broker = make_broker(shared.kafka_bootstrap_servers, SERVICE, registry, security=kafka_security(shared))
to_article_discovered = broker.publisher(ARTICLES_DISCOVERED, title="to_article_discovered", schema=ArticleDiscovered, description="New articles, key = article_id")


async def publish_discovered(event: ArticleDiscovered) -> None:
    await to_article_discovered.publish(event, key=event.article.article_id.encode())


app = make_app(broker, runtime, title="Radar feed-watcher", description="Polls feeds and publishes new articles.")


@app.after_startup
async def start_polling(context: ContextRepo) -> None:
    client = make_client(settings.user_agent, settings.connect_timeout_seconds, settings.read_timeout_seconds, settings.concurrency)
    parsers = ParserPool(settings.parse_workers, settings.parse_cpu_seconds, settings.entry_limits())
    poller = Poller(settings, shared.database_url, client, publish_discovered, metrics, runtime.activity, parsers, runtime.instance)
    context.set_global("http_client", client)
    context.set_global("parsers", parsers)
    context.set_global("poller", poller)
    runtime.start_background(poller.run_forever(), runtime.heartbeat_loop())


@app.on_shutdown
async def stop_polling(context: ContextRepo) -> None:
    await runtime.stop_background()
    poller = context.get("poller")
    if poller is not None:
        await poller.close()
    client = context.get("http_client")
    if client is not None:
        await client.aclose()
    parsers = context.get("parsers")
    if parsers is not None:
        await parsers.close_and_wait()  # a pool thread left running races the exit (OSError: Bad file descriptor)
