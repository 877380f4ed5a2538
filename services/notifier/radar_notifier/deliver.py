"""Delivery of ArticleClassified events: record each batch's deliveries, then claim, send and mark each.

The Kafka handler only records the rows (one transaction) and starts the sends in the background, so the
partition moves on at database speed, not at the speed of the slowest channel. Deliveries to different
channels run concurrently. The only window for a duplicate is a crash after the channel accepted a message and before `store.mark(...,
'sent')` commits; a claim left in 'sending' is sent again only after NOTIFIER_SENDING_STALE_SECONDS. A failed send
is retried from the delivery log (status pending, next_attempt_at) by a loop of its own, so a channel that is
down never holds the Kafka partition. The same loop sends what quiet hours or a rate limit held back, and the
digests that are due (rows 'queued' until their subscription's digest time).
Every state that quiet hours, digests and rate limits need is in the database, so notifier replicas share it:
the hourly rate limit's slots are delivery rows (rate_slot_at) taken under a per-subscription lock
(store.take_rate_slot), never a count in one process's memory.

The alerts.delivered.v1 / alerts.failed.v1 event of an outcome is written to the outbox (alert_outbox) in the
transaction that marks the delivery, and a loop of its own publishes it (radar_shared.outbox): every sent or
failed delivery has its event, a notifier killed before its producer flushed included, and sending never
waits for the broker.
"""

import asyncio
import functools
import inspect
import json
import logging
import os
import socket
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from radar_notifier import store
from radar_notifier.channels import Sender, slack_webhook
from radar_notifier.config import NotifierSettings
from radar_notifier.digests import DigestSender
from radar_notifier.fanout import fan_out, to_send
from radar_notifier.feedback_links import FeedbackSigner
from radar_notifier.metrics import DeliveryMetrics
from radar_notifier.outcomes import OutcomeBatcher, delivered_event, failed_event, outbox_entry
from radar_notifier.policy import hold_until
from radar_notifier.render import RenderedAlert, render_alert, with_feedback
from radar_notifier.retry_schedule import failure_text, next_step, retry_jitter
from radar_notifier.routing import SubscriptionView
from radar_shared import outbox
from radar_shared.channel_urls import ChannelRules, mask, scheme
from radar_shared.logging import PeriodicSummary
from radar_shared.loops import repeat
from radar_shared.messages import AlertDelivered, AlertFailed, AlertRecord, ArticleClassified, utcnow
from radar_shared.models import AlertOutbox
from radar_shared.topics import ALERTS_DELIVERED, ALERTS_FAILED

__all__ = ["DeliveryMetrics", "FeedbackSigner", "Notifier"]

log = logging.getLogger("radar.notifier")
MAX_INFLIGHT = 256  # handle() calls whose sends run in the background at once
RENDER_CACHE = 1024  # rendered alerts kept, per (article, tags)
OUTBOX_PRUNE_SECONDS = 3600
DELIVERY_LOG_THREADS = 8  # PostgreSQL: writers at once, each keeping a pooled connection (≤ POSTGRESQL_POOL_SIZE)


class Notifier:
    """Composes the steps: fan-out (fanout.py), sends with their retry schedule (retry_schedule.py), outcome
    batching (outcomes.py) and digests (digests.py), over the delivery log (store.py) and the channels."""

    def __init__(
        self,
        settings: NotifierSettings,
        database_url: str,
        publish_delivered: Callable[[AlertDelivered], Awaitable[Any]],
        publish_failed: Callable[[AlertFailed], Awaitable[Any]],
        metrics: DeliveryMetrics,
        clock: Callable[[], datetime] = utcnow,
        sender: Sender | None = None,
        owner: str | None = None,
        feedback: FeedbackSigner | None = None,
    ) -> None:
        self.settings = settings
        self.feedback = feedback
        self.db = database_url
        self.publish_delivered = publish_delivered
        self.publish_failed = publish_failed
        self.metrics = metrics
        self.clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.sender = sender or Sender(ChannelRules.from_settings(settings), settings.send_workers, settings.channel_concurrency, settings.slack_interval_seconds, settings.send_timeout_seconds)
        self.subscriptions: list[SubscriptionView] = []
        self.by_id: dict[int, SubscriptionView] = {}
        self.inflight: set[asyncio.Task] = set()
        self.in_hand: set[int] = set()  # deliveries this notifier has claimed and not yet marked
        self.leased: dict[int, datetime] = {}  # of those, when each was claimed or last renewed (as renew_leases saw it)
        self.summary = PeriodicSummary(log, "notifier")
        self.rendered: OrderedDict[tuple[str, str], RenderedAlert] = OrderedDict()  # per (article, tags): one rendering for every subscriber
        # SQLite has one writer: several threads writing at once wait in its busy handler, which sleeps in steps of
        # up to 100 ms. One thread for SQLite keeps its writes back to back; PostgreSQL gets a pool.
        self.db_executor = ThreadPoolExecutor(1 if database_url.startswith("sqlite") else DELIVERY_LOG_THREADS, thread_name_prefix="delivery-log")
        self.enqueue = asyncio.Lock()  # one outbox event handed to the producer at a time (_publish_event)
        self.outcomes = OutcomeBatcher(database_url, self.db_call, clock)
        self.digests = DigestSender(settings, database_url, self.db_call, self.sender, metrics, clock, lambda sub_id: self.by_id.get(sub_id),
                                    self.in_hand, feedback)

    @property
    def renew_every(self) -> float:
        """How often the claims in hand are looked at (each is renewed once a quarter of the stale time old)."""
        return min(self.settings.retry_poll_seconds, self.settings.sending_stale_seconds / 8)

    async def mark(self, delivery_id: int, **outcome: Any) -> None:
        """Record a send's outcome, batched with the others that arrive meanwhile (outcomes.OutcomeBatcher)."""
        await self.outcomes.mark(delivery_id, **outcome)

    async def db_call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.db_executor, functools.partial(fn, *args, **kwargs))

    def apply_subscriptions(self, subscriptions: list[SubscriptionView]) -> None:
        self.subscriptions = subscriptions
        self.by_id = {s.id: s for s in subscriptions}
        for sub in subscriptions:  # parse each channel URL now (cached), not on the first alert
            mask(sub.channel_url)
            slack_webhook(sub.channel_url)

    async def close(self, timeout: float = 10) -> None:
        """Let sends in flight finish (up to `timeout`), then release the channels. The claims of the sends
        still in flight are renewed meanwhile: the delivery loop, which renewed them, has stopped by now, and a
        claim that went stale while its send waited for Slack's pacing was taken over and sent a second time by
        another replica. A send cut off at `timeout` leaves its claim to go stale (the documented crash window)."""
        renewing = asyncio.create_task(repeat(self.renew_leases, self.renew_every, "renewing claims at shutdown"))
        try:
            await self.settle(timeout)
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
        for task in self.inflight:
            task.cancel()
        await self.sender.close()
        self.db_executor.shutdown(wait=False)

    async def settle(self, timeout: float | None = None) -> None:
        """Wait for the sends that handle() started."""
        if self.inflight:
            await asyncio.wait(set(self.inflight), timeout=timeout)

    async def handle(self, event: ArticleClassified) -> int:
        """handle_batch for one event."""
        return await self.handle_batch([event])

    async def handle_batch(self, events: list[ArticleClassified]) -> int:
        """Record the deliveries of a batch of articles in one transaction, then start sending them and return:
        the batch's offsets are committed once the rows are durable. The rows to send now are recorded as claimed
        by this notifier (its lease is renewed while it works on them); after a crash they are taken over once
        the lease is NOTIFIER_SENDING_STALE_SECONDS old. Return how many new alerts were started."""
        now = self.clock()
        plan = fan_out(events, self.subscriptions, now)
        if not plan.articles:
            return 0
        claim = len(self.inflight) < MAX_INFLIGHT  # beyond that, rows stay 'pending' and the delivery loop sends them
        recorded = await self.db_call(store.record_many, self.db, plan.articles, now, claim)
        if plan.queued:
            self.metrics.queued.inc(plan.queued)
        for article, new in zip(plan.articles, recorded, strict=True):
            ctx = {"story_id": article.story_id, "article_id": article.article_id, "matched": len(article.items), "new": len(new)}
            log.debug("deliveries recorded" if new else "already delivered; skipped", extra=ctx)
        due_now = to_send(plan, recorded, {sub_id: sub.channel_url for sub_id, sub in self.by_id.items()})
        self.summary.add(articles=len(events), matched=len(plan.articles), recorded=sum(len(n) for n in recorded))
        if due_now and claim:
            self.in_hand.update(d.delivery_id for d in due_now)  # leased from the moment the rows exist
            task = asyncio.create_task(self._attempt_all(due_now))
            self.inflight.add(task)
            task.add_done_callback(self.inflight.discard)
        return len(due_now)

    async def _in_hand(self, delivery_id: int, work: Awaitable[bool]) -> bool:
        """Keep the claim's lease alive while the delivery waits for its channel and is sent."""
        self.in_hand.add(delivery_id)
        try:
            return await work
        finally:
            self.in_hand.discard(delivery_id)

    async def renew_leases(self) -> None:
        """A claim ('sending') is taken over once it is NOTIFIER_SENDING_STALE_SECONDS old; this notifier's own
        claims are renewed on a clock of their own, so only a crashed notifier's claims go stale, however long a
        send waits for its channel (Slack's pacing, a slow SMTP server). A claim is renewed once it is a quarter
        of that age (its claim or last renewal was seen by an earlier tick, at most a tick late): most alerts
        are sent and marked before their first renewal, which then costs nothing."""
        now = self.clock()
        for gone in self.leased.keys() - self.in_hand:
            del self.leased[gone]
        for new in self.in_hand - self.leased.keys():
            self.leased[new] = now  # claimed since the last tick: its row's updated_at is at most a tick older
        due = sorted(i for i, at in self.leased.items() if (now - at).total_seconds() >= self.settings.sending_stale_seconds / 4)
        if due:
            await self.db_call(store.renew, self.db, due, now)
            for i in due:
                self.leased[i] = now

    async def _attempt_all(self, due: list[store.DueRetry]) -> int:
        gone = [d.delivery_id for d in due if d.subscription_id not in self.by_id]
        if gone:
            await self.db_call(store.suppress, self.db, gone, "the subscription was removed or paused", self.clock())
        results = await asyncio.gather(
            *(self._in_hand(d.delivery_id, self.attempt(d.delivery_id, self.by_id[d.subscription_id], d.attempts, d.alert))
              for d in due if d.subscription_id in self.by_id),
            return_exceptions=True,
        )
        for error in (r for r in results if isinstance(r, BaseException)):
            log.error("send failed unexpectedly", extra={"error": f"{type(error).__name__}: {error}"})
        return sum(1 for r in results if r is True)

    async def attempt(self, delivery_id: int, sub: SubscriptionView, attempts: int, alert: AlertRecord) -> bool:
        """One send of a claimed delivery, unless quiet hours or the rate limit hold it back; then sent, or a
        retry scheduled in the delivery log (the partition is not held), or failed when the budget is spent or
        the failure is permanent."""
        return await self._attempt(delivery_id, sub, attempts, alert)

    async def _attempt(self, delivery_id: int, sub: SubscriptionView, attempts: int, alert: AlertRecord) -> bool:
        article, tags = alert.article, alert.tags
        ctx = {"subscription_id": sub.id, "story_id": article.story_id, "article_id": article.article_id, "delivery_id": delivery_id}
        now = self.clock()
        held = hold_until(sub.policy, now)  # quiet hours
        if not held and sub.policy.max_per_hour:  # the rate limit: a slot taken in the database, shared by every replica
            recent = await self.db_call(store.take_rate_slot, self.db, sub.id, delivery_id, sub.policy.max_per_hour, now)
            held = hold_until(sub.policy, now, recent)
        if held:
            until, reason = held
            await self.db_call(store.hold, self.db, delivery_id, until, reason, now)
            self.metrics.held.labels("quiet_hours" if reason.startswith("quiet") else "rate_limit").inc()
            log.info("alert held", extra={**ctx, "reason": reason})
            return False
        rendered = self.render(alert)
        if self.feedback is not None:  # the links are this delivery's own: added to the shared rendering
            rendered = with_feedback(rendered, self.feedback.links(delivery_id, self.clock()))
        result = await self.sender.send(sub.channel_url, rendered)
        attempts += 1
        kind = scheme(sub.channel_url)
        ctx["channel"] = result.service
        status, retry_at = next_step(result, attempts, self.settings, self.clock(), retry_jitter())
        error = failure_text(result)
        if status == "sent":
            event = delivered_event(delivery_id, sub, article, tags, attempts, alert.discovered_at)
            await self.mark(delivery_id, status="sent", attempts=attempts, error=None, result=result.as_dict(), event=outbox_entry(ALERTS_DELIVERED, event))
            self.metrics.delivered(kind, alert.discovered_at)
            log.debug("alert delivered", extra={**ctx, "attempts": attempts})
            self.summary.add(delivered=1)
            return True
        if status == "retry":
            await self.mark(delivery_id, status="pending", attempts=attempts, error=error, result=result.as_dict(), next_attempt_at=retry_at)
            self.metrics.retries.labels(kind).inc()
            log.warning("alert delivery failed; retry scheduled", extra={**ctx, "error": error, "attempts": attempts, "retry_at": retry_at.isoformat()})  # type: ignore[union-attr]
            return False
        failed = failed_event(delivery_id, sub, article, error or "", attempts, result.permanent)
        await self.mark(delivery_id, status="failed", attempts=attempts, error=error, result=result.as_dict(), event=outbox_entry(ALERTS_FAILED, failed))
        self.metrics.failed.labels(kind).inc()
        log.error("alert delivery failed", extra={**ctx, "error": error, "attempts": attempts, "permanent": result.permanent})
        return False

    def render(self, alert: AlertRecord) -> RenderedAlert:
        """render_alert, once per article and set of tags (the subscribers of one article share it)."""
        key = (alert.article.article_id, json.dumps([t.model_dump(mode="json") for t in alert.tags], sort_keys=True))
        if (rendered := self.rendered.get(key)) is None:
            rendered = self.rendered[key] = render_alert(alert.article, alert.tags)
            while len(self.rendered) > RENDER_CACHE:
                self.rendered.popitem(last=False)
        else:
            self.rendered.move_to_end(key)
        return rendered

    async def retry_due(self) -> int:
        """Send the deliveries that are due (retries, held alerts, new alerts not sent yet, sends a crash
        interrupted), concurrently; return how many were sent."""
        now = self.clock()
        due = await self.db_call(store.claim_due_retries, self.db, now, 100, now - timedelta(seconds=self.settings.sending_stale_seconds))
        return await self._attempt_all(due)

    async def send_due(self) -> int:
        await self.renew_leases()
        sent = await self.retry_due()
        return sent + await self.digests.send_due()

    async def retry_forever(self) -> None:
        """The delivery loop, and beside it the renewal of this notifier's claims on a clock of its own: a tick
        of the delivery loop waits for its sends (Slack's pacing can hold one for minutes), and claims renewed only
        between ticks went stale under it, so that another replica took them over and sent them twice."""
        await asyncio.gather(
            repeat(self.renew_leases, self.renew_every, "renewing claims"),
            repeat(self.send_due, self.settings.retry_poll_seconds, "delivery loop"),
        )

    async def relay_events(self) -> int:
        """Publish the delivered and failed events that the outbox holds; return how many were published."""
        return await outbox.relay(self.db, AlertOutbox, self.owner, self.settings.sending_stale_seconds, self._publish_event, self._event_refused, self.clock)

    async def prune_events(self) -> int:
        """Delete the outbox rows published more than NOTIFIER_OUTBOX_RETENTION_DAYS ago (Kafka holds the events;
        the delivery log holds the outcomes), a batch at a time; return how many."""
        before = self.clock() - timedelta(days=self.settings.outbox_retention_days)
        pruned = 0
        while batch := await self.db_call(outbox.prune_published, self.db, AlertOutbox, before):
            pruned += batch
        return pruned

    async def relay_forever(self) -> None:
        await asyncio.gather(
            repeat(self.relay_events, self.settings.retry_poll_seconds, "publishing alert events"),
            repeat(self.prune_events, OUTBOX_PRUNE_SECONDS, "pruning published alert events"),
        )

    async def _publish_event(self, entry: dict) -> None:
        """Publish one outbox event. The publish functions may return the acknowledgement to wait for (the
        producer's future): events are then handed to the producer one at a time, and their acknowledgements
        awaited together. Hundreds of sends waiting at once for room in a full producer batch all woke up each
        time one drained."""
        async with self.enqueue:
            if entry["topic"] == ALERTS_DELIVERED:
                ack = await self.publish_delivered(AlertDelivered.model_validate(entry["event"]))
            else:
                ack = await self.publish_failed(AlertFailed.model_validate(entry["event"]))
        if inspect.isawaitable(ack):
            await ack

    async def _event_refused(self, row_id: int, entry: dict, error: BaseException) -> None:
        log.error("alert event refused by Kafka; not retried",
                  extra={"topic": entry["topic"], "delivery_id": entry["event"].get("delivery_id"), "error": f"{type(error).__name__}: {error}"})
