"""Fan-out of one ArticleClassified: match subscriptions, then claim, send and mark each delivery.

Deliveries to different channels run concurrently, so one slow channel does not delay the others.
The only window for a duplicate is a crash after Apprise sent and before `store.mark(..., 'sent')`
commits; a claim left in 'sending' is sent again only after NOTIFIER_SENDING_STALE_SECONDS.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from radar_notifier import store
from radar_notifier.channels import mask, scheme, send
from radar_notifier.config import NotifierSettings
from radar_notifier.render import render_alert
from radar_notifier.routing import SubscriptionView, match_subscriptions
from radar_shared.messages import AlertDelivered, AlertFailed, ArticleClassified, Tag, utcnow

log = logging.getLogger("radar.notifier")


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sent = Counter("radar_deliveries_sent_total", "Alerts delivered, by channel type", ["channel_type"], registry=registry)
        self.failed = Counter("radar_deliveries_failed_total", "Alerts that failed, by channel type", ["channel_type"], registry=registry)
        self.latency = Histogram(
            "radar_end_to_end_seconds",
            "From discovery of the article to delivery of the alert",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
            registry=registry,
        )


class Notifier:
    def __init__(
        self,
        settings: NotifierSettings,
        database_url: str,
        publish_delivered: Callable[[AlertDelivered], Awaitable[Any]],
        publish_failed: Callable[[AlertFailed], Awaitable[Any]],
        metrics: DeliveryMetrics,
    ) -> None:
        self.settings = settings
        self.db = database_url
        self.publish_delivered = publish_delivered
        self.publish_failed = publish_failed
        self.metrics = metrics
        self.subscriptions: list[SubscriptionView] = []

    def apply_subscriptions(self, subscriptions: list[SubscriptionView]) -> None:
        self.subscriptions = subscriptions

    async def handle(self, event: ArticleClassified) -> int:
        """Deliver to every matching subscription; re-raise the first storage error after all have run."""
        matches = match_subscriptions(self.subscriptions, event.tags)
        results = await asyncio.gather(*(self.deliver(sub, tags, event) for sub, tags in matches), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            raise errors[0]
        return sum(1 for r in results if r)

    async def deliver(self, sub: SubscriptionView, tags: list[Tag], event: ArticleClassified) -> bool:
        a = event.article
        claimed = await asyncio.to_thread(store.claim, self.db, sub.id, a.story_id, a.article_id, a.title, [t.tag for t in tags], self.settings.sending_stale_seconds)
        if claimed is None:
            log.info("already delivered; skipped", extra={"subscription_id": sub.id, "story_id": a.story_id, "article_id": a.article_id})
            return False
        alert = render_alert(a, tags)
        attempts = claimed.attempts
        kind = scheme(sub.channel_url)
        for attempt in range(self.settings.send_attempts):
            attempts += 1
            result = await send(sub.channel_url, alert)
            if result.ok:
                break
            if attempt + 1 < self.settings.send_attempts:
                await asyncio.sleep(self.settings.retry_base_seconds * 2**attempt)
        ctx = {"subscription_id": sub.id, "story_id": a.story_id, "article_id": a.article_id, "channel": result.service, "delivery_id": claimed.delivery_id}
        if result.ok:
            await asyncio.to_thread(store.mark, self.db, claimed.delivery_id, status="sent", attempts=attempts, error=None, result=result.as_dict())
            self.metrics.sent.labels(kind).inc()
            self.metrics.latency.observe((utcnow() - event.discovered_at).total_seconds())
            log.info("alert delivered", extra=ctx)
            await self.publish_delivered(
                AlertDelivered(
                    delivery_id=claimed.delivery_id, subscription_id=sub.id, article_id=a.article_id, story_id=a.story_id,
                    channel=mask(sub.channel_url), tags=[t.tag for t in tags], attempts=attempts, discovered_at=event.discovered_at,
                )
            )
            return True
        error = "; ".join(result.errors) or "Apprise reported a failure"
        await asyncio.to_thread(store.mark, self.db, claimed.delivery_id, status="failed", attempts=attempts, error=error[:2000], result=result.as_dict())
        self.metrics.failed.labels(kind).inc()
        log.error("alert delivery failed", extra={**ctx, "error": error})
        await self.publish_failed(
            AlertFailed(
                delivery_id=claimed.delivery_id, subscription_id=sub.id, article_id=a.article_id, story_id=a.story_id,
                channel=mask(sub.channel_url), error=error[:2000], attempts=attempts,
            )
        )
        return False
