"""The feed-watcher's face to the control plane: what the watcher would publish from a feed URL or file, and
whether a feed has gone stale. The control plane imports nothing else from this service.

A preview runs the watcher's own fetcher (the same SSRF rules, caps, redirects and overall deadline, so a feed
that trickles its body a byte a second cannot hang it), and its parser in a worker process with the same CPU
limit, but publishes nothing and writes no state.
"""

from pathlib import Path
from typing import Any

from radar_feed_watcher.config import FeedWatcherSettings
from radar_feed_watcher.fetcher import FeedFetchError, fetch_feed, make_client
from radar_feed_watcher.parser import FeedParseError, ParsedFeed
from radar_feed_watcher.parser_pool import ParserPool
from radar_feed_watcher.scheduler import is_stale
from radar_shared.netpolicy import FeedAllowance

__all__ = ["FeedFetchError", "FeedParseError", "entries_as_lines", "is_stale", "preview_file", "preview_url"]


def entries_as_lines(parsed: ParsedFeed) -> list[dict[str, Any]]:
    return [
        {"id": e.article_id, "url": e.url, "title": e.title, "published": e.published_at.isoformat() if e.published_at else None, "text_length": len(e.text)}
        for e in parsed.entries
    ]


async def _parse(body: bytes, name: str, content_type: str | None, settings: FeedWatcherSettings) -> ParsedFeed:
    pool = ParserPool(1, settings.parse_cpu_seconds)
    try:
        return await pool.parse(body, name, content_type)
    finally:
        await pool.close_and_wait()  # no pool thread left to race the interpreter's exit


async def preview_file(path: Path, settings: FeedWatcherSettings | None = None) -> list[dict[str, Any]]:
    """Like a fetch, the file is read up to the byte cap and no further (a pipe or /dev/zero never fills memory).
    `settings`: the watcher's own (FEED_WATCHER_*) unless given."""
    settings = settings or FeedWatcherSettings()
    with path.open("rb") as file:
        data = file.read(settings.max_body_bytes + 1)
    if len(data) > settings.max_body_bytes:
        raise FeedParseError(f"feed {path}: more than the {settings.max_body_bytes}-byte cap (FEED_WATCHER_MAX_BODY_BYTES)")
    return entries_as_lines(await _parse(data, str(path), None, settings))


async def preview_url(url: str, settings: FeedWatcherSettings | None = None) -> list[dict[str, Any]]:
    """The entries of the feed at `url`, or FeedFetchError / FeedParseError naming the feed."""
    settings = settings or FeedWatcherSettings()
    async with make_client(settings.user_agent, settings.connect_timeout_seconds, settings.read_timeout_seconds, 1) as client:
        result = await fetch_feed(
            client, url, etag=None, last_modified=None, max_body_bytes=settings.max_body_bytes,
            max_redirects=settings.max_redirects, allowed_networks=FeedAllowance.of(url, settings.allow_list()),
            deadline=settings.fetch_deadline_seconds,
        )
    return entries_as_lines(await _parse(result.body, url, result.content_type, settings))
