"""The control plane's service layer: the one implementation of configuration rules (CLI today, REST API next)."""

import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, col, select

from radar_classifier.query import parse_query
from radar_classifier.rules import load_topics
from radar_notifier.policy import Policy
from radar_notifier.policy import validate as validate_policy
from radar_api.auth import Actor
from radar_shared.channel_urls import ChannelRules, ChannelURLError, mask, validate_channel_url
from radar_shared.db import as_utc, session_scope
from radar_shared.models import Channel, Delivery, Feed, FeedState, ServiceHeartbeat, Subscription, Watch
from radar_shared.netpolicy import URLRefusedError, check_url_syntax, host_refusal, parse_networks

DEFAULT_FEEDS = Path(__file__).parent / "default_feeds.yaml"
SERVICES = ("feed-watcher", "classifier", "notifier")
MAX_LISTED = 500  # most rows one listing returns (deliveries)


class ConfigError(ValueError):
    """Invalid configuration input. The message names the field."""


class NotFoundError(LookupError):
    pass


class QuotaError(ConfigError):
    """A user has as many of something as they may have."""


def _get(s: Session, model: type, ident: int, what: str, actor: Actor | None = None) -> Any:
    """The row, or NotFoundError, also when it belongs to another user: a user cannot learn what others own."""
    row = s.get(model, ident)
    if row is None or (actor is not None and not actor.admin and getattr(row, "owner_id", None) != actor.user_id):
        raise NotFoundError(f"{what} {ident} does not exist")
    return row


def _visible(query: Any, model: Any, actor: Actor | None) -> Any:
    return query if actor is None or actor.admin else query.where(model.owner_id == actor.user_id)


def _check_quota(s: Session, model: Any, actor: Actor | None, limit: int | None, what: str) -> None:
    if actor is None or actor.admin or limit is None:
        return
    from sqlmodel import func

    count = s.exec(select(func.count()).select_from(model).where(model.owner_id == actor.user_id, col(model.enabled))).one()
    if count >= limit:
        raise QuotaError(f"{what}: you have {count} of at most {limit}; remove one first")


# ---- feeds -------------------------------------------------------------------------------------------

def validate_feed_url(url: str, allowed_networks: list[str]) -> str:
    """Syntax and address-literal checks at configuration time (names are checked again, pinned, at fetch time)."""
    try:
        host, _port = check_url_syntax(url)
    except URLRefusedError as error:
        raise ConfigError(f"url: {error}") from None
    if reason := host_refusal(host, parse_networks(allowed_networks)):
        raise ConfigError(f"url: {url!r}: {reason}")
    return url


def add_feed(
    db: str, url: str, title: str = "", interval: int | None = None, allowed_networks: list[str] | None = None, full_text_below: int | None = None
) -> Feed:
    """Add (or re-enable) a feed. `full_text_below`: fetch the article page of entries with less text than this."""
    validate_feed_url(url, allowed_networks or [])
    if interval is not None and interval < 30:
        raise ConfigError("interval: at least 30 seconds")
    if full_text_below is not None and not 1 <= full_text_below <= 100_000:
        raise ConfigError("full_text_below: between 1 and 100000 characters")
    with session_scope(db) as s:
        existing = s.exec(select(Feed).where(Feed.url == url)).first()
        if existing is not None and existing.enabled:
            raise ConfigError(f"url: feed {url} already exists")
        if existing is not None:  # removed earlier: enable it again; its seen entries keep it from re-alerting
            existing.enabled, existing.title, existing.poll_interval_seconds = True, title or existing.title, interval
            existing.full_text_below_chars = full_text_below
            s.add(existing)
            return existing
        feed = Feed(url=url, title=title, poll_interval_seconds=interval, full_text_below_chars=full_text_below)
        s.add(feed)
        s.flush()
        return feed


def list_feeds(db: str) -> list[tuple[Feed, FeedState | None]]:
    with session_scope(db) as s:
        return list(s.exec(select(Feed, FeedState).join(FeedState, col(FeedState.feed_id) == col(Feed.id), isouter=True).order_by(col(Feed.id))).all())


def remove_feed(db: str, feed_id: int) -> None:
    """Disable the feed (its seen entries keep their history, so re-adding it never re-alerts)."""
    with session_scope(db) as s:
        feed = _get(s, Feed, feed_id, "feed")
        feed.enabled = False
        s.add(feed)


@dataclass(frozen=True)
class ImportReport:
    added: list[str]
    existing: list[str]
    refused: list[str]  # "url: reason"


def import_feeds(db: str, feeds: list[tuple[str, str]], allowed_networks: list[str]) -> ImportReport:
    """Add (url, title) pairs through the same rules as add_feed; one bad feed never stops the others."""
    with session_scope(db) as s:
        existing = set(s.exec(select(Feed.url)).all())
    added, already, refused = [], [], []
    for url, title in feeds:
        if url in existing:
            already.append(url)
            continue
        try:
            add_feed(db, url, title, allowed_networks=allowed_networks)
            added.append(url)
        except ConfigError as error:
            refused.append(f"{url}: {error}")
    return ImportReport(added, already, refused)


def export_feeds(db: str) -> list[tuple[str, str]]:
    with session_scope(db) as s:
        return [(f.url, f.title) for f in s.exec(select(Feed).where(col(Feed.enabled)).order_by(col(Feed.id))).all()]


def seed_feeds(db: str, path: Path = DEFAULT_FEEDS) -> int:
    added = 0
    with session_scope(db) as s:
        existing = set(s.exec(select(Feed.url)).all())
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            if item["url"] not in existing:
                s.add(Feed(url=item["url"], title=item.get("title", "")))
                added += 1
    return added


# ---- watches ------------------------------------------------------------------------------------------

def add_watch(db: str, query: str, name: str = "", actor: Actor | None = None, quota: int | None = None) -> Watch:
    try:
        parse_query(query)
    except ValueError as error:
        raise ConfigError(f"query: {error}") from None
    if len(name) > 200:
        raise ConfigError("name: at most 200 characters")
    with session_scope(db) as s:
        _check_quota(s, Watch, actor, quota, "watches")
        watch = Watch(query=query, name=name, owner_id=actor.user_id if actor else None)
        s.add(watch)
        s.flush()
        return watch


def list_watches(db: str, actor: Actor | None = None) -> list[Watch]:
    with session_scope(db) as s:
        return list(s.exec(_visible(select(Watch).where(col(Watch.enabled)), Watch, actor).order_by(col(Watch.id))).all())


def remove_watch(db: str, watch_id: int, actor: Actor | None = None) -> None:
    with session_scope(db) as s:
        watch = _get(s, Watch, watch_id, "watch", actor)
        watch.enabled = False
        s.add(watch)


# ---- subscriptions ------------------------------------------------------------------------------------

def topic_names() -> list[str]:
    return [t.topic for t in load_topics()]


def _validate_subscription(topics: list[str], watch_ids: list[int], min_score: float, policy: Policy) -> None:
    try:
        validate_policy(policy)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    known = topic_names()
    unknown = [t for t in topics if t not in known]
    if unknown:
        raise ConfigError(f"topic: unknown topic(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if not topics and not watch_ids:
        raise ConfigError("topic/watch: a subscription needs at least one topic or watch")
    if not 0.0 <= min_score <= 1.0:
        raise ConfigError("min_score: must be between 0 and 1")


def _check_watches(s: Session, watch_ids: list[int], actor: Actor | None) -> None:
    for w in watch_ids:
        watch = s.get(Watch, w)
        if watch is None or not watch.enabled or (actor is not None and not actor.admin and watch.owner_id != actor.user_id):
            raise ConfigError(f"watch: watch {w} does not exist")


def add_subscription(
    db: str, channel_url: str, topics: list[str], watch_ids: list[int], min_score: float, rules: ChannelRules, policy: Policy | None = None,
    actor: Actor | None = None, quota: int | None = None,
) -> Subscription:
    """Subscribe a channel (refused unless `rules` allow its URL for this actor; the CLI acts as an admin)."""
    policy = policy or Policy()
    try:
        kind = validate_channel_url(channel_url, rules, admin=actor is None or actor.admin)
    except ChannelURLError as error:
        raise ConfigError(str(error)) from None
    _validate_subscription(topics, watch_ids, min_score, policy)
    with session_scope(db) as s:
        _check_quota(s, Subscription, actor, quota, "subscriptions")
        _check_watches(s, watch_ids, actor)
        channel = s.exec(select(Channel).where(Channel.url == channel_url)).first()
        if channel is None:
            channel = Channel(url=channel_url, kind=kind, owner_id=actor.user_id if actor else None)
            s.add(channel)
            s.flush()
        sub = Subscription(channel_id=channel.id, topics=list(topics), watch_ids=list(watch_ids), min_score=min_score, **asdict(policy),  # type: ignore[arg-type]
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
    policy: Policy
    enabled: bool = True

    @property
    def schedule(self) -> str:
        p = self.policy
        out = f"digest {p.digest_schedule}" + (f" at {p.digest_time} {p.timezone}" if p.digest_schedule == "daily" else "") if p.mode == "digest" else "immediate"
        if p.quiet_start:
            out += f", quiet {p.quiet_start}–{p.quiet_end} {p.timezone}"
        if p.max_per_hour:
            out += f", at most {p.max_per_hour}/hour"
        return out


def _subscription_row(sub: Subscription, ch: Channel) -> SubscriptionRow:
    policy = Policy(sub.mode, sub.digest_schedule, sub.digest_time, sub.timezone, sub.quiet_start, sub.quiet_end, sub.max_per_hour)
    return SubscriptionRow(sub.id, mask(ch.url), list(sub.topics), list(sub.watch_ids), sub.min_score, policy, sub.enabled)  # type: ignore[arg-type]


def list_subscriptions(db: str, actor: Actor | None = None, include_paused: bool = False) -> list[SubscriptionRow]:
    with session_scope(db) as s:
        query = select(Subscription, Channel).join(Channel, col(Channel.id) == col(Subscription.channel_id))
        if not include_paused:
            query = query.where(col(Subscription.enabled))
        return [_subscription_row(sub, ch) for sub, ch in s.exec(_visible(query, Subscription, actor).order_by(col(Subscription.id))).all()]


def get_subscription(db: str, subscription_id: int, actor: Actor | None = None) -> SubscriptionRow:
    with session_scope(db) as s:
        sub = _get(s, Subscription, subscription_id, "subscription", actor)
        return _subscription_row(sub, _get(s, Channel, sub.channel_id, "channel"))


def update_subscription(db: str, subscription_id: int, topics: list[str], watch_ids: list[int], min_score: float, policy: Policy,
                        actor: Actor | None = None) -> None:
    """Change what a subscription sends and when; its channel stays (a channel URL is write-once)."""
    _validate_subscription(topics, watch_ids, min_score, policy)
    with session_scope(db) as s:
        sub = _get(s, Subscription, subscription_id, "subscription", actor)
        _check_watches(s, watch_ids, actor)
        sub.topics, sub.watch_ids, sub.min_score = list(topics), list(watch_ids), min_score
        for name, value in asdict(policy).items():
            setattr(sub, name, value)
        s.add(sub)


def set_subscription_enabled(db: str, subscription_id: int, enabled: bool, actor: Actor | None = None) -> None:
    """Pause or resume. Alerts of a paused subscription are not sent, and not sent later either."""
    with session_scope(db) as s:
        sub = _get(s, Subscription, subscription_id, "subscription", actor)
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
        for sub, ch in s.exec(_visible(query, Subscription, actor).order_by(col(Channel.id))).all():
            row = rows.setdefault(ch.id, ChannelRow(ch.id, ch.kind, mask(ch.url), []))  # type: ignore[arg-type]
            row.subscriptions.append(sub.id)  # type: ignore[arg-type]
        return list(rows.values())


def remove_subscription(db: str, subscription_id: int, actor: Actor | None = None) -> None:
    with session_scope(db) as s:
        sub = _get(s, Subscription, subscription_id, "subscription", actor)
        sub.enabled = False
        s.add(sub)


async def send_test_alert(db: str, subscription_id: int, rules: ChannelRules, actor: Actor | None = None) -> Any:
    """Send a sample alert to the subscription's channel through the notifier's own renderer and channels, under
    the same address policy as the notifier's sends."""
    from radar_notifier.channels import send
    from radar_notifier.render import render_alert
    from radar_shared.messages import Article, Snippet, Span, Tag

    with session_scope(db) as s:
        sub = _get(s, Subscription, subscription_id, "subscription", actor)
        if not sub.enabled:
            raise NotFoundError(f"subscription {subscription_id} does not exist")
        channel = _get(s, Channel, sub.channel_id, "channel")
        url = channel.url
    text = "This is a test alert from Radar: your channel works."
    article = Article(article_id="radar-test", story_id="radar-test", feed_id=0, feed_url="", entry_key="", url="https://example.org/radar-test",
                      title="Radar test alert", text=text, source="radar")
    tag = Tag(tag=(sub.topics or ["test"])[0], score=1.0, snippets=[Snippet(text=text, highlights=[Span(start=10, end=20)])])
    return await send(url, render_alert(article, [tag]), rules)


def list_deliveries(db: str, actor: Actor | None = None, failed_only: bool = False, limit: int = 100) -> list[Delivery]:
    """The history of alerts, newest first; a user sees those of their own subscriptions."""
    if not 1 <= limit <= MAX_LISTED:
        raise ConfigError(f"limit: between 1 and {MAX_LISTED}")
    with session_scope(db) as s:
        query = select(Delivery).join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
        if failed_only:
            query = query.where(Delivery.status == "failed")
        return list(s.exec(_visible(query, Subscription, actor).order_by(col(Delivery.id).desc()).limit(limit)).all())


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
        for created, tags in s.exec(_visible(query, Subscription, actor)).all():
            day = as_utc(created).strftime("%Y-%m-%d")  # type: ignore[union-attr]
            for tag in tags or ["(untagged)"]:
                per_day = counts.setdefault(tag, {})
                per_day[day] = per_day.get(day, 0) + 1
    return counts


# ---- watchlists ---------------------------------------------------------------------------------------

SAMPLE_WATCHLIST = Path(__file__).resolve().parents[2] / "classifier" / "radar_classifier" / "watchlists" / "sample-dprk.csv"


def import_watchlist(db: str, entities: list[Any], list_name: str) -> int:
    """Replace the list's entries with `entities` in one transaction; return how many were stored."""
    from sqlalchemy import delete

    from radar_shared.models import WatchlistEntry

    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,99}", list_name):
        raise ConfigError("list: use 1-100 lower-case letters, digits, '.', '_' or '-'")
    with session_scope(db) as s:
        s.execute(delete(WatchlistEntry).where(WatchlistEntry.list_name == list_name))
        unique = {e.entity_id: e for e in entities}
        for e in unique.values():
            s.add(WatchlistEntry(list_name=list_name, entity_id=e.entity_id, name=e.name, kind=e.kind, aliases=list(e.aliases), imo=e.imo, program=e.program))
        return len(unique)


def list_watchlists(db: str) -> dict[str, int]:
    from sqlalchemy import func

    from radar_shared.models import WatchlistEntry

    with session_scope(db) as s:
        return dict(s.exec(select(WatchlistEntry.list_name, func.count()).group_by(WatchlistEntry.list_name)).all())  # type: ignore[arg-type]


# ---- status -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ServiceStatus:
    service: str
    up: bool
    last_seen_at: datetime | None
    last_activity_at: datetime | None
    last_activity: str | None
    version: str
    instance: str
    started_at: datetime | None = None


@dataclass(frozen=True)
class FeedStatus:
    id: int
    url: str
    enabled: bool
    last_poll_at: datetime | None
    last_status: int | None
    error_streak: int
    last_error: str | None
    next_poll_at: datetime | None
    interval_seconds: float | None = None
    latest_entry_at: datetime | None = None
    stale: bool = False
    gone_at: datetime | None = None
    moved_to: str | None = None
    last_error_kind: str | None = None
    encoding: str | None = None
    entries_truncated: int = 0
    entries_failed: int = 0
    last_entry_error: str | None = None
    pages_failed: int = 0
    last_page_error: str | None = None

    @property
    def notes(self) -> list[str]:
        """What else an operator should know: entries capped or not published, an encoding that was guessed."""
        out = []
        if self.entries_failed:
            out.append(f"{self.entries_failed} entr{'y' if self.entries_failed == 1 else 'ies'} not published (too large): {self.last_entry_error or ''}")
        if self.entries_truncated:
            out.append(f"{self.entries_truncated} entr{'y' if self.entries_truncated == 1 else 'ies'} capped to FEED_WATCHER_MAX_*_CHARS (marked truncated)")
        if self.encoding and self.encoding.endswith("(detected)"):
            out.append(f"no encoding declared; read as {self.encoding.removesuffix(' (detected)')}")
        if self.pages_failed:
            out.append(f"{self.pages_failed} article page{'' if self.pages_failed == 1 else 's'} not used for full text (the feed's text stayed): {self.last_page_error or ''}")
        return out

    @property
    def attention(self) -> bool:
        return self.enabled and (self.health != "ok" or bool(self.notes))

    @property
    def health(self) -> str:
        if not self.enabled:
            return "disabled"
        if self.gone_at:
            return "GONE"
        if self.last_poll_at is None:
            return "never polled"
        if self.error_streak:
            return f"{'DEADLINE' if self.last_error_kind == 'deadline' else 'ERROR'} x{self.error_streak}"
        return "STALE" if self.stale else "ok"


@dataclass(frozen=True)
class Status:
    services: list[ServiceStatus]
    feeds: list[FeedStatus]
    deliveries: dict[str, int]


def status(db: str, heartbeat_seconds: float, now: datetime | None = None, stale_factor: float = 4.0, stale_min_seconds: float = 172800) -> Status:
    from radar_feed_watcher.scheduler import is_stale

    now = now or datetime.now(UTC)
    with session_scope(db) as s:
        beats = {b.service: b for b in s.exec(select(ServiceHeartbeat)).all()}
        feeds = s.exec(select(Feed, FeedState).join(FeedState, col(FeedState.feed_id) == col(Feed.id), isouter=True).order_by(col(Feed.id))).all()
        counts: dict[str, int] = {}
        for st in s.exec(select(Delivery.status)).all():
            counts[st] = counts.get(st, 0) + 1
    services = []
    for name in SERVICES:
        b = beats.get(name)
        up = b is not None and as_utc(b.last_seen_at) >= now - timedelta(seconds=3 * heartbeat_seconds)  # type: ignore[operator]
        services.append(
            ServiceStatus(name, up, as_utc(b.last_seen_at) if b else None, as_utc(b.last_activity_at) if b else None, b.last_activity if b else None, b.version if b else "",
                          b.instance if b else "", as_utc(b.started_at) if b else None)
        )
    feed_rows = [
        FeedStatus(
            f.id, f.url, f.enabled,  # type: ignore[arg-type]
            as_utc(st.last_poll_at) if st else None, st.last_status if st else None, st.error_streak if st else 0,
            st.last_error if st else None, as_utc(st.next_poll_at) if st else None,
            st.interval_seconds if st else None, as_utc(st.latest_entry_at) if st else None,
            bool(st) and is_stale(now, as_utc(st.latest_entry_at), st.typical_gap_seconds, stale_factor, stale_min_seconds),
            as_utc(st.gone_at) if st else None, st.effective_url if st else None,
            st.last_error_kind if st else None, st.encoding if st else None, st.entries_truncated if st else 0,
            st.entries_failed if st else 0, st.last_entry_error if st else None,
            st.pages_failed if st else 0, st.last_page_error if st else None,
        )
        for f, st in feeds
    ]
    return Status(services, feed_rows, counts)
