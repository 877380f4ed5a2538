"""The one back-off formula (pure): feed polls after errors, delivery retries, handler retries, Kafka start-up.

The delay never exceeds `cap` before jitter, and a `floor` (a service's Retry-After) always wins over it.
"""


def backoff_delay(attempt: int, base: float, cap: float, *, jitter: float = 1.0, floor: float | None = None) -> float:
    """The pause before retry number `attempt` (1, 2, 3, …): base, 2 × base, 4 × base, … and never more than `cap`;
    attempt 0 (nothing failed yet) waits `base` too.

    `jitter` is a factor near 1 that each caller draws to spread retries out; `floor` is a minimum the other
    side asked for (Retry-After), applied after the jitter.
    """
    delay = min(base * 2 ** min(max(attempt - 1, 0), 62), cap) * jitter
    return delay if floor is None else max(delay, floor)
