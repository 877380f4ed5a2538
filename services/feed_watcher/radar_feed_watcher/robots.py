"""robots.txt for article pages (IO at the edge, parsing by the standard library's robotparser).

A feed is an invitation to fetch the feed; the article pages behind it are not, so before Radar fetches a page
for its full text it asks the site's robots.txt, as a polite crawler does (RFC 9309):
- 2xx: its rules apply to Radar's user agent (or `*`);
- 4xx (no robots.txt): everything is allowed;
- 5xx, a refused address, a timeout or a body over the cap: the site is unreachable, so nothing is fetched.
Each host's answer is kept for `ttl` seconds, and one look-up at a time is made per host. robots.txt is fetched
under the allowance of the page it decides (the page's feed's, decision 020) and kept per host and the entries
that apply to it; whatever robots.txt says, the page itself is fetched under its own feed's allowance.
"""

import asyncio
import time
from dataclasses import dataclass
from urllib import robotparser
from urllib.parse import urlsplit, urlunsplit

import httpx

from radar_feed_watcher.fetcher import FeedFetchError, fetch_page
from radar_shared.netpolicy import AllowList, Rule, allowance_for

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
    def __init__(self, client: httpx.AsyncClient, user_agent: str, allowed_networks: Rule, deadline: float, ttl: float = 86_400) -> None:
        self.client = client
        self.agent = user_agent.split("/")[0]
        self.allowed = allowed_networks
        self.deadline = deadline
        self.ttl = ttl
        self._rules: dict[tuple[str, AllowList], _Rules] = {}
        self._locks: dict[tuple[str, AllowList], asyncio.Lock] = {}

    async def refusal(self, page_url: str, allowed: Rule | None = None) -> str | None:
        """Why the page may not be fetched, or None when robots.txt allows it. `allowed`: what the page's fetch
        may reach (its feed's allowance); the cache's own when not given."""
        rule = self.allowed if allowed is None else allowed
        url = robots_url(page_url)
        key = (url, allowance_for(rule, url))
        async with self._locks.setdefault(key, asyncio.Lock()):
            rules = self._rules.get(key)
            if rules is None or rules.until < time.monotonic():
                rules = self._rules[key] = await self._load(url, rule)
        if rules.refused:
            return rules.refused
        if rules.parser is not None and not rules.parser.can_fetch(self.agent, page_url):
            return f"page {page_url}: robots.txt disallows it for {self.agent}"
        return None

    async def _load(self, url: str, rule: Rule) -> _Rules:
        until = time.monotonic() + self.ttl
        try:
            result = await fetch_page(self.client, url, max_body_bytes=ROBOTS_MAX_BYTES, max_redirects=5, allowed_networks=rule, deadline=self.deadline)
        except FeedFetchError as error:
            if error.status is not None and 400 <= error.status < 500:
                return _Rules(None, None, until)  # no robots.txt: no restrictions
            return _Rules(None, f"{url} cannot be read, so no page of the site is fetched: {error}", until)
        return _Rules(parse_robots(result.body), None, until)
