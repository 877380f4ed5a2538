"""Digests: each subscription's queued stories whose digest time has come, sent as one message.

A digest's rows are claimed together under one batch id (store.claim_digests) and marked together with their
events in one transaction (store.mark_batch), so a digest is sent once or queued again whole; a batch that a
crashed notifier left in 'sending' is queued again once its lease is NOTIFIER_SENDING_STALE_SECONDS old, and
this notifier's own batches are leased (`in_hand`) while they are sent. Quiet hours move the whole digest to
their end without spending an attempt; a failed send is retried on the delivery retry schedule.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from radar_notifier import store
from radar_notifier.channels import Sender
from radar_notifier.config import NotifierSettings
from radar_notifier.feedback_links import FeedbackSigner
from radar_notifier.metrics import DeliveryMetrics
from radar_notifier.outcomes import delivered_event, failed_event, outbox_entry
from radar_notifier.policy import quiet_until
from radar_notifier.render import DigestItem, render_digest
from radar_notifier.retry_schedule import failure_text, next_step, retry_jitter
from radar_notifier.routing import SubscriptionView
from radar_shared.channel_urls import scheme
from radar_shared.topics import ALERTS_DELIVERED, ALERTS_FAILED

log = logging.getLogger("radar.notifier")
STORED_STATUS = {"sent": "sent", "retry": "queued", "failed": "failed"}  # a digest to retry waits in the queue


class DigestSender:
    def __init__(
        self,
        settings: NotifierSettings,
        database_url: str,
        db_call: Callable[..., Awaitable[Any]],
        sender: Sender,
        metrics: DeliveryMetrics,
        clock: Callable[[], datetime],
        subscription: Callable[[int], SubscriptionView | None],
        in_hand: set[int],
        feedback: FeedbackSigner | None = None,
    ) -> None:
        self.settings = settings
        self.db = database_url
        self.db_call = db_call
        self.sender = sender
        self.metrics = metrics
        self.clock = clock
        self.subscription = subscription
        self.in_hand = in_hand  # the notifier's leased deliveries, renewed on its own clock
        self.feedback = feedback

    async def send_due(self) -> int:
        """Send every digest that is due, one message per subscription; return how many were sent."""
        now = self.clock()
        batches = await self.db_call(store.claim_digests, self.db, now, now - timedelta(seconds=self.settings.sending_stale_seconds))
        results = await asyncio.gather(*(self.send(b) for b in batches), return_exceptions=True)
        for error in (r for r in results if isinstance(r, BaseException)):
            log.error("digest failed unexpectedly", extra={"error": f"{type(error).__name__}: {error}"})
        return sum(1 for r in results if r is True)

    async def send(self, batch: store.DigestBatch) -> bool:
        ids = [d for d, _, _ in batch.rows]
        self.in_hand.update(ids)
        try:
            return await self._send(batch)
        finally:
            self.in_hand.difference_update(ids)

    async def _send(self, batch: store.DigestBatch) -> bool:
        now = self.clock()
        attempts = max(a for _, a, _ in batch.rows)
        ctx = {"subscription_id": batch.subscription_id, "stories": len(batch.rows), "batch_id": batch.batch_id}
        sub = self.subscription(batch.subscription_id)
        if sub is None:
            await self.db_call(store.suppress, self.db, [d for d, _, _ in batch.rows], "the subscription was removed or paused", now)
            return False
        if until := quiet_until(sub.policy, now):
            await self.db_call(store.mark_batch, self.db, batch.batch_id, status="queued", attempts=attempts, error=None,
                               result={"held": "quiet hours"}, next_attempt_at=until, now=now)
            self.metrics.held.labels("quiet_hours").inc()
            return False
        now = self.clock()
        items = [
            DigestItem(alert.article, alert.tags, alert.coverage,
                       self.feedback.links(delivery_id, now) if self.feedback is not None else None)
            for delivery_id, _, alert in batch.rows
        ]
        result = await self.sender.send(sub.channel_url, render_digest(items, sub.policy.digest_schedule))
        attempts += 1
        kind = scheme(sub.channel_url)
        status, retry_at = next_step(result, attempts, self.settings, self.clock(), retry_jitter())
        error = failure_text(result)
        rows = list(zip(batch.rows, items, strict=True))
        if status == "sent":
            events = [(d, outbox_entry(ALERTS_DELIVERED, delivered_event(d, sub, item.article, item.tags, attempts, alert.discovered_at)))
                      for (d, _, alert), item in rows]
        elif status == "failed":
            events = [(d, outbox_entry(ALERTS_FAILED, failed_event(d, sub, item.article, error or "", attempts, result.permanent))) for (d, _, _), item in rows]
        else:
            events = []
        await self.db_call(store.mark_batch, self.db, batch.batch_id, status=STORED_STATUS[status], attempts=attempts, error=error, result=result.as_dict(),
                           next_attempt_at=retry_at, now=self.clock(), events=events)
        if status == "sent":
            self.metrics.digests.labels(kind).inc()
            log.info("digest delivered", extra={**ctx, "attempts": attempts})
            for (_, _, alert), _ in rows:
                self.metrics.delivered(kind, alert.discovered_at)
            return True
        if status == "retry":
            self.metrics.retries.labels(kind).inc()
            log.warning("digest delivery failed; retry scheduled", extra={**ctx, "error": error, "attempts": attempts})
            return False
        self.metrics.failed.labels(kind).inc()
        log.error("digest delivery failed", extra={**ctx, "error": error, "attempts": attempts, "permanent": result.permanent})
        return False
