"""One poll cycle: lease due feeds → fetch → not-modified check → parse → new entries → outbox; and the relay
outbox → Kafka, a task of its own.

Miniflux's RefreshFeed, split into steps. Entries are written to the outbox (seen_entry) in the same
transaction as the feed's state; the relay publishes them, then marks them published: a crash between publish
and mark re-publishes the same event (same event_id), and nothing is ever lost. A poll never waits for Kafka:
it only writes rows and wakes the relay, so a broker outage (or a partition waiting for its new leader) delays
the events, never the polls.

A feed is polled by one poll at a time: its lease is renewed while it is fetched (and while it waits for a
slot), a feed already in flight is never started again, and a fetch has a total deadline, so a feed that
trickles bytes fails with a clear error and holds only its own slot. An entry whose event would still be
too large for Kafka after the parser's caps is stored as failed on its feed, and never blocks the others.
"""

import asyncio
import collections
import contextlib
import json
import logging
import os
import socket
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from radar_feed_watcher import store
from radar_feed_watcher.config import FeedWatcherSettings
from radar_feed_watcher.fetcher import FeedFetchError, fetch_feed, fetch_page
from radar_feed_watcher.metrics import FeedMetrics
from radar_feed_watcher.pages import PageExtractError, extract_main_text
from radar_feed_watcher.parser import EntryLimits, FeedParseError, ParsedEntry, ParsedFeed, parse_feed
from radar_feed_watcher.robots import RobotsCache
from radar_feed_watcher.scheduler import next_poll_at, plan_interval, publish_gap
from radar_shared import outbox
from radar_shared.loops import repeat
from radar_shared.messages import Article, ArticleDiscovered
from radar_shared.models import SeenEntry
from radar_shared.netpolicy import AllowListError, FeedAllowance, Rule, parse_allow_list

log = logging.getLogger("radar.feed_watcher")

Publish = Callable[[ArticleDiscovered], Awaitable[Any]]


class Parser(Protocol):
    async def parse(
        self, body: bytes, feed_url: str, content_type: str | None, known: frozenset[str] = frozenset(), content_language: str | None = None
    ) -> ParsedFeed: ...

    async def extract(self, html: bytes, url: str, max_chars: int) -> str: ...


class InlineParser:
    """Parses in a thread of this process (tests); the service uses ParserPool."""

    def __init__(self, limits: EntryLimits = EntryLimits()) -> None:
        self.limits = limits

    async def parse(
        self, body: bytes, feed_url: str, content_type: str | None, known: frozenset[str] = frozenset(), content_language: str | None = None
    ) -> ParsedFeed:
        return await asyncio.to_thread(parse_feed, body, feed_url, content_type, known, self.limits, content_language)

    async def extract(self, html: bytes, url: str, max_chars: int) -> str:
        return await asyncio.to_thread(extract_main_text, html, url, max_chars)


def to_event(feed_id: int, feed_url: str, feed_title: str, entry: ParsedEntry, page_text: str | None = None) -> ArticleDiscovered:
    """The event of a new entry; `page_text`, the article page's main text, replaces a short entry's text."""
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
            text=page_text or entry.text,
            summary=entry.text,
            text_source="page" if page_text else "feed",
            lang=entry.lang,
            source=source.removeprefix("www."),
            published_at=entry.published_at,
            truncated=entry.truncated,
        )
    )


class Poller:
    def __init__(
        self,
        settings: FeedWatcherSettings,
        database_url: str,
        client: httpx.AsyncClient,
        publish: Publish,
        metrics: FeedMetrics,
        on_activity: Callable[[str], None],
        parser: Parser | None = None,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self.db = database_url
        self.client = client
        self.publish = publish
        self.metrics = metrics
        self.on_activity = on_activity
        self.parser = parser or InlineParser(settings.entry_limits())
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.allowed = settings.allow_list()
        self._flush_lock = asyncio.Lock()
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(settings.per_host_concurrency))
        # Article pages have slots of their own per host: a poll holds its feed's slot while it fetches pages.
        self._page_hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(settings.per_host_concurrency))
        self.robots = RobotsCache(client, settings.user_agent, self.allowed, settings.fetch_deadline_seconds)
        self._last_health = 0.0
        self._in_flight: set[asyncio.Task[None]] = set()
        self._polling: set[int] = set()  # feeds leased by this watcher and not yet recorded: waiting or in flight
        self._renewed = 0.0
        self._relay_failing = False  # the last relay round failed (logged once per outage)
        self._wake = asyncio.Event()  # set by a poll that stored new entries: the relay publishes them now
        self._outcomes: list[store.PollOutcome] = []  # polls without new content, written in batches

    async def run_forever(self) -> None:
        """Poll and publish, each on its own: the polls never wait for the relay."""
        await asyncio.gather(repeat(self.tick, self.settings.tick_seconds, "poll cycle"), self.relay_forever())

    async def relay_forever(self) -> None:
        """Publish the outbox when a poll stored new entries, and every FEED_WATCHER_TICK_SECONDS otherwise (rows
        a failed round left, or another replica's expired claims)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.tick_seconds)
            self._wake.clear()
            await self.relay_once()

    async def tick(self) -> None:
        """Poll until nothing is due and nothing is in flight; new entries go to the outbox, never to Kafka.

        Feeds are leased in small batches (a backlog of up to 4 × FEED_WATCHER_CONCURRENCY) and started as
        slots free up: replicas share the due feeds, and a slow feed only holds its own slot.
        """
        backlog: collections.deque[store.DueFeed] = collections.deque()
        while True:
            now = datetime.now(UTC)
            if now.timestamp() - self._last_health >= 30:
                await self.update_health(now)
            if not backlog:
                leased = await asyncio.to_thread(store.lease_due_feeds, self.db, now, self.owner, self.settings.lease_seconds, 4 * self.settings.concurrency)
                backlog.extend(f for f in leased if f.id not in self._polling)  # never a second poll of a feed still being polled
                self._polling.update(f.id for f in backlog)
            while backlog and len(self._in_flight) < self.settings.concurrency:
                self._in_flight.add(asyncio.create_task(self._guarded_poll(backlog.popleft())))
            if not self._in_flight:
                break
            done, _ = await asyncio.wait(self._in_flight, timeout=self.settings.tick_seconds, return_when=asyncio.FIRST_COMPLETED)
            self._in_flight -= done
            await self.write_outcomes()
            await self.renew_leases()
        await self.write_outcomes()

    async def relay_once(self) -> None:
        """A broker outage leaves entries in the outbox, not a feed error; the relay tries again. The first failed
        round is logged at WARNING, the next ones at DEBUG, and the first round that publishes again at INFO."""
        try:
            sent = await self.flush_outbox()
        except Exception as error:  # noqa: BLE001 - retried on the next round; the rows wait in the outbox
            level = logging.DEBUG if self._relay_failing else logging.WARNING
            self._relay_failing = True
            log.log(level, "outbox not published; it is retried", extra={"error": f"{type(error).__name__}: {error}"})
            return
        if self._relay_failing:
            self._relay_failing = False
            log.info("outbox published again", extra={"published": sent})

    async def renew_leases(self) -> None:
        """Every third of FEED_WATCHER_LEASE_SECONDS, extend the leases of the feeds this watcher still holds."""
        now = datetime.now(UTC)
        if now.timestamp() - self._renewed < self.settings.lease_seconds / 3 or not self._polling:
            return
        self._renewed = now.timestamp()
        until = now + timedelta(seconds=self.settings.lease_seconds)
        await asyncio.to_thread(store.renew_leases, self.db, sorted(self._polling), self.owner, until)

    async def write_outcomes(self) -> None:
        """Write the polls recorded since the last call in one transaction."""
        if self._outcomes:
            batch, self._outcomes = self._outcomes, []
            await asyncio.to_thread(store.write_outcomes, self.db, batch)

    async def close(self) -> None:
        for task in self._in_flight:
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        self._in_flight.clear()
        self._polling.clear()
        await self.write_outcomes()

    async def update_health(self, now: datetime) -> None:
        health = await asyncio.to_thread(store.feed_health, self.db, now, self.settings.stale_factor, self.settings.stale_min_seconds)
        self.metrics.stale.set(health.stale)
        self.metrics.failing.set(health.failing)
        self.metrics.next_poll_lag.set(health.max_lag_seconds)
        self._last_health = now.timestamp()

    async def _guarded_poll(self, feed: store.DueFeed) -> None:
        host = urlsplit(feed.url).hostname or ""
        try:
            async with self._hosts[host]:
                try:
                    await self.poll(feed)
                except Exception as error:  # one feed's unexpected failure never stops the others
                    log.exception("poll failed unexpectedly", extra={"feed_id": feed.id})
                    await self._failed(feed, "internal", f"feed {feed.url}: {type(error).__name__}: {error}", None, None)
        finally:
            self._polling.discard(feed.id)

    def _interval(self, feed: store.DueFeed, gap: float | None = None, ttl: int | None = None, cache: float | None = None) -> float:
        s = self.settings
        if feed.interval_seconds:  # an operator's explicit interval wins
            return float(feed.interval_seconds)
        return plan_interval(s.poll_interval_seconds, s.min_interval_seconds, s.max_interval_seconds, gap, ttl, cache)

    def _next(self, interval: float, error_streak: int = 0, retry_after: float | None = None) -> datetime:
        return next_poll_at(datetime.now(UTC), interval, error_streak, self.settings.max_backoff_seconds, retry_after)

    def allowance(self, feed: store.DueFeed) -> FeedAllowance:
        """What this feed's fetches may reach (decision 020): its own origin under the operator's list, anything
        else only under the feed's own entries within it. AllowListError when a stored entry cannot be read."""
        return FeedAllowance.of(feed.configured_url, self.allowed, parse_allow_list(feed.allowed_networks, f"feed {feed.id}: allowed_networks"))

    async def poll(self, feed: store.DueFeed) -> None:
        now = datetime.now(UTC)
        try:
            allowance = self.allowance(feed)
        except AllowListError as unreadable:
            await self._failed(feed, "config", str(unreadable), None, None)
            return
        try:
            result = await fetch_feed(
                self.client,
                feed.url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                max_body_bytes=self.settings.max_body_bytes,
                max_redirects=self.settings.max_redirects,
                allowed_networks=allowance,
                deadline=self.settings.fetch_deadline_seconds,
            )
        except FeedFetchError as error:
            await self._failed(feed, error.kind, str(error), error.status, error.retry_after)
            return
        if result.permanent_redirect:
            log.warning("feed moved permanently", extra={"feed_id": feed.id, "from": feed.url, "to": result.permanent_redirect})
        if result.not_modified:
            self.metrics.polls.labels("not_modified").inc()
            interval = self._interval(feed, cache=result.cache_seconds)
            self._outcomes.append(store.PollOutcome(feed.id, now, self._next(interval), 304, interval, result.permanent_redirect))
            return
        self.metrics.bytes.inc(len(result.body))
        digest = store.body_hash(result.body)
        if digest == feed.body_hash:
            self.metrics.polls.labels("unchanged").inc()
            interval = self._interval(feed, cache=result.cache_seconds)
            self._outcomes.append(store.PollOutcome(feed.id, now, self._next(interval), result.status, interval, result.permanent_redirect))
            return
        try:
            with self.metrics.parse_seconds.time():
                parsed = await self.parser.parse(result.body, feed.url, result.content_type, feed.item_digests, result.content_language)
        except FeedParseError as error:
            await self._failed(feed, "parse", str(error), result.status, None)
            return
        for warning in parsed.warnings:
            log.warning("feed parsed with a recoverable error", extra={"feed_id": feed.id, "error": warning})
        dates = [e.published_at for e in parsed.entries if e.published_at]
        gap = publish_gap(dates)
        interval = self._interval(feed, gap, parsed.ttl_minutes, result.cache_seconds)
        known = await asyncio.to_thread(store.known_entry_keys, self.db, feed.id, [e.entry_key for e in parsed.entries])
        fresh = [e for e in parsed.entries if e.entry_key not in known]
        pages, page_stats = await self.full_texts(feed, fresh, allowance)
        rows, refused = [], []
        for e in fresh:
            payload = to_event(feed.id, feed.configured_url, parsed.title, e, pages.get(e.entry_key)).model_dump(mode="json")
            size = len(json.dumps(payload, ensure_ascii=False).encode())
            if size > self.settings.max_event_bytes:
                why = f"feed {feed.url}: entry {e.entry_key} ({e.url[:200]}): its event of {size} bytes exceeds FEED_WATCHER_MAX_EVENT_BYTES ({self.settings.max_event_bytes}); not published"
                log.error("entry too large to publish", extra={"feed_id": feed.id, "article_id": e.article_id, "error": why})
                refused.append((e.entry_key, e.article_id, why))
            else:
                rows.append((e.entry_key, e.article_id, payload))
        new = await asyncio.to_thread(
            store.record_fetched,
            self.db,
            feed.id,
            status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            digest=digest,
            now=now,
            next_poll=self._next(interval),
            outbox=rows,
            interval=interval,
            typical_gap=gap,
            latest_entry_at=max(dates, default=None),
            moved_to=result.permanent_redirect,
            item_digests=parsed.item_digests,
            encoding=parsed.encoding,
            refused=refused,
            pages=page_stats,
        )
        self.metrics.polls.labels("ok").inc()
        if parsed.truncated_entries:
            log.warning("entries capped", extra={"feed_id": feed.id, "truncated": parsed.truncated_entries})
        log.info("feed polled", extra={"feed_id": feed.id, "entries": len(parsed.entries), "new": new, "interval": round(interval)})
        self.on_activity(f"polled feed {feed.id}: {new} new")
        if new:
            self._wake.set()

    async def full_texts(
        self, feed: store.DueFeed, entries: list[ParsedEntry], allowance: FeedAllowance
    ) -> tuple[dict[str, str], tuple[int, int, str | None]]:
        """The main text of the article pages of new entries whose text is shorter than the feed's threshold
        (feeds that opt in), by entry key; and (pages used, pages failed, the last failure). A page that cannot
        be used leaves the entry's own text. Pages are fetched under the feed's allowance, never the operator's
        list alone: an entry's link is the feed publisher's choice, not the operator's."""
        if feed.full_text_below_chars is None:
            return {}, (0, 0, None)
        short = [e for e in entries if e.url and len(e.text) < feed.full_text_below_chars]
        texts: dict[str, str] = {}
        failed, last = 0, None
        for e in short[: self.settings.pages_per_poll]:
            try:
                texts[e.entry_key] = await self.fetch_full_text(e.url, allowance)
            except (FeedFetchError, PageExtractError) as error:
                failed, last = failed + 1, str(error)
                log.info("article page not used; the feed's text stays", extra={"feed_id": feed.id, "article_id": e.article_id, "error": last})
        if len(short) > self.settings.pages_per_poll:
            last = f"feed {feed.url}: {len(short) - self.settings.pages_per_poll} short entries kept the feed's text (FEED_WATCHER_PAGES_PER_POLL = {self.settings.pages_per_poll})"
        return texts, (len(texts), failed, last)

    async def fetch_full_text(self, url: str, allowance: Rule = ()) -> str:
        """Fetch an article page (robots.txt, address policy under `allowance`, size cap, deadline, per-host slots)
        and extract its main text in the parser workers. Raises FeedFetchError or PageExtractError naming the page."""
        refusal = await self.robots.refusal(url, allowance)
        if refusal:
            raise FeedFetchError(refusal, "robots")
        async with self._page_hosts[urlsplit(url).hostname or ""]:
            s = self.settings
            result = await fetch_page(self.client, url, max_body_bytes=s.max_page_bytes, max_redirects=s.max_redirects, allowed_networks=allowance,
                                      deadline=s.fetch_deadline_seconds)
        kind = (result.content_type or "").split(";")[0].strip().lower()
        if kind and kind not in ("text/html", "application/xhtml+xml"):
            raise PageExtractError(f"page {url}: not an HTML page ({kind})")
        return await self.parser.extract(result.body, url, s.max_text_chars)

    async def _failed(self, feed: store.DueFeed, kind: str, message: str, status: int | None, retry_after: float | None) -> None:
        self.metrics.polls.labels("error").inc()
        self.metrics.errors.labels(kind).inc()
        streak = feed.error_streak + 1
        interval = self.settings.max_interval_seconds if kind == "gone" else self._interval(feed)
        now = datetime.now(UTC)
        self._outcomes.append(store.PollOutcome(feed.id, now, self._next(interval, streak, retry_after), status, error_kind=kind, error=message))
        log.warning("feed poll failed", extra={"feed_id": feed.id, "error": message, "kind": kind, "error_streak": streak})
        self.on_activity(f"poll of feed {feed.id} failed ({kind})")

    async def flush_outbox(self) -> int:
        """Publish what the outbox holds (radar_shared.outbox.relay); an entry Kafka refuses for good is
        recorded as failed on its feed."""
        async with self._flush_lock:
            return await outbox.relay(self.db, SeenEntry, self.owner, self.settings.lease_seconds, self._publish_payload, self._publish_refused, lambda: datetime.now(UTC))

    async def _publish_payload(self, payload: dict[str, Any]) -> None:
        event = ArticleDiscovered.model_validate(payload)
        await self.publish(event)
        self.metrics.entries.inc()
        log.info("article discovered", extra={"feed_id": event.article.feed_id, "article_id": event.article.article_id, "story_id": event.article.story_id})

    async def _publish_refused(self, row_id: int, payload: dict[str, Any], error: BaseException) -> None:
        article = payload.get("article", {})
        message = f"feed {article.get('feed_url')}: entry {article.get('entry_key')} was refused by Kafka: {type(error).__name__}: {error}"
        log.error("entry not published", extra={"feed_id": article.get("feed_id"), "article_id": article.get("article_id"), "error": message})
        await asyncio.to_thread(store.record_entry_failure, self.db, article["feed_id"], message)
