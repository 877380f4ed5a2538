"""Fetching feeds over HTTP (IO): conditional GET, size cap, timeouts, redirects checked hop by hop."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import httpx

from radar_shared.netpolicy import Rule, URLRefusedError, allowance_for, check_url, pinned_request
from radar_shared.retry_after import parse_retry_after

REDIRECT_CODES = (301, 302, 303, 307, 308)  # not httpx's is_redirect, which includes 304


class FeedFetchError(Exception):
    """A fetch failed. `kind` is one of http, gone, timeout, deadline, tls, connect, dns, too_large, refused, redirects."""

    def __init__(self, message: str, kind: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class FetchResult:
    status: int
    url: str
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None
    permanent_redirect: str | None = None
    cache_seconds: float | None = None  # from Cache-Control max-age or Expires
    content_language: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def cache_lifetime(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds the response may be cached: Cache-Control max-age (s-maxage) first, then Expires − Date."""
    cache_control = headers.get("cache-control", "")
    for part in cache_control.split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() in ("max-age", "s-maxage") and value.strip().isdigit():
            return float(value)
        if name.lower() in ("no-cache", "no-store"):
            return 0.0
    expires = headers.get("expires")
    if expires:
        try:
            when = parsedate_to_datetime(expires)
            base = parsedate_to_datetime(headers["date"]) if headers.get("date") else (now or datetime.now(UTC))
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            if base.tzinfo is None:
                base = base.replace(tzinfo=UTC)
            return max(0.0, (when - base).total_seconds())
        except (TypeError, ValueError, IndexError):
            return None
    return None


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


async def fetch_feed(
    client: httpx.AsyncClient,
    feed_url: str,
    *,
    etag: str | None,
    last_modified: str | None,
    max_body_bytes: int,
    max_redirects: int,
    allowed_networks: Rule,
    deadline: float | None = None,
) -> FetchResult:
    """GET the feed with If-None-Match/If-Modified-Since. Raises FeedFetchError naming the feed.

    `deadline` bounds the whole fetch: the read timeout only bounds the gap between two bytes, and a feed
    that sends a byte every few seconds would otherwise never end.
    """
    try:
        async with asyncio.timeout(deadline):
            return await _fetch(client, feed_url, etag, last_modified, max_body_bytes, max_redirects, allowed_networks)
    except TimeoutError:
        raise FeedFetchError(f"feed {feed_url}: no complete response within the {deadline:g} s deadline (FEED_WATCHER_FETCH_DEADLINE_SECONDS)", "deadline") from None


async def _fetch(
    client: httpx.AsyncClient, feed_url: str, etag: str | None, last_modified: str | None, max_body_bytes: int, max_redirects: int, allowed_networks: Rule,
    subject: str = "feed", accept: str | None = None,
) -> FetchResult:
    url = feed_url
    permanent: str | None = None
    for _hop in range(max_redirects + 1):
        try:
            address = await check_url(url, allowance_for(allowed_networks, url))  # each hop: a redirect may leave the feed's origin
        except URLRefusedError as error:
            kind = "dns" if error.reason.startswith("cannot resolve") else "refused"  # a name that does not resolve is not an SSRF refusal
            raise FeedFetchError(f"{subject} {feed_url}: {error.reason}" + (f" (redirected to {url})" if url != feed_url else ""), kind) from None
        target, host_header, extensions = pinned_request(url, address)
        try:
            async with client.stream("GET", target, headers={**conditional_headers(etag, last_modified), **host_header, **({"Accept": accept} if accept else {})}, extensions=extensions) as response:
                if response.status_code in REDIRECT_CODES:
                    location = response.headers.get("location")
                    if not location:
                        raise FeedFetchError(f"{subject} {feed_url}: HTTP {response.status_code} without Location", "http", response.status_code)
                    url = urljoin(url, location)
                    if response.status_code in (301, 308) and permanent is None:
                        permanent = url
                    continue
                if response.status_code == 304:
                    return FetchResult(304, url, b"", etag, last_modified, None, permanent, cache_lifetime(response.headers))
                if response.status_code == 410:
                    raise FeedFetchError(f"{subject} {feed_url}: HTTP 410 Gone (the publisher removed it)", "gone", 410)
                if response.status_code >= 400:
                    raise FeedFetchError(
                        f"{subject} {feed_url}: HTTP {response.status_code}",
                        "http",
                        response.status_code,
                        parse_retry_after(response.headers.get("retry-after")),
                    )
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_body_bytes:
                    raise FeedFetchError(f"{subject} {feed_url}: body of {declared} bytes exceeds the {max_body_bytes}-byte cap", "too_large")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():  # decompressed as it streams: a gzip bomb stops at the cap
                    size += len(chunk)
                    if size > max_body_bytes:
                        raise FeedFetchError(f"{subject} {feed_url}: body exceeds the {max_body_bytes}-byte cap", "too_large")
                    chunks.append(chunk)
                return FetchResult(
                    response.status_code,
                    url,
                    b"".join(chunks),
                    response.headers.get("etag"),
                    response.headers.get("last-modified"),
                    response.headers.get("content-type"),
                    permanent,
                    cache_lifetime(response.headers),
                    response.headers.get("content-language"),
                )
        except httpx.TimeoutException as error:
            raise FeedFetchError(f"{subject} {feed_url}: timeout ({type(error).__name__})", "timeout") from None
        except httpx.ConnectError as error:
            kind = "tls" if "SSL" in str(error) or "certificate" in str(error).lower() else "connect"
            raise FeedFetchError(f"{subject} {feed_url}: {kind} error: {error}", kind) from None
        except httpx.DecodingError as error:
            raise FeedFetchError(f"{subject} {feed_url}: cannot decode the body: {error}", "http") from None
        except httpx.HTTPError as error:
            raise FeedFetchError(f"{subject} {feed_url}: {type(error).__name__}: {error}", "connect") from None
    raise FeedFetchError(f"{subject} {feed_url}: more than {max_redirects} redirects", "redirects")


PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


async def fetch_page(
    client: httpx.AsyncClient, url: str, *, max_body_bytes: int, max_redirects: int, allowed_networks: Rule, deadline: float | None = None
) -> FetchResult:
    """GET an article page (or robots.txt) under the feeds' rules: the address policy on every hop, pinned;
    the size cap; the deadline. Raises FeedFetchError naming the page."""
    try:
        async with asyncio.timeout(deadline):
            return await _fetch(client, url, None, None, max_body_bytes, max_redirects, allowed_networks, "page", PAGE_ACCEPT)
    except TimeoutError:
        raise FeedFetchError(f"page {url}: no complete response within the {deadline:g} s deadline (FEED_WATCHER_FETCH_DEADLINE_SECONDS)", "deadline") from None


def make_client(user_agent: str, connect_timeout: float, read_timeout: float, concurrency: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent, "Accept": "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"},
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )
