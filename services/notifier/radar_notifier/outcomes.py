"""A send's outcome, made durable exactly once: the delivery row's mark and its event in one transaction.

Marks that arrive while a write is under way are written together in the next transaction (group commit), so
a busy notifier does not pay a transaction per alert, and each caller returns only once its own outcome is
durable: a claim ('sending') is released only by its mark, so the only window for a duplicate stays a crash
between the channel's answer and that commit. The alerts.delivered.v1 / alerts.failed.v1 event of an outcome
goes to the outbox (alert_outbox) in the same transaction, so every sent or failed delivery has its event.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from radar_notifier import store
from radar_notifier.routing import SubscriptionView
from radar_shared.channel_urls import mask
from radar_shared.messages import AlertDelivered, AlertFailed, Article, Tag

DbCall = Callable[..., Awaitable[Any]]


class OutcomeBatcher:
    """Group commit of `store.mark_many`: one transaction for the outcomes that queued up during the last one."""

    def __init__(self, database_url: str, db_call: DbCall, clock: Callable[[], datetime]) -> None:
        self.db = database_url
        self.db_call = db_call
        self.clock = clock
        self.pending: list[tuple[dict, asyncio.Future]] = []
        self.writer: asyncio.Task | None = None

    async def mark(self, delivery_id: int, **outcome: Any) -> None:
        """Record a send's outcome (the keyword arguments of store.mark, and its outbox `event`); return once it
        is durable, or raise the storage error that its transaction met."""
        done = asyncio.get_running_loop().create_future()
        self.pending.append(({"delivery_id": delivery_id, "now": self.clock(), **outcome}, done))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
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


def outbox_entry(topic: str, event: AlertDelivered | AlertFailed) -> dict:
    """What alert_outbox stores for one event."""
    return {"topic": topic, "event": event.model_dump(mode="json")}


def delivered_event(delivery_id: int, sub: SubscriptionView, article: Article, tags: list[Tag], attempts: int,
                    discovered_at: datetime | None) -> AlertDelivered:
    return AlertDelivered(
        delivery_id=delivery_id, subscription_id=sub.id, article_id=article.article_id, story_id=article.story_id,
        channel=mask(sub.channel_url), tags=[t.tag for t in tags], attempts=attempts, discovered_at=discovered_at,
    )


def failed_event(delivery_id: int, sub: SubscriptionView, article: Article, error: str, attempts: int, permanent: bool) -> AlertFailed:
    return AlertFailed(
        delivery_id=delivery_id, subscription_id=sub.id, article_id=article.article_id, story_id=article.story_id,
        channel=mask(sub.channel_url), error=error, attempts=attempts, permanent=permanent,
    )
