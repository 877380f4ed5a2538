"""Fan-out of one ArticleClassified: match subscriptions, record the deliveries, then claim, send and mark each.

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
import json
import logging
import os
import random
import socket
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from radar_notifier import store
from radar_notifier.channels import Sender, SendResult, slack_webhook
from radar_notifier.config import NotifierSettings
from radar_notifier.policy import hold_until, next_digest_at, quiet_until
from radar_notifier.render import DigestItem, FeedbackLinks, RenderedAlert, render_alert, render_digest, with_feedback
from radar_notifier.routing import SubscriptionView, match_subscriptions
from radar_shared import outbox
from radar_shared.backoff import backoff_delay
from radar_shared.channel_urls import ChannelRules, mask, scheme
from radar_shared.feedback import VOTES, sign_vote
from radar_shared.logging import PeriodicSummary
from radar_shared.messages import AlertDelivered, AlertFailed, Article, ArticleClassified, Tag, utcnow
from radar_shared.models import AlertOutbox
from radar_shared.runtime import repeat
from radar_shared.topics import ALERTS_DELIVERED, ALERTS_FAILED

log = logging.getLogger("radar.notifier")
MAX_INFLIGHT = 256  # handle() calls whose sends run in the background at once
RENDER_CACHE = 1024  # rendered alerts kept, per (article, tags)


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sent = Counter("radar_deliveries_sent_total", "Alerts delivered, by channel type", ["channel_type"], registry=registry)
        self.failed = Counter("radar_deliveries_failed_total", "Alerts that failed, by channel type", ["channel_type"], registry=registry)
        self.retries = Counter("radar_delivery_retries_total", "Delivery attempts that failed and were scheduled again, by channel type", ["channel_type"], registry=registry)
        self.held = Counter("radar_deliveries_held_total", "Alerts held back by quiet hours or a rate limit", ["reason"], registry=registry)
        self.queued = Counter("radar_deliveries_queued_total", "Stories queued for a digest", registry=registry)
        self.digests = Counter("radar_digests_sent_total", "Digests sent, by channel type", ["channel_type"], registry=registry)
        self.latency = Histogram(
            "radar_end_to_end_seconds",
            "From discovery of the article to delivery of the alert",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
            registry=registry,
        )


@dataclass(frozen=True)
class FeedbackSigner:
    """Signs the "relevant / not relevant" links of an alert (radar_shared.feedback); the control plane checks them."""

    secret: str
    public_url: str
    days: float

    def links(self, delivery_id: int, now: datetime) -> FeedbackLinks:
        base = self.public_url.rstrip("/")
        return FeedbackLinks(*(f"{base}/feedback/{sign_vote(self.secret, delivery_id, None, vote, now, self.days)}" for vote in VOTES))


def next_step(result: SendResult, attempts: int, settings: NotifierSettings, now: datetime, jitter: float) -> tuple[str, datetime | None]:
    """After an attempt: ('sent', None), ('retry', when) or ('failed', None). A service's Retry-After is a floor
    under the exponential back-off; `jitter` is a factor near 1 that spreads retries out."""
    if result.ok:
        return "sent", None
    if result.permanent or attempts >= settings.send_attempts:
        return "failed", None
    delay = backoff_delay(attempts, settings.retry_base_seconds, settings.retry_max_seconds) * jitter
    if result.retry_after is not None:
        delay = max(delay, min(result.retry_after, settings.retry_max_seconds))
    return "retry", now + timedelta(seconds=delay)


class Notifier:
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
        self.marks: list[tuple[dict, asyncio.Future]] = []
        self.summary = PeriodicSummary(log, "notifier")
        self.rendered: OrderedDict[tuple[str, str], RenderedAlert] = OrderedDict()  # per (article, tags): one rendering for every subscriber
        self.mark_writer: asyncio.Task | None = None
        # SQLite has one writer: several threads writing at once wait in its busy handler, which sleeps in steps of
        # up to 100 ms. One thread for SQLite keeps its writes back to back; PostgreSQL gets a pool.
        self.db_executor = ThreadPoolExecutor(1 if database_url.startswith("sqlite") else 8, thread_name_prefix="delivery-log")

    async def mark(self, delivery_id: int, **outcome: Any) -> None:
        """Record a send's outcome. Outcomes that arrive while a write is under way are written together in the
        next transaction (group commit), so a busy notifier does not pay a transaction per alert; each caller
        returns only once its own outcome is durable."""
        done = asyncio.get_running_loop().create_future()
        self.marks.append(({"delivery_id": delivery_id, "now": self.clock(), **outcome}, done))
        if self.mark_writer is None or self.mark_writer.done():
            self.mark_writer = asyncio.create_task(self._write_marks())
        await done

    async def _write_marks(self) -> None:
        while self.marks:
            batch, self.marks = self.marks, []
            try:
                await self.db_call(store.mark_many, self.db, [m for m, _ in batch])
            except Exception as error:  # each waiting send sees the storage error, as with a write of its own
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def db_call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.db_executor, functools.partial(fn, *args, **kwargs))

    def apply_subscriptions(self, subscriptions: list[SubscriptionView]) -> None:
        self.subscriptions = subscriptions
        self.by_id = {s.id: s for s in subscriptions}
        for sub in subscriptions:  # parse each channel URL now (cached), not on the first alert
            mask(sub.channel_url)
            slack_webhook(sub.channel_url)

    async def close(self, timeout: float = 10) -> None:
        """Let sends in flight finish (up to `timeout`), then release the channels."""
        await self.settle(timeout)
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
        batch: list[store.ArticleDeliveries] = []
        alerts: list[dict[int, dict]] = []
        queued = 0
        for event in events:
            a = event.article
            items = []
            by_sub: dict[int, dict] = {}
            article_json = a.model_dump(mode="json", exclude={"text", "summary_html"})  # alerts show the evidence, not the whole text
            for sub, tags in match_subscriptions(self.subscriptions, event.tags):
                alert = {"article": article_json, "tags": [t.model_dump(mode="json") for t in tags], "discovered_at": event.discovered_at.isoformat()}
                due = next_digest_at(sub.policy, now) if sub.policy.mode == "digest" else None
                items.append((sub.id, [t.tag for t in tags], alert, due))
                by_sub[sub.id] = alert
                queued += due is not None
            if items:
                batch.append(store.ArticleDeliveries(a.story_id, a.article_id, a.title, items))
                alerts.append(by_sub)
        if not batch:
            return 0
        claim = len(self.inflight) < MAX_INFLIGHT  # beyond that, rows stay 'pending' and the delivery loop sends them
        recorded = await self.db_call(store.record_many, self.db, batch, now, claim)
        if queued:
            self.metrics.queued.inc(queued)
        due_now = []
        for article, by_sub, new in zip(batch, alerts, recorded, strict=True):
            ctx = {"story_id": article.story_id, "article_id": article.article_id, "matched": len(article.items), "new": len(new)}
            log.debug("deliveries recorded" if new else "already delivered; skipped", extra=ctx)
            due_now += [store.DueRetry(delivery_id, sub_id, self.by_id[sub_id].channel_url, 0, by_sub[sub_id]) for sub_id, delivery_id in new]
        self.summary.add(articles=len(events), matched=len(batch), recorded=sum(len(n) for n in recorded))
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
        claims are renewed on every tick, so only a crashed notifier's claims go stale, however long a send waits
        for its channel (Slack's pacing, a slow SMTP server)."""
        if self.in_hand:
            await self.db_call(store.renew, self.db, sorted(self.in_hand), self.clock())

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

    async def attempt(self, delivery_id: int, sub: SubscriptionView, attempts: int, alert: dict) -> bool:
        """One send of a claimed delivery, unless quiet hours or the rate limit hold it back; then sent, or a
        retry scheduled in the delivery log (the partition is not held), or failed when the budget is spent or
        the failure is permanent."""
        return await self._attempt(delivery_id, sub, attempts, alert)

    async def _attempt(self, delivery_id: int, sub: SubscriptionView, attempts: int, alert: dict) -> bool:
        article = Article.model_validate(alert["article"])
        tags = [Tag.model_validate(t) for t in alert["tags"]]
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
        rendered = self.render(article, tags, alert)
        if self.feedback is not None:  # the links are this delivery's own: added to the shared rendering
            rendered = with_feedback(rendered, self.feedback.links(delivery_id, self.clock()))
        result = await self.sender.send(sub.channel_url, rendered)
        attempts += 1
        kind = scheme(sub.channel_url)
        ctx["channel"] = result.service
        status, retry_at = next_step(result, attempts, self.settings, self.clock(), random.uniform(0.8, 1.2))
        error = None if result.ok else ("; ".join(result.errors) or "Apprise reported a failure")[:2000]
        if status == "sent":
            event = self._delivered_event(delivery_id, sub, article, tags, attempts, alert)
            await self.mark(delivery_id, status="sent", attempts=attempts, error=None, result=result.as_dict(), event=outbox_entry(ALERTS_DELIVERED, event))
            self._delivered(kind, alert)
            log.debug("alert delivered", extra={**ctx, "attempts": attempts})
            self.summary.add(delivered=1)
            return True
        if status == "retry":
            await self.mark(delivery_id, status="pending", attempts=attempts, error=error, result=result.as_dict(), next_attempt_at=retry_at)
            self.metrics.retries.labels(kind).inc()
            log.warning("alert delivery failed; retry scheduled", extra={**ctx, "error": error, "attempts": attempts, "retry_at": retry_at.isoformat()})  # type: ignore[union-attr]
            return False
        event = self._failed_event(delivery_id, sub, article, error or "", attempts, result.permanent)
        await self.mark(delivery_id, status="failed", attempts=attempts, error=error, result=result.as_dict(), event=outbox_entry(ALERTS_FAILED, event))
        self.metrics.failed.labels(kind).inc()
        log.error("alert delivery failed", extra={**ctx, "error": error, "attempts": attempts, "permanent": result.permanent})
        return False

    def render(self, article: Article, tags: list[Tag], alert: dict) -> RenderedAlert:
        """render_alert, once per article and set of tags (the subscribers of one article share it)."""
        key = (article.article_id, json.dumps(alert["tags"], sort_keys=True))
        if (rendered := self.rendered.get(key)) is None:
            rendered = self.rendered[key] = render_alert(article, tags)
            while len(self.rendered) > RENDER_CACHE:
                self.rendered.popitem(last=False)
        else:
            self.rendered.move_to_end(key)
        return rendered

    def _delivered(self, kind: str, alert: dict) -> None:
        self.metrics.sent.labels(kind).inc()
        if alert.get("discovered_at"):
            self.metrics.latency.observe((utcnow() - datetime.fromisoformat(alert["discovered_at"])).total_seconds())

    def _delivered_event(self, delivery_id: int, sub: SubscriptionView, article: Article, tags: list[Tag], attempts: int, alert: dict) -> AlertDelivered:
        discovered = datetime.fromisoformat(alert["discovered_at"]) if alert.get("discovered_at") else None
        return AlertDelivered(
            delivery_id=delivery_id, subscription_id=sub.id, article_id=article.article_id, story_id=article.story_id,
            channel=mask(sub.channel_url), tags=[t.tag for t in tags], attempts=attempts, discovered_at=discovered,
        )

    def _failed_event(self, delivery_id: int, sub: SubscriptionView, article: Article, error: str, attempts: int, permanent: bool) -> AlertFailed:
        return AlertFailed(
            delivery_id=delivery_id, subscription_id=sub.id, article_id=article.article_id, story_id=article.story_id,
            channel=mask(sub.channel_url), error=error, attempts=attempts, permanent=permanent,
        )

    async def retry_due(self) -> int:
        """Send the deliveries that are due (retries, held alerts, new alerts not sent yet, sends a crash
        interrupted), concurrently; return how many were sent."""
        now = self.clock()
        due = await self.db_call(store.claim_due_retries, self.db, now, 100, now - timedelta(seconds=self.settings.sending_stale_seconds))
        return await self._attempt_all(due)

    async def digest_due(self) -> int:
        """Send every digest that is due, one message per subscription; return how many were sent."""
        now = self.clock()
        batches = await self.db_call(store.claim_digests, self.db, now, now - timedelta(seconds=self.settings.sending_stale_seconds))
        results = await asyncio.gather(*(self.send_digest(b) for b in batches), return_exceptions=True)
        for error in (r for r in results if isinstance(r, BaseException)):
            log.error("digest failed unexpectedly", extra={"error": f"{type(error).__name__}: {error}"})
        return sum(1 for r in results if r is True)

    async def send_digest(self, batch: store.DigestBatch) -> bool:
        ids = [d for d, _, _ in batch.rows]
        self.in_hand.update(ids)
        try:
            return await self._send_digest(batch)
        finally:
            self.in_hand.difference_update(ids)

    async def _send_digest(self, batch: store.DigestBatch) -> bool:
        now = self.clock()
        attempts = max(a for _, a, _ in batch.rows)
        ctx = {"subscription_id": batch.subscription_id, "stories": len(batch.rows), "batch_id": batch.batch_id}
        sub = self.by_id.get(batch.subscription_id)
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
            DigestItem(Article.model_validate(alert["article"]), [Tag.model_validate(t) for t in alert["tags"]], alert.get("coverage", []),
                       self.feedback.links(delivery_id, now) if self.feedback is not None else None)
            for delivery_id, _, alert in batch.rows
        ]
        result = await self.sender.send(sub.channel_url, render_digest(items, sub.policy.digest_schedule))
        attempts += 1
        kind = scheme(sub.channel_url)
        status, retry_at = next_step(result, attempts, self.settings, self.clock(), random.uniform(0.8, 1.2))
        error = None if result.ok else ("; ".join(result.errors) or "Apprise reported a failure")[:2000]
        stored = {"sent": "sent", "retry": "queued", "failed": "failed"}[status]
        rows = list(zip(batch.rows, items, strict=True))
        if status == "sent":
            events = [(d, outbox_entry(ALERTS_DELIVERED, self._delivered_event(d, sub, item.article, item.tags, attempts, alert))) for (d, _, alert), item in rows]
        elif status == "failed":
            events = [(d, outbox_entry(ALERTS_FAILED, self._failed_event(d, sub, item.article, error or "", attempts, result.permanent))) for (d, _, _), item in rows]
        else:
            events = []
        await self.db_call(store.mark_batch, self.db, batch.batch_id, status=stored, attempts=attempts, error=error, result=result.as_dict(),
                                next_attempt_at=retry_at, now=self.clock(), events=events)
        if status == "sent":
            self.metrics.digests.labels(kind).inc()
            log.info("digest delivered", extra={**ctx, "attempts": attempts})
            for (_, _, alert), _ in rows:
                self._delivered(kind, alert)
            return True
        if status == "retry":
            self.metrics.retries.labels(kind).inc()
            log.warning("digest delivery failed; retry scheduled", extra={**ctx, "error": error, "attempts": attempts})
            return False
        self.metrics.failed.labels(kind).inc()
        log.error("digest delivery failed", extra={**ctx, "error": error, "attempts": attempts, "permanent": result.permanent})
        return False

    async def send_due(self) -> int:
        await self.renew_leases()
        sent = await self.retry_due()
        return sent + await self.digest_due()

    async def retry_forever(self) -> None:
        """The delivery loop, and beside it the renewal of this notifier's claims on a clock of its own: a tick
        of the delivery loop waits for its sends (Slack's pacing can hold one for minutes), and claims renewed only
        between ticks went stale under it, so that another replica took them over and sent them twice."""
        renew_every = min(self.settings.retry_poll_seconds, self.settings.sending_stale_seconds / 4)
        await asyncio.gather(
            repeat(self.renew_leases, renew_every, "renewing claims"),
            repeat(self.send_due, self.settings.retry_poll_seconds, "delivery loop"),
        )

    async def relay_events(self) -> int:
        """Publish the delivered and failed events that the outbox holds; return how many were published."""
        return await outbox.relay(self.db, AlertOutbox, self.owner, self.settings.sending_stale_seconds, self._publish_event, self._event_refused, self.clock)

    async def relay_forever(self) -> None:
        await repeat(self.relay_events, self.settings.retry_poll_seconds, "publishing alert events")

    async def _publish_event(self, entry: dict) -> None:
        if entry["topic"] == ALERTS_DELIVERED:
            await self.publish_delivered(AlertDelivered.model_validate(entry["event"]))
        else:
            await self.publish_failed(AlertFailed.model_validate(entry["event"]))

    async def _event_refused(self, row_id: int, entry: dict, error: BaseException) -> None:
        log.error("alert event refused by Kafka; not retried",
                  extra={"topic": entry["topic"], "delivery_id": entry["event"].get("delivery_id"), "error": f"{type(error).__name__}: {error}"})


def outbox_entry(topic: str, event: AlertDelivered | AlertFailed) -> dict:
    """What alert_outbox stores for one event."""
    return {"topic": topic, "event": event.model_dump(mode="json")}
