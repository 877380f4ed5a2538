"""Deliveries (read by their subscription's owner): the history of alerts, counts per day, and resending failed
ones. The notifier owns the delivery table: the control plane reads it, and asks the notifier to resend."""

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from radar_api.auth import Actor
from radar_api.service.errors import ConfigError
from radar_api.service.ownership import visible
from radar_notifier import operator as notifier
from radar_shared.db import as_utc, session_scope
from radar_shared.messages import AlertRecord
from radar_shared.models import Delivery, Subscription

MAX_LISTED = 500  # most rows one listing returns


def list_deliveries(db: str, actor: Actor | None = None, failed_only: bool = False, limit: int = 100) -> list[Delivery]:
    """The history of alerts, newest first; a user sees those of their own subscriptions."""
    if not 1 <= limit <= MAX_LISTED:
        raise ConfigError(f"limit: between 1 and {MAX_LISTED}")
    with session_scope(db) as s:
        query = select(Delivery).join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
        if failed_only:
            query = query.where(Delivery.status == "failed")
        return list(s.exec(visible(query, Subscription, actor).order_by(col(Delivery.id).desc()).limit(limit)).all())


def alerts_per_day(db: str, actor: Actor | None, days: int = 30, now: datetime | None = None) -> dict[str, dict[str, int]]:
    """The actor's alerts of the last `days` days by tag (topic or watch) and by day (`YYYY-MM-DD`, UTC)."""
    now = now or datetime.now(UTC)
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    counts: dict[str, dict[str, int]] = {}
    with session_scope(db) as s:
        query = (
            select(Delivery.created_at, Delivery.tags)
            .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
            .where(col(Delivery.created_at) >= since, Delivery.status != "suppressed")
        )
        for created, tags in s.exec(visible(query, Subscription, actor)).all():
            day = as_utc(created).strftime("%Y-%m-%d")  # type: ignore[union-attr]
            for tag in tags or ["(untagged)"]:
                per_day = counts.setdefault(tag, {})
                per_day[day] = per_day.get(day, 0) + 1
    return counts


def resend(db: str, delivery_ids: list[int] | None) -> list[int]:
    """Queue failed deliveries (the given ones, or all failed: None) for sending again, through the notifier;
    the ids queued (a given id that is missing or not failed is not among them). Admins only."""
    return notifier.resend(db, delivery_ids)


def alert_record(delivery: Delivery) -> AlertRecord | None:
    """The stored alert of a delivery as its model (rows written before the model existed have the same keys)."""
    return AlertRecord.model_validate(delivery.alert) if delivery.alert else None
