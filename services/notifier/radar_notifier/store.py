"""The notifier's delivery log (IO): one row per subscription × story, claimed before sending, marked after."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from radar_notifier.routing import SubscriptionView
from radar_shared.db import as_utc, session_scope
from radar_shared.models import Channel, Delivery, Subscription


def load_subscriptions(database_url: str) -> list[SubscriptionView]:
    with session_scope(database_url) as s:
        rows = s.exec(select(Subscription, Channel).join(Channel, col(Channel.id) == col(Subscription.channel_id)).where(col(Subscription.enabled))).all()
        return [SubscriptionView(sub.id, ch.url, tuple(sub.topics), tuple(sub.watch_ids), sub.min_score, sub.enabled) for sub, ch in rows]  # type: ignore[arg-type]


@dataclass(frozen=True)
class Claim:
    delivery_id: int
    attempts: int


def claim(database_url: str, subscription_id: int, story_id: str, article_id: str, title: str, tags: list[str], stale_after: float) -> Claim | None:
    """Claim the (subscription, story) delivery for sending, or None when it is sent or being sent elsewhere."""
    now = datetime.now(UTC)
    try:
        with session_scope(database_url) as s:
            row = s.exec(select(Delivery).where(Delivery.subscription_id == subscription_id, Delivery.story_id == story_id)).first()
            if row is None:
                row = Delivery(subscription_id=subscription_id, story_id=story_id, article_id=article_id, status="sending", title=title[:1000], tags=tags, created_at=now, updated_at=now)
                s.add(row)
                s.flush()
                return Claim(row.id, 0)  # type: ignore[arg-type]
            if row.status in ("sent", "suppressed"):
                return None
            if row.status == "sending" and as_utc(row.updated_at) > now - timedelta(seconds=stale_after):  # type: ignore[operator]
                return None
            row.status, row.updated_at = "sending", now
            s.add(row)
            return Claim(row.id, row.attempts)  # type: ignore[arg-type]
    except IntegrityError:
        return None  # another notifier inserted the same (subscription, story) first


def mark(database_url: str, delivery_id: int, *, status: str, attempts: int, error: str | None, result: dict) -> None:
    """Record the outcome. For 'sent' this is the single statement that closes the crash window."""
    now = datetime.now(UTC)
    with session_scope(database_url) as s:
        row = s.get(Delivery, delivery_id)
        if row is None:
            return
        row.status, row.attempts, row.last_error, row.result, row.updated_at = status, attempts, error, result, now
        if status == "sent":
            row.sent_at = now
        s.add(row)
