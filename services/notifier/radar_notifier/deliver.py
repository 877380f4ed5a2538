"""Fan-out of one ArticleClassified: match subscriptions, then claim, send and mark each delivery.

Deliveries to different channels run concurrently, so one slow channel does not delay the others.
The only window for a duplicate is a crash after Apprise sent and before `store.mark(..., 'sent')`
commits; a claim left in 'sending' is sent again only after NOTIFIER_SENDING_STALE_SECONDS. A failed send is
retried from the delivery log (status pending, next_attempt_at) by a loop of its own, so a channel that is
down never holds the Kafka partition.
"""

import asyncio
import logging
import random
from datetime import datetime, timedelta
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from radar_notifier import store
from radar_notifier.channels import mask, scheme, send
from radar_notifier.config import NotifierSettings
from radar_notifier.render import render_alert
from radar_notifier.routing import SubscriptionView, match_subscriptions
from radar_shared.runtime import repeat
from radar_shared.messages import AlertDelivered, AlertFailed, Article, ArticleClassified, Tag, utcnow

log = logging.getLogger("radar.notifier")


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sent = Counter("radar_deliveries_sent_total", "Alerts delivered, by channel type", ["channel_type"], registry=registry)
        self.failed = Counter("radar_deliveries_failed_total", "Alerts that failed, by channel type", ["channel_type"], registry=registry)
        self.retries = Counter("radar_delivery_retries_total", "Delivery attempts that failed and were scheduled again, by channel type", ["channel_type"], registry=registry)
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
        alert = {"article": a.model_dump(mode="json"), "tags": [t.model_dump(mode="json") for t in tags], "discovered_at": event.discovered_at.isoformat()}
        claimed = await asyncio.to_thread(store.claim, self.db, sub.id, a.story_id, a.article_id, a.title, [t.tag for t in tags], self.settings.sending_stale_seconds, alert)
        if claimed is None:
            log.info("already delivered; skipped", extra={"subscription_id": sub.id, "story_id": a.story_id, "article_id": a.article_id})
            return False
        return await self.attempt(claimed.delivery_id, sub.id, sub.channel_url, claimed.attempts, alert)

    def backoff(self, attempts: int) -> float:
        delay = min(self.settings.retry_base_seconds * 2 ** (attempts - 1), self.settings.retry_max_seconds)
        return delay * random.uniform(0.8, 1.2)

    async def attempt(self, delivery_id: int, subscription_id: int, channel_url: str, attempts: int, alert: dict) -> bool:
        """One send of a claimed delivery, then: sent; or a retry scheduled in the delivery log (the partition
        is not held); or failed, when the budget is spent or the failure is permanent."""
        article = Article.model_validate(alert["article"])
        tags = [Tag.model_validate(t) for t in alert["tags"]]
        result = await send(channel_url, render_alert(article, tags))
        attempts += 1
        kind = scheme(channel_url)
        ctx = {"subscription_id": subscription_id, "story_id": article.story_id, "article_id": article.article_id, "channel": result.service, "delivery_id": delivery_id}
        if result.ok:
            await asyncio.to_thread(store.mark, self.db, delivery_id, status="sent", attempts=attempts, error=None, result=result.as_dict())
            self.metrics.sent.labels(kind).inc()
            discovered = datetime.fromisoformat(alert["discovered_at"]) if alert.get("discovered_at") else None
            if discovered:
                self.metrics.latency.observe((utcnow() - discovered).total_seconds())
            log.info("alert delivered", extra={**ctx, "attempts": attempts})
            await self.publish_delivered(
                AlertDelivered(
                    delivery_id=delivery_id, subscription_id=subscription_id, article_id=article.article_id, story_id=article.story_id,
                    channel=mask(channel_url), tags=[t.tag for t in tags], attempts=attempts, discovered_at=discovered,
                )
            )
            return True
        error = ("; ".join(result.errors) or "Apprise reported a failure")[:2000]
        if not result.permanent and attempts < self.settings.send_attempts:
            retry_at = utcnow() + timedelta(seconds=self.backoff(attempts))
            await asyncio.to_thread(store.mark, self.db, delivery_id, status="pending", attempts=attempts, error=error, result=result.as_dict(), next_attempt_at=retry_at)
            self.metrics.retries.labels(kind).inc()
            log.warning("alert delivery failed; retry scheduled", extra={**ctx, "error": error, "attempts": attempts, "retry_at": retry_at.isoformat()})
            return False
        await asyncio.to_thread(store.mark, self.db, delivery_id, status="failed", attempts=attempts, error=error, result=result.as_dict())
        self.metrics.failed.labels(kind).inc()
        log.error("alert delivery failed", extra={**ctx, "error": error, "attempts": attempts, "permanent": result.permanent})
        await self.publish_failed(
            AlertFailed(
                delivery_id=delivery_id, subscription_id=subscription_id, article_id=article.article_id, story_id=article.story_id,
                channel=mask(channel_url), error=error, attempts=attempts, permanent=result.permanent,
            )
        )
        return False

    async def retry_due(self) -> int:
        """Send the deliveries whose retry is due, concurrently; return how many were sent."""
        due = await asyncio.to_thread(store.claim_due_retries, self.db, utcnow())
        results = await asyncio.gather(*(self.attempt(d.delivery_id, d.subscription_id, d.channel_url, d.attempts, d.alert) for d in due), return_exceptions=True)
        for error in (r for r in results if isinstance(r, BaseException)):
            log.error("retry failed unexpectedly", extra={"error": f"{type(error).__name__}: {error}"})
        return sum(1 for r in results if r is True)

    async def retry_forever(self) -> None:
        await repeat(self.retry_due, self.settings.retry_poll_seconds, "retry loop")
