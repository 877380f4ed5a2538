"""One poll cycle: due feeds → fetch → not-modified check → parse → new entries → outbox → Kafka.

Miniflux's RefreshFeed, split into steps. Entries are written to the outbox (seen_entry) in the same
transaction as the feed's state, then published, then marked published: a crash between publish and
mark re-publishes the same event (same event_id) on restart, and nothing is ever lost.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from radar_feed_watcher.config import FeedWatcherSettings
from radar_feed_watcher.fetcher import FeedFetchError, fetch_feed
from radar_feed_watcher.metrics import FeedMetrics
from radar_feed_watcher.netguard import parse_networks
from radar_feed_watcher.parser import FeedParseError, ParsedEntry, parse_feed
from radar_feed_watcher.scheduler import next_poll_at
from radar_feed_watcher import store
from radar_shared.messages import Article, ArticleDiscovered

log = logging.getLogger("radar.feed_watcher")

Publish = Callable[[ArticleDiscovered], Awaitable[Any]]


def to_event(feed_id: int, feed_url: str, feed_title: str, entry: ParsedEntry) -> ArticleDiscovered:
    source = urlsplit(entry.url).hostname or feed_title or urlsplit(feed_url).hostname or ""
    return ArticleDiscovered(
        article=Article(
            article_id=entry.article_id,
            story_id=entry.story_id,
            feed_id=feed_id,
            feed_url=feed_url,
            entry_key=entry.entry_key,
            url=entry.url,
            title=entry.title,
            summary_html=entry.summary_html,
            text=entry.text,
            lang=entry.lang,
            source=source.removeprefix("www."),
            published_at=entry.published_at,
        )
    )


class Poller:
    def __init__(self, settings: FeedWatcherSettings, database_url: str, client: httpx.AsyncClient, publish: Publish, metrics: FeedMetrics, on_activity: Callable[[str], None]) -> None:
        self.settings = settings
        self.db = database_url
        self.client = client
        self.publish = publish
        self.metrics = metrics
        self.on_activity = on_activity
        self.allowed = parse_networks(settings.allowed_networks)
        self._flush_lock = asyncio.Lock()
        self._semaphore = asyncio.Semaphore(settings.concurrency)
        self._in_flight: set[int] = set()

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("poll cycle failed; trying again")
            await asyncio.sleep(self.settings.tick_seconds)

    async def tick(self) -> None:
        await self.flush_outbox()
        due = await asyncio.to_thread(store.load_due_feeds, self.db, datetime.now(UTC))
        due = [f for f in due if f.id not in self._in_flight]
        await asyncio.gather(*(self._guarded_poll(f) for f in due))

    async def _guarded_poll(self, feed: store.DueFeed) -> None:
        self._in_flight.add(feed.id)
        try:
            async with self._semaphore:
                await self.poll(feed)
        finally:
            self._in_flight.discard(feed.id)

    def _next(self, feed: store.DueFeed, error_streak: int, retry_after: float | None = None) -> datetime:
        interval = feed.interval_seconds or self.settings.poll_interval_seconds
        return next_poll_at(datetime.now(UTC), interval, error_streak, self.settings.max_backoff_seconds, retry_after)

    async def poll(self, feed: store.DueFeed) -> None:
        now = datetime.now(UTC)
        try:
            result = await fetch_feed(
                self.client,
                feed.url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                max_body_bytes=self.settings.max_body_bytes,
                max_redirects=self.settings.max_redirects,
                allowed_networks=self.allowed,
            )
        except FeedFetchError as error:
            await self._failed(feed, error.kind, str(error), error.status, error.retry_after)
            return
        if result.not_modified:
            self.metrics.polls.labels("not_modified").inc()
            await asyncio.to_thread(store.record_unchanged, self.db, feed.id, 304, now, self._next(feed, 0))
            return
        self.metrics.bytes.inc(len(result.body))
        digest = store.body_hash(result.body)
        if digest == feed.body_hash:
            self.metrics.polls.labels("unchanged").inc()
            await asyncio.to_thread(store.record_unchanged, self.db, feed.id, result.status, now, self._next(feed, 0))
            return
        try:
            with self.metrics.parse_seconds.time():
                parsed = await asyncio.to_thread(parse_feed, result.body, feed.url, result.content_type)
        except FeedParseError as error:
            await self._failed(feed, "parse", str(error), result.status, None)
            return
        for warning in parsed.warnings:
            log.info("feed parsed with a recoverable error", extra={"feed_id": feed.id, "error": warning})
        known = await asyncio.to_thread(store.known_entry_keys, self.db, feed.id, [e.entry_key for e in parsed.entries])
        outbox = [
            (e.entry_key, e.article_id, to_event(feed.id, feed.url, parsed.title, e).model_dump(mode="json"))
            for e in parsed.entries
            if e.entry_key not in known
        ]
        new = await asyncio.to_thread(
            store.record_fetched,
            self.db,
            feed.id,
            status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            digest=digest,
            now=now,
            next_poll=self._next(feed, 0),
            outbox=outbox,
        )
        self.metrics.polls.labels("ok").inc()
        log.info("feed polled", extra={"feed_id": feed.id, "entries": len(parsed.entries), "new": new})
        self.on_activity(f"polled feed {feed.id}: {new} new")
        if new:
            await self.flush_outbox()

    async def _failed(self, feed: store.DueFeed, kind: str, message: str, status: int | None, retry_after: float | None) -> None:
        self.metrics.polls.labels("error").inc()
        self.metrics.errors.labels(kind).inc()
        streak = feed.error_streak + 1
        await asyncio.to_thread(store.record_error, self.db, feed.id, kind, message, status, datetime.now(UTC), self._next(feed, streak, retry_after))
        log.warning("feed poll failed", extra={"feed_id": feed.id, "error": message, "kind": kind, "error_streak": streak})
        self.on_activity(f"poll of feed {feed.id} failed ({kind})")

    async def flush_outbox(self) -> int:
        """Publish what the outbox holds, oldest first; mark each row once Kafka has acknowledged it."""
        async with self._flush_lock:
            sent = 0
            while rows := await asyncio.to_thread(store.unpublished, self.db):
                done = []
                for row_id, payload in rows:
                    event = ArticleDiscovered.model_validate(payload)
                    await self.publish(event)
                    done.append(row_id)
                    log.info("article discovered", extra={"feed_id": event.article.feed_id, "article_id": event.article.article_id, "story_id": event.article.story_id})
                await asyncio.to_thread(store.mark_published, self.db, done, datetime.now(UTC))
                self.metrics.entries.inc(len(done))
                sent += len(done)
            return sent
