"""The notifier's delivery log (IO): one row per subscription × story, claimed before sending, marked after."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy import update
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


def claim(
    database_url: str, subscription_id: int, story_id: str, article_id: str, title: str, tags: list[str], stale_after: float, alert: dict | None = None
) -> Claim | None:
    """Claim the (subscription, story) delivery for sending, or None when it is sent, being sent elsewhere,
    scheduled for a retry (the retry loop owns it) or failed (an operator resends it)."""
    now = datetime.now(UTC)
    try:
        with session_scope(database_url) as s:
            row = s.exec(select(Delivery).where(Delivery.subscription_id == subscription_id, Delivery.story_id == story_id)).first()
            if row is None:
                row = Delivery(subscription_id=subscription_id, story_id=story_id, article_id=article_id, status="sending", title=title[:1000], tags=tags,
                               created_at=now, updated_at=now, alert=alert)
                s.add(row)
                s.flush()
                return Claim(row.id, 0)  # type: ignore[arg-type]
            if row.status in ("sent", "suppressed", "pending", "failed"):
                return None
            if row.status == "sending" and as_utc(row.updated_at) > now - timedelta(seconds=stale_after):  # type: ignore[operator]
                return None
            row.status, row.updated_at = "sending", now
            s.add(row)
            return Claim(row.id, row.attempts)  # type: ignore[arg-type]
    except IntegrityError:
        return None  # another notifier inserted the same (subscription, story) first


def mark(database_url: str, delivery_id: int, *, status: str, attempts: int, error: str | None, result: dict, next_attempt_at: datetime | None = None) -> None:
    """Record the outcome: sent, failed, or pending with the time of the next attempt. For 'sent' this is the
    single statement that closes the crash window."""
    now = datetime.now(UTC)
    with session_scope(database_url) as s:
        row = s.get(Delivery, delivery_id)
        if row is None:
            return
        row.status, row.attempts, row.last_error, row.result, row.updated_at = status, attempts, error, result, now
        row.next_attempt_at = next_attempt_at if status == "pending" else None
        if status == "sent":
            row.sent_at = now
        s.add(row)


@dataclass(frozen=True)
class DueRetry:
    delivery_id: int
    subscription_id: int
    channel_url: str
    attempts: int
    alert: dict


def claim_due_retries(database_url: str, now: datetime, limit: int = 100) -> list[DueRetry]:
    """Claim the deliveries whose retry is due (pending → sending, one conditional UPDATE each)."""
    out = []
    with session_scope(database_url) as s:
        rows = s.exec(
            select(Delivery, Channel)
            .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
            .join(Channel, col(Channel.id) == col(Subscription.channel_id))
            .where(Delivery.status == "pending", col(Delivery.next_attempt_at) <= now)
            .order_by(col(Delivery.next_attempt_at))
            .limit(limit)
        ).all()
        for delivery, channel in rows:
            claimed = s.execute(
                update(Delivery).where(col(Delivery.id) == delivery.id, Delivery.status == "pending").values(status="sending", updated_at=now, next_attempt_at=None)
            )
            if claimed.rowcount == 1 and delivery.alert:
                out.append(DueRetry(delivery.id, delivery.subscription_id, channel.url, delivery.attempts, delivery.alert))  # type: ignore[arg-type]
    return out


def resend(database_url: str, delivery_ids: list[int] | None) -> int:
    """Queue failed deliveries (the given ones, or all failed) for sending now, with a fresh retry budget."""
    now = datetime.now(UTC)
    with session_scope(database_url) as s:
        stmt = update(Delivery).where(Delivery.status == "failed")
        if delivery_ids is not None:
            stmt = stmt.where(col(Delivery.id).in_(delivery_ids))
        return s.execute(stmt.values(status="pending", next_attempt_at=now, attempts=0, updated_at=now)).rowcount or 0


def list_deliveries(database_url: str, failed_only: bool = False, limit: int = 100) -> list[Delivery]:
    with session_scope(database_url) as s:
        query = select(Delivery).order_by(col(Delivery.id).desc()).limit(limit)
        if failed_only:
            query = query.where(Delivery.status == "failed")
        return list(s.exec(query).all())
