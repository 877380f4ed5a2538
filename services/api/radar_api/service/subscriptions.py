"""Subscriptions and their channels (a user's aggregate): what a channel is sent and when.

A channel URL is a secret: it is checked against the channel rules (radar_shared.channel_urls) when it is
stored, never shown again but masked, and never changed (a channel is write-once). The seven options of a
subscription are radar_shared.subscriptions.SubscriptionOptions, checked by its rules before they are stored.
"""

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel import col, select

from radar_api.auth import Actor
from radar_api.service.errors import ConfigError, NotFoundError
from radar_api.service.ownership import check_quota, check_watches, owned, visible
from radar_api.service.text import check_text
from radar_api.service.watchlists import LIST_NAME
from radar_classifier.operator import topic_names
from radar_notifier import operator as notifier
from radar_shared.channel_urls import ChannelRules, ChannelURLError, mask, validate_channel_url
from radar_shared.db import session_scope
from radar_shared.models import Channel, Subscription
from radar_shared.subscriptions import HasOptions, PolicyError, SubscriptionOptions, describe, options_of, validate_options

__all__ = [
    "ChannelRow", "SubscriptionRow", "add_subscription", "get_subscription", "list_channels", "list_subscriptions", "remove_subscription",
    "send_test_alert", "set_subscription_enabled", "topic_names", "update_subscription",
]


LIST_TAG = re.compile(f"watchlist:{LIST_NAME}")  # a watchlist's tag: a subscription may follow a list imported later


def _checked(topics: list[str], watch_ids: list[int], min_score: float, policy: HasOptions | None) -> SubscriptionOptions:
    """The options (defaults when None; any object with the seven options, e.g. the notifier's Policy), or
    ConfigError naming the first unusable field."""
    try:
        options = validate_options(options_of(policy) if policy is not None else SubscriptionOptions())
    except PolicyError as error:
        raise ConfigError(str(error)) from None
    except ValidationError as error:  # a field too long for its column, from a caller that did not check it (the CLI)
        first = error.errors()[0]
        raise ConfigError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    known = topic_names()
    unknown = [t for t in topics if t not in known and not LIST_TAG.fullmatch(t)]
    if unknown:
        raise ConfigError(f"topic: unknown topic(s) {', '.join(unknown)}; known: {', '.join(known)}, or watchlist:<list>")
    if not topics and not watch_ids:
        raise ConfigError("topic/watch: a subscription needs at least one topic or watch")
    if not 0.0 <= min_score <= 1.0:
        raise ConfigError("min_score: must be between 0 and 1")
    return options


def add_subscription(
    db: str, channel_url: str, topics: list[str], watch_ids: list[int], min_score: float, rules: ChannelRules, policy: HasOptions | None = None,
    actor: Actor | None = None, quota: int | None = None,
) -> Subscription:
    """Subscribe a channel (refused unless `rules` allow its URL for this actor; the CLI acts as an admin)."""
    check_text(channel=channel_url)
    try:
        kind = validate_channel_url(channel_url, rules, admin=actor is None or actor.admin)
    except ChannelURLError as error:
        raise ConfigError(str(error)) from None
    options = _checked(topics, watch_ids, min_score, policy)
    with session_scope(db) as s:
        check_quota(s, Subscription, actor, quota, "subscriptions")
        check_watches(s, watch_ids, actor)
        channel = s.exec(select(Channel).where(Channel.url == channel_url)).first()
        if channel is None:
            channel = Channel(url=channel_url, kind=kind, owner_id=actor.user_id if actor else None)
            s.add(channel)
            s.flush()
        assert channel.id is not None  # flushed: the database gave it its id
        sub = Subscription(channel_id=channel.id, topics=list(topics), watch_ids=list(watch_ids), min_score=min_score, **options.model_dump(),
                           owner_id=actor.user_id if actor else None)
        s.add(sub)
        s.flush()
        return sub


@dataclass(frozen=True)
class SubscriptionRow:
    id: int
    channel: str  # masked
    topics: list[str]
    watch_ids: list[int]
    min_score: float
    policy: SubscriptionOptions
    enabled: bool = True

    @property
    def schedule(self) -> str:
        return describe(self.policy)


def _subscription_row(sub: Subscription, ch: Channel) -> SubscriptionRow:
    return SubscriptionRow(sub.id, mask(ch.url), list(sub.topics), list(sub.watch_ids), sub.min_score, options_of(sub), sub.enabled)  # type: ignore[arg-type]


def list_subscriptions(db: str, actor: Actor | None = None, include_paused: bool = False) -> list[SubscriptionRow]:
    with session_scope(db) as s:
        query = select(Subscription, Channel).join(Channel, col(Channel.id) == col(Subscription.channel_id))
        if not include_paused:
            query = query.where(col(Subscription.enabled))
        return [_subscription_row(sub, ch) for sub, ch in s.exec(visible(query, Subscription, actor).order_by(col(Subscription.id))).all()]


def get_subscription(db: str, subscription_id: int, actor: Actor | None = None) -> SubscriptionRow:
    with session_scope(db) as s:
        sub = owned(s, Subscription, subscription_id, "subscription", actor)
        return _subscription_row(sub, owned(s, Channel, sub.channel_id, "channel"))


def update_subscription(db: str, subscription_id: int, topics: list[str], watch_ids: list[int], min_score: float, policy: HasOptions,
                        actor: Actor | None = None) -> None:
    """Change what a subscription sends and when; its channel stays (a channel URL is write-once)."""
    options = _checked(topics, watch_ids, min_score, policy)
    with session_scope(db) as s:
        sub = owned(s, Subscription, subscription_id, "subscription", actor)
        check_watches(s, watch_ids, actor)
        sub.topics, sub.watch_ids, sub.min_score = list(topics), list(watch_ids), min_score
        for name, value in options.model_dump().items():
            setattr(sub, name, value)
        s.add(sub)


def set_subscription_enabled(db: str, subscription_id: int, enabled: bool, actor: Actor | None = None) -> None:
    """Pause or resume. Alerts of a paused subscription are not sent, and not sent later either."""
    with session_scope(db) as s:
        sub = owned(s, Subscription, subscription_id, "subscription", actor)
        sub.enabled = enabled
        s.add(sub)


@dataclass(frozen=True)
class ChannelRow:
    id: int
    kind: str
    masked: str
    subscriptions: list[int]


def list_channels(db: str, actor: Actor | None = None) -> list[ChannelRow]:
    """The channels of the actor's active subscriptions, masked."""
    with session_scope(db) as s:
        query = select(Subscription, Channel).join(Channel, col(Channel.id) == col(Subscription.channel_id)).where(col(Subscription.enabled))
        rows: dict[int, ChannelRow] = {}
        for sub, ch in s.exec(visible(query, Subscription, actor).order_by(col(Channel.id))).all():
            row = rows.setdefault(ch.id, ChannelRow(ch.id, ch.kind, mask(ch.url), []))  # type: ignore[arg-type]
            row.subscriptions.append(sub.id)  # type: ignore[arg-type]
        return list(rows.values())


def remove_subscription(db: str, subscription_id: int, actor: Actor | None = None) -> None:
    with session_scope(db) as s:
        sub = owned(s, Subscription, subscription_id, "subscription", actor)
        sub.enabled = False
        s.add(sub)


async def send_test_alert(db: str, subscription_id: int, rules: ChannelRules, actor: Actor | None = None) -> Any:
    """Send a sample alert to the subscription's channel through the notifier (its renderer and channels, under
    the same address policy as its sends); the answer is Apprise's result."""
    with session_scope(db) as s:
        sub = owned(s, Subscription, subscription_id, "subscription", actor)
        if not sub.enabled:
            raise NotFoundError(f"subscription {subscription_id} does not exist")
        url, topic = owned(s, Channel, sub.channel_id, "channel").url, (sub.topics or ["test"])[0]
    return await notifier.send_test_alert(url, topic, rules)
