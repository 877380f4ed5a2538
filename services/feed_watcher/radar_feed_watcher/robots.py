"""robots.txt for article pages (IO at the edge, parsing by the standard library's robotparser).

A feed is an invitation to fetch the feed; the article pages behind it are not, so before Radar fetches a page
for its full text it asks the site's robots.txt, as a polite crawler does (RFC 9309):
- 2xx: its rules apply to Radar's user agent (or `*`);
- 4xx (no robots.txt): everything is allowed;
- 5xx, a refused address, a timeout or a body over the cap: the site is unreachable, so nothing is fetched.
Each host's answer is kept for `ttl` seconds, and one look-up at a time is made per host.
"""

import asyncio
import time
from dataclasses import dataclass
from urllib import robotparser
from urllib.parse import urlsplit, urlunsplit

import httpx

from radar_feed_watcher.fetcher import FeedFetchError, fetch_page

ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB


@dataclass
class _Rules:
    parser: robotparser.RobotFileParser | None  # None: everything allowed
    refused: str | None  # why nothing may be fetched (the site's robots.txt could not be read)
    until: float


def robots_url(page_url: str) -> str:
    parts = urlsplit(page_url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def parse_robots(body: bytes) -> robotparser.RobotFileParser:
    parser = robotparser.RobotFileParser()
    parser.parse(body.decode("utf-8", errors="replace").splitlines())
    return parser


class RobotsCache:
    def __init__(self, client: httpx.AsyncClient, user_agent: str, allowed_networks: list, deadline: float, ttl: float = 86_400) -> None:
        self.client = client
        self.agent = user_agent.split("/")[0]
        self.allowed = allowed_networks
        self.deadline = deadline
        self.ttl = ttl
        self._rules: dict[str, _Rules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def refusal(self, page_url: str) -> str | None:
        """Why the page may not be fetched, or None when robots.txt allows it."""
        key = robots_url(page_url)
        async with self._locks.setdefault(key, asyncio.Lock()):
            rules = self._rules.get(key)
            if rules is None or rules.until < time.monotonic():
                rules = self._rules[key] = await self._load(key)
        if rules.refused:
            return rules.refused
        if rules.parser is not None and not rules.parser.can_fetch(self.agent, page_url):
            return f"page {page_url}: robots.txt disallows it for {self.agent}"
        return None

    async def _load(self, url: str) -> _Rules:
        until = time.monotonic() + self.ttl
        try:
            result = await fetch_page(self.client, url, max_body_bytes=ROBOTS_MAX_BYTES, max_redirects=5, allowed_networks=self.allowed, deadline=self.deadline)
        except FeedFetchError as error:
            if error.status is not None and 400 <= error.status < 500:
                return _Rules(None, None, until)  # no robots.txt: no restrictions
            return _Rules(None, f"{url} cannot be read, so no page of the site is fetched: {error}", until)
        return _Rules(parse_robots(result.body), None, until)
