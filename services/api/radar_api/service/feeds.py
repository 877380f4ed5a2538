"""Feeds (an admin's aggregate): add, list, remove, import and export. A feed URL is checked against the address
policy when it is stored; the feed-watcher checks its resolved address again, pinned, at every fetch. A feed's
own allow-list entries (what its redirects and article pages may reach beyond public addresses, decision 020)
must each lie within one entry of the operator's FEED_WATCHER_ALLOWED_NETWORKS."""

from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlmodel import col, select

from radar_api.service.errors import ConfigError
from radar_api.service.ownership import owned
from radar_api.service.text import check_text
from radar_shared.db import session_scope
from radar_shared.models import Feed, FeedState
from radar_shared.netpolicy import AllowListError, URLRefusedError, check_url_syntax, host_refusal, parse_allow_list, within

DEFAULT_FEEDS = Path(__file__).resolve().parents[1] / "default_feeds.yaml"


def validate_feed_url(url: str, allowed_networks: list[str]) -> str:
    """Syntax and address-literal checks at configuration time (names are checked again, pinned, at fetch time)."""
    try:
        host, port = check_url_syntax(url)
    except URLRefusedError as error:
        raise ConfigError(f"url: {error}") from None
    if reason := host_refusal(host, port, parse_allow_list(allowed_networks, "FEED_WATCHER_ALLOWED_NETWORKS")):
        raise ConfigError(f"url: {url!r}: {reason}")
    return url


def validate_feed_allowance(entries: list[str], allowed_networks: list[str]) -> list[str]:
    """A feed's own allow-list entries, each within one of the operator's, in their canonical form; or
    ConfigError naming the field and the entry."""
    try:
        feed = parse_allow_list(entries, "allowed_networks")
    except AllowListError as error:
        raise ConfigError(str(error)) from None
    operator = parse_allow_list(allowed_networks, "FEED_WATCHER_ALLOWED_NETWORKS")
    for entry, allowance in zip(entries, feed, strict=True):
        if not within(allowance, operator):
            raise ConfigError(f"allowed_networks: entry {entry!r} is not within FEED_WATCHER_ALLOWED_NETWORKS "
                              f"({', '.join(map(str, operator)) or 'empty'}); the operator lists what feeds may reach")
    return [str(a) for a in feed]


def add_feed(
    db: str, url: str, title: str = "", interval: int | None = None, allowed_networks: list[str] | None = None, full_text_below: int | None = None,
    allow: list[str] | None = None,
) -> Feed:
    """Add (or re-enable) a feed. `allowed_networks`: the operator's FEED_WATCHER_ALLOWED_NETWORKS, which the URL
    is checked against. `full_text_below`: fetch the article page of entries with less text than this. `allow`:
    the feed's own entries (ADDRESS:PORTS) its redirects and article pages may reach beyond public addresses."""
    check_text(url=url, title=title)
    validate_feed_url(url, allowed_networks or [])
    feed_entries = validate_feed_allowance(allow or [], allowed_networks or [])
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
            existing.full_text_below_chars, existing.allowed_networks = full_text_below, feed_entries
            s.add(existing)
            return existing
        feed = Feed(url=url, title=title, poll_interval_seconds=interval, full_text_below_chars=full_text_below, allowed_networks=feed_entries)
        s.add(feed)
        s.flush()
        return feed


def list_feeds(db: str) -> list[tuple[Feed, FeedState | None]]:
    with session_scope(db) as s:
        return list(s.exec(select(Feed, FeedState).join(FeedState, col(FeedState.feed_id) == col(Feed.id), isouter=True).order_by(col(Feed.id))).all())


def remove_feed(db: str, feed_id: int) -> None:
    """Disable the feed (its seen entries keep their history, so re-adding it never re-alerts)."""
    with session_scope(db) as s:
        feed = owned(s, Feed, feed_id, "feed")
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
