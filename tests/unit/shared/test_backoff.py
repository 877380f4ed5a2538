"""The one back-off formula that the feed-watcher's polls, the notifier's retries and the broker's reconnects use."""

import pytest

from radar_shared.backoff import backoff_delay


@pytest.mark.parametrize(
    ("attempt", "base", "cap", "jitter", "floor", "expected"),
    [
        (0, 60, 3600, 1.0, None, 60),  # nothing failed yet: the base (a feed's own interval)
        (1, 60, 3600, 1.0, None, 60),
        (2, 60, 3600, 1.0, None, 120),
        (3, 60, 3600, 1.0, None, 240),
        (7, 60, 3600, 1.0, None, 3600),  # 3840 capped
        (10_000, 0.5, 30, 1.0, None, 30),  # no overflow however long it has failed
        (3, 1, 100, 1.2, None, 4.8),  # the caller's jitter spreads retries
        (3, 1, 100, 0.8, None, 3.2),
        (1, 1, 100, 1.0, 30, 30),  # Retry-After is a floor
        (8, 1, 100, 1.0, 30, 100),  # …that never lowers the back-off
        (2, 5, 300, 0.9, 9.5, 9.5),  # the floor wins over the jittered delay
    ],
)
def test_backoff_doubles_from_base_to_cap_with_jitter_and_floor(attempt: int, base: float, cap: float, jitter: float, floor: float | None, expected: float) -> None:
    assert backoff_delay(attempt, base, cap, jitter=jitter, floor=floor) == pytest.approx(expected)
