"""When to poll a feed next (pure)."""

import random
from datetime import datetime, timedelta


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
    rng = rng or random.Random()
    if error_streak > 0:
        delay = min(interval_seconds * 2 ** (error_streak - 1), max(max_backoff_seconds, interval_seconds))
    else:
        delay = interval_seconds
    delay *= rng.uniform(0.9, 1.1)
    if retry_after_seconds is not None:
        delay = max(delay, retry_after_seconds)
    return now + timedelta(seconds=delay)
