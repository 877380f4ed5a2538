from datetime import UTC, datetime, timedelta

import httpx
import pytest

from radar_feed_watcher.fetcher import cache_lifetime
from radar_feed_watcher.scheduler import is_stale, plan_interval, publish_gap

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_publish_gap_is_the_median_of_recent_gaps() -> None:
    dates = [NOW - timedelta(hours=h) for h in (0, 1, 2, 3, 10)]
    assert publish_gap(dates) == 3600
    assert publish_gap([NOW]) is None and publish_gap([]) is None


@pytest.mark.parametrize(
    ("gap", "ttl", "cache", "expected"),
    [
        (None, None, None, 300),  # no rhythm known: the default
        (3600, None, None, 1800),  # hourly feed: every 30 minutes
        (20, None, None, 60),  # very busy feed: not under the minimum
        (86400 * 7, None, None, 3600),  # weekly feed: not over the maximum
        (600, 60, None, 3600),  # <ttl>60</ttl> is a floor (capped at the maximum)
        (600, 15, None, 900),
        (600, None, 1200, 1200),  # Cache-Control max-age is a floor
    ],
)
def test_plan_interval(gap, ttl, cache, expected) -> None:  # type: ignore[no-untyped-def]
    assert plan_interval(300, 60, 3600, gap, ttl, cache) == expected


def test_stale_means_much_quieter_than_usual() -> None:
    assert not is_stale(NOW, NOW - timedelta(hours=3), 3600, 4, 3600)
    assert is_stale(NOW, NOW - timedelta(hours=5), 1800, 4, 3600)
    assert not is_stale(NOW, NOW - timedelta(days=1), None, 4, 2 * 86400), "unknown rhythm: the minimum quiet time"
    assert is_stale(NOW, NOW - timedelta(days=3), None, 4, 2 * 86400)
    assert not is_stale(NOW, None, 3600, 4, 3600)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"cache-control": "public, max-age=600"}, 600),
        ({"cache-control": "no-cache"}, 0),
        ({"expires": "Thu, 01 Jan 2026 01:00:00 GMT", "date": "Thu, 01 Jan 2026 00:30:00 GMT"}, 1800),
        ({"expires": "0"}, None),
        ({}, None),
    ],
)
def test_cache_lifetime(headers: dict, expected: float | None) -> None:
    assert cache_lifetime(httpx.Headers(headers), NOW) == expected

