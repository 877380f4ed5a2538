import random
from datetime import UTC, datetime, timedelta

from radar_feed_watcher.scheduler import next_poll_at

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def delay(**kw) -> float:  # type: ignore[no-untyped-def]
    return (next_poll_at(NOW, rng=random.Random(1), **kw) - NOW).total_seconds()


def test_interval_with_jitter_on_success() -> None:
    d = delay(interval_seconds=300, error_streak=0, max_backoff_seconds=3600)
    assert 270 <= d <= 330
    spread = {next_poll_at(NOW, 300, 0, 3600, rng=random.Random(seed)) for seed in range(20)}
    assert len(spread) > 10, "jitter spreads feeds apart"


def test_backoff_doubles_and_is_capped_but_never_stops() -> None:
    delays = [delay(interval_seconds=60, error_streak=n, max_backoff_seconds=3600) for n in range(1, 12)]
    assert delays[0] < delays[1] < delays[2]
    assert max(delays) <= 3600 * 1.1
    assert delays[-1] >= 3600 * 0.9, "still polled at the cap"


def test_retry_after_is_a_floor() -> None:
    assert delay(interval_seconds=60, error_streak=1, max_backoff_seconds=3600, retry_after_seconds=900) == 900
    assert next_poll_at(NOW, 60, 0, 3600) - NOW < timedelta(seconds=70)
