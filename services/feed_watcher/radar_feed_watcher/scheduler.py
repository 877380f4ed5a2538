"""When to poll a feed next (pure)."""

import random
from datetime import datetime, timedelta

from radar_shared.backoff import backoff_delay


def next_poll_at(
    now: datetime,
    interval_seconds: float,
    error_streak: int,
    max_backoff_seconds: float,
    retry_after_seconds: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """The next poll time: the interval on success, exponential back-off on errors (never giving up).

    ±10 % jitter keeps feeds from polling in lockstep; `Retry-After` is a floor.
    """
    jitter = (rng or random.Random()).uniform(0.9, 1.1)
    cap = max(max_backoff_seconds, interval_seconds)
    return now + timedelta(seconds=backoff_delay(error_streak, interval_seconds, cap, jitter=jitter, floor=retry_after_seconds))


def publish_gap(published: list[datetime], recent: int = 20) -> float | None:
    """The median gap in seconds between the feed's most recent entries, or None with fewer than 2 dates."""
    times = sorted(set(published))[-recent:]
    gaps = sorted((b - a).total_seconds() for a, b in zip(times, times[1:], strict=False) if b > a)
    if not gaps:
        return None
    return gaps[len(gaps) // 2]


def plan_interval(
    default: float,
    minimum: float,
    maximum: float,
    gap: float | None,
    ttl_minutes: int | None = None,
    cache_seconds: float | None = None,
) -> float:
    """The polling interval of one feed, between `minimum` and `maximum`.

    It follows the feed's rhythm (about twice per typical gap between entries), and never polls sooner than
    the publisher asks: RSS `<ttl>`, `Cache-Control: max-age` or `Expires`.
    """
    interval = gap / 2 if gap else default
    for floor in (ttl_minutes * 60 if ttl_minutes else None, cache_seconds):
        if floor is not None:
            interval = max(interval, floor)
    return min(max(interval, minimum), maximum)


def is_stale(now: datetime, latest_entry_at: datetime | None, gap: float | None, factor: float, min_quiet_seconds: float) -> bool:
    """Quiet for much longer than its usual rhythm: `factor` typical gaps, and at least `min_quiet_seconds`."""
    if latest_entry_at is None:
        return False
    quiet = (now - latest_entry_at).total_seconds()
    return quiet > max(factor * gap if gap else 0.0, min_quiet_seconds)
