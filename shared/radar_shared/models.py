"""SQLModel tables. Each table has one owning service, and only that service writes it.

- control plane (api): user, api_token, feed, watch, channel, subscription, watchlist_entry, watchlist_clear,
  feedback_vote, feedback_link_use, rate_limit_window
- feed-watcher: feed_state, seen_entry, story_fingerprint
- notifier: delivery, alert_outbox
- every service: its own rows of service_heartbeat (one per replica)
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from radar_shared.subscriptions import SubscriptionOptions


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_type=sa.DateTime(timezone=True), **kw)


class Feed(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True, max_length=2048)
    title: str = Field(default="", max_length=500)
    enabled: bool = True
    poll_interval_seconds: int | None = Field(default=None, description="Override of the default interval.")
    full_text_below_chars: int | None = Field(
        default=None, description="Fetch the article page and extract its text when an entry's text is shorter than this (None: off)."
    )
    allowed_networks: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"),
        description="Allow-list entries (ADDRESS:PORTS) this feed's redirects and article pages may reach beyond public addresses, "
                    "within FEED_WATCHER_ALLOWED_NETWORKS (decision 020).",
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class User(SQLModel, table=True):
    """Control plane: a person or a team. Watches, channels and subscriptions belong to a user (owner_id);
    rows without an owner were made with the CLI and are visible to admins only."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)
    role: str = Field(default="user", max_length=20, description="admin | user")
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class ApiToken(SQLModel, table=True):
    """Control plane: an API token, stored as its SHA-256 (the token itself is shown once, at creation)."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(unique=True, max_length=64)
    name: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    last_used_at: datetime | None = _ts()
    revoked_at: datetime | None = _ts()


class Watch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    query: str = Field(max_length=2000)
    name: str = Field(default="", max_length=200)
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class WatchlistEntry(SQLModel, table=True):
    """Control plane: a sanctioned entity of an imported list (OFAC SDN, OpenSanctions), read by the classifier."""

    __tablename__ = "watchlist_entry"
    __table_args__ = (sa.UniqueConstraint("list_name", "entity_id", name="uq_watchlist_entry_list_entity"),)

    id: int | None = Field(default=None, primary_key=True)
    list_name: str = Field(max_length=100, index=True)
    entity_id: str = Field(max_length=200)
    name: str = Field(max_length=1000)
    kind: str = Field(default="", max_length=50)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    imo: str | None = Field(default=None, max_length=7, index=True)
    program: str = Field(default="", max_length=200)
    weak_aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"), description="Aliases that never match alone (OFAC weak, UN Low quality).")
    mmsi: str | None = Field(default=None, max_length=9)
    vessel_type: str = Field(default="", max_length=100)
    fingerprint: str = Field(default="", max_length=32, description="Digest of the entry as listed; a clear holds while it is unchanged.")
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class WatchlistClear(SQLModel, table=True):
    """Control plane: an analyst's clear of a list entry (alias empty) or of one of its aliases. It suppresses the
    entry's alerts for that user while the entry's fingerprint is the one cleared."""

    __tablename__ = "watchlist_clear"
    __table_args__ = (sa.UniqueConstraint("user_id", "list_name", "entity_id", "alias", name="uq_watchlist_clear_user_entry_alias"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    list_name: str = Field(max_length=100)
    entity_id: str = Field(max_length=200)
    alias: str = Field(default="", max_length=1000, description="Empty: the whole entry.")
    fingerprint: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class Channel(SQLModel, table=True):
    """An Apprise URL. It is a secret: shown masked, never logged."""

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    url: str = Field(unique=True, max_length=4096)
    kind: str = Field(default="", max_length=50, description="The URL scheme: mailto, slack, …")
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class Subscription(SubscriptionOptions, table=True):
    """A channel's interest (topics, watches, a least score) and its seven options (SubscriptionOptions)."""

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    channel_id: int = Field(foreign_key="channel.id", index=True)
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    watch_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    min_score: float = 0.0
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class FeedState(SQLModel, table=True):
    __tablename__ = "feed_state"

    feed_id: int = Field(primary_key=True, foreign_key="feed.id")
    etag: str | None = Field(default=None, max_length=1024)
    last_modified: str | None = Field(default=None, max_length=200)
    body_hash: str | None = Field(default=None, max_length=64)
    next_poll_at: datetime | None = _ts(index=True)
    last_poll_at: datetime | None = _ts()
    last_success_at: datetime | None = _ts()
    last_new_entry_at: datetime | None = _ts()
    last_status: int | None = None
    error_streak: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    last_error_kind: str | None = Field(default=None, max_length=50)
    last_error_at: datetime | None = _ts()
    polls: int = 0
    interval_seconds: float | None = Field(default=None, description="The planned interval (rhythm, ttl, cache headers).")
    typical_gap_seconds: float | None = Field(default=None, description="Median gap between the feed's entries.")
    latest_entry_at: datetime | None = _ts()
    effective_url: str | None = Field(default=None, max_length=2048, description="Where a permanent redirect moved the feed.")
    gone_at: datetime | None = _ts()
    lease_owner: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = _ts()
    item_digests: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True), description="Digests of the items last parsed.")
    encoding: str | None = Field(default=None, max_length=64, description="The body's encoding, as declared or as detected.")
    entries_truncated: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="Entries whose title, summary or text was capped.")
    entries_failed: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="Entries that could not be published (too large).")
    last_entry_error: str | None = Field(default=None, max_length=2000, description="Why the last such entry was not published.")
    pages_fetched: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="Article pages whose main text replaced a short entry's.")
    pages_failed: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description="Article pages that could not be fetched or extracted.")
    last_page_error: str | None = Field(default=None, max_length=2000, description="Why the last such page was not used.")


class SeenEntry(SQLModel, table=True):
    """One row per entry of a feed. It doubles as the outbox: `published_at` is set once Kafka has the event."""

    __tablename__ = "seen_entry"
    __table_args__ = (sa.UniqueConstraint("feed_id", "entry_key", name="uq_seen_entry_feed_entry"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True)
    entry_key: str = Field(max_length=64)
    article_id: str = Field(max_length=64, index=True)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    published_at: datetime | None = _ts(index=True)
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_until: datetime | None = _ts()
    failed_at: datetime | None = _ts()
    publish_error: str | None = Field(default=None, max_length=2000, description="Why Kafka refused the event for good; it is not retried.")


class StoryFingerprint(SQLModel, table=True):
    """Feed-watcher: near-duplicate fingerprints that give one story_id to a story seen through several feeds."""

    __tablename__ = "story_fingerprint"

    id: int | None = Field(default=None, primary_key=True)
    story_id: str = Field(max_length=64, index=True)
    article_id: str = Field(max_length=64)
    simhash: int = Field(sa_type=sa.BigInteger)
    title_key: str | None = Field(default=None, max_length=500, index=True)
    band0: int = Field(index=True)
    band1: int = Field(index=True)
    band2: int = Field(index=True)
    band3: int = Field(index=True)
    band4: int = Field(index=True)
    band5: int = Field(index=True)
    band6: int = Field(index=True)
    band7: int = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), index=True)


class Delivery(SQLModel, table=True):
    """One row per subscription × story: claimed before sending, marked after.

    status: pending (due at next_attempt_at: a retry, or held by quiet hours or a rate limit) → sending → sent |
    failed; queued (waits for its subscription's digest at next_attempt_at); suppressed (subscription removed)."""

    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "story_id", name="uq_delivery_subscription_story"),
        sa.Index("ix_delivery_subscription_rate_slot", "subscription_id", "rate_slot_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    story_id: str = Field(max_length=64)
    article_id: str = Field(max_length=64, index=True)
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    title: str = Field(default="", max_length=1000)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    sent_at: datetime | None = _ts()
    next_attempt_at: datetime | None = _ts(index=True)
    alert: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True), description="The article and tags to (re-)send.")
    batch_id: str | None = Field(default=None, max_length=64, index=True, description="The digest this row is being sent in.")
    rate_slot_at: datetime | None = _ts(
        description="When this alert took one of its subscription's hourly rate-limit slots (kept when sent, freed otherwise)."
    )


class FeedbackVote(SQLModel, table=True):
    """Control plane: an analyst's word on one alert (a delivery): relevant or not. One per delivery and user;
    a second vote replaces the first. `nonce` is the signed link behind the current vote (None: the web page);
    every link ever used is in feedback_link_use, so a replaced vote's link cannot be used again."""

    __tablename__ = "feedback_vote"
    __table_args__ = (sa.UniqueConstraint("delivery_id", "user_id", name="uq_feedback_delivery_user"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    vote: str = Field(max_length=20, description="relevant | not_relevant")
    via: str = Field(default="web", max_length=20, description="web (signed in) or link (a signed link in an email or Slack)")
    nonce: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class FeedbackLinkUse(SQLModel, table=True):
    """Control plane: the nonce of every signed feedback link that was used, kept for ever, so each link counts
    once even when the other link of its alert replaced its vote."""

    __tablename__ = "feedback_link_use"

    nonce: str = Field(primary_key=True, max_length=64)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    used_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class RateLimitWindow(SQLModel, table=True):
    """Control plane: requests (or failed sign-ins) per bucket and fixed one-minute window (`minute`), shared by every API
    process. `bucket` is a SHA-256 of the bucket's name (a client address, a token's hash), never the name."""

    __tablename__ = "rate_limit_window"

    bucket: str = Field(primary_key=True, max_length=64)
    minute: int = Field(primary_key=True, sa_type=sa.BigInteger, description="The window: Unix time // 60.")
    hits: int = 0


class AlertOutbox(SQLModel, table=True):
    """Notifier: the alerts.delivered.v1 / alerts.failed.v1 events, written in the transaction that marks the
    delivery sent or failed, and published from here (the same outbox as the feed-watcher's seen_entry)."""

    __tablename__ = "alert_outbox"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(index=True)
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True), description='{"topic": …, "event": …}')
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    published_at: datetime | None = _ts(index=True)
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_until: datetime | None = _ts()
    failed_at: datetime | None = _ts()
    publish_error: str | None = Field(default=None, max_length=2000)


class ServiceHeartbeat(SQLModel, table=True):
    """One row per process of a service (a replica), written by that process every HEARTBEAT_SECONDS; a live
    replica deletes the rows of its service that have been silent for HEARTBEAT_FORGET_SECONDS."""

    __tablename__ = "service_heartbeat"

    service: str = Field(primary_key=True, max_length=50)
    instance: str = Field(primary_key=True, max_length=200, description="SERVICE_INSTANCE (the pod name in the Helm chart), else host:pid.")
    state: str = Field(
        default="running", max_length=20, sa_column_kwargs={"server_default": "running"}, description="starting, running, stopping, or stopped after a clean shutdown."
    )
    partitions: list[str] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True), description="topic:partition assigned to its consumer; None: it consumes nothing."
    )
    version: str = Field(default="", max_length=50)
    started_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    last_activity_at: datetime | None = _ts()
    last_activity: str | None = Field(default=None, max_length=500)
