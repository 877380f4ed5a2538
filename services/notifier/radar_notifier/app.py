"""notifier wiring: consume articles.classified.v1 in batches, deliver through Apprise, publish alerts.delivered/failed.v1.

`build_app(config)` wires the broker, its handler and the ASGI app; importing this module reads no setting and
patches nothing. The Notifier (its channels, Apprise's hooks, the Slack webhook base, the feedback key) is built
at start-up, put in faststream's context, and the handler reaches it there (docs/architecture.md, Wiring).
"""

from collections.abc import Awaitable
from typing import Annotated, Any

from faststream import Context, ContextRepo
from faststream.asgi import AsgiFastStream
from prometheus_client import CollectorRegistry

from radar_notifier import store
from radar_notifier.channels import Sender, configure_slack
from radar_notifier.config import SERVICE, NotifierConfig
from radar_notifier.deliver import Notifier
from radar_notifier.feedback_links import FeedbackSigner
from radar_notifier.metrics import DeliveryMetrics
from radar_shared.broker import batch_consumer_options, batch_decoder, kafka_security, make_broker
from radar_shared.heartbeat import ServiceRuntime
from radar_shared.loops import ConfigReloader
from radar_shared.messages import AlertDelivered, AlertFailed, ArticleClassified
from radar_shared.service_app import make_app
from radar_shared.topics import ALERTS_DELIVERED, ALERTS_FAILED, ARTICLES_CLASSIFIED


def build_app(config: NotifierConfig, sender: Sender | None = None) -> AsgiFastStream:
    """The notifier's app; `sender` replaces the channels (tests), else the Notifier makes its own."""
    shared, settings, feedback = config.shared, config.service, config.feedback
    registry = CollectorRegistry()
    runtime = ServiceRuntime(SERVICE, shared, registry)
    metrics = DeliveryMetrics(registry)
    broker = make_broker(shared.kafka_bootstrap_servers, SERVICE, registry, security=kafka_security(shared))
    to_alert_delivered = broker.publisher(ALERTS_DELIVERED, title="to_alert_delivered", schema=AlertDelivered, description="Alerts sent, key = article_id")
    to_alert_failed = broker.publisher(ALERTS_FAILED, title="to_alert_failed", schema=AlertFailed, description="Alerts that failed, key = article_id")

    async def publish_delivered(event: AlertDelivered) -> Awaitable[Any]:
        """Hand the event to the producer; return its acknowledgement, which the outbox relay waits for."""
        return await to_alert_delivered.publish(event, key=event.article_id.encode(), no_confirm=True)

    async def publish_failed(event: AlertFailed) -> Awaitable[Any]:
        return await to_alert_failed.publish(event, key=event.article_id.encode(), no_confirm=True)

    @broker.subscriber(
        ARTICLES_CLASSIFIED, title="on_article_classified", decoder=batch_decoder(broker, ArticleClassified),
        **batch_consumer_options(SERVICE, settings.batch_size),
    )
    async def on_article_classified(events: list[ArticleClassified], notifier: Annotated[Notifier, Context()]) -> None:
        """A batch's deliveries are recorded in one transaction; the batch's offsets are committed after it."""
        started = await notifier.handle_batch(events)
        if events:
            runtime.activity(f"article {events[-1].article.article_id}: {started} alert(s) started for {len(events)} article(s)")

    app = make_app(broker, runtime, title="Radar notifier", description="Fans alerts out to email, Slack and any Apprise URL.")

    @app.on_startup
    async def load_configuration(context: ContextRepo) -> None:
        configure_slack(settings.slack_webhook_url)
        signer = FeedbackSigner(feedback.checked_secret(shared.environment), feedback.public_url, feedback.link_days)
        notifier = Notifier(settings, shared.database_url, publish_delivered, publish_failed, metrics, sender=sender, feedback=signer)
        context.set_global("notifier", notifier)  # before anything can fail: shutdown closes it
        reloader = ConfigReloader("subscriptions", lambda: store.load_subscriptions(shared.database_url), notifier.apply_subscriptions, shared.config_reload_seconds)
        reloader.reload()
        context.set_global("reloader", reloader)

    @app.after_startup
    async def start_background(notifier: Annotated[Notifier, Context()], reloader: Annotated[ConfigReloader, Context()]) -> None:
        runtime.start_background(reloader.run_forever(), notifier.retry_forever(), notifier.relay_forever(), runtime.heartbeat_loop())

    @app.on_shutdown
    async def stop_background(context: ContextRepo) -> None:
        await runtime.stop_background()
        notifier = context.get("notifier")
        if notifier is not None:
            await notifier.close()

    return app


def app_from_environment() -> AsgiFastStream:
    """The app with the settings of the environment (the AsyncAPI document is built from it)."""
    return build_app(NotifierConfig.from_environment())
