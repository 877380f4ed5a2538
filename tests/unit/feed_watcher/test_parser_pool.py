"""A hostile feed (feedparser's slow author regex) is stopped by the CPU limit and does not stall the others."""

import asyncio
import time

from radar_feed_watcher.parser import FeedParseError
from radar_feed_watcher.parser_pool import ParserPool
from tests.support.feeds import rss

HOSTILE = rss([{"title": "x", "text": "y", "link": "https://a.example/1"}]).replace(b"<item>", b"<item><author>" + b"a" * 65536 + b"</author>")
GOOD = rss([{"title": "Fine", "text": "ok", "link": "https://b.example/2"}])


async def test_hostile_feed_hits_the_cpu_limit_while_a_good_feed_parses() -> None:
    pool = ParserPool(2, cpu_seconds=1.0)
    try:
        started = time.monotonic()
        finished: dict[str, float] = {}

        async def run(name: str, body: bytes):  # type: ignore[no-untyped-def]
            try:
                return await pool.parse(body, f"https://{name}.example/feed", None)
            finally:
                finished[name] = time.monotonic() - started

        hostile, good = await asyncio.gather(run("hostile", HOSTILE), run("good", GOOD), return_exceptions=True)
        assert isinstance(hostile, FeedParseError)
        assert "hostile.example" in str(hostile) and "CPU limit" in str(hostile)
        assert not isinstance(good, BaseException) and good.entries[0].title == "Fine"
        assert finished["good"] < finished["hostile"], "the good feed did not wait for the hostile one"
        assert finished["hostile"] < 10, "stopped near the limit, not after the ~20 s the regex would take"
        again = await pool.parse(GOOD, "https://c.example/feed", None)
        assert again.entries, "the pool keeps working afterwards"
    finally:
        pool.close()
