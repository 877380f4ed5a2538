"""Digest times, quiet hours and rate limits, read in the subscription's own time zone."""

from datetime import UTC, datetime, timedelta

import pytest

from radar_notifier.policy import Policy, PolicyError, hold_until, next_digest_at, quiet_until, rate_limited_until, validate


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_quiet_hours_across_midnight_in_local_time() -> None:
    night = Policy(quiet_start="22:00", quiet_end="07:00", timezone="Asia/Seoul")  # UTC+9
    assert quiet_until(night, utc(2026, 11, 27, 14, 0)) == utc(2026, 11, 27, 22, 0)  # 23:00 in Seoul → 07:00 next morning
    assert quiet_until(night, utc(2026, 11, 27, 21, 59)) == utc(2026, 11, 27, 22, 0)  # 06:59 in Seoul
    assert quiet_until(night, utc(2026, 11, 27, 22, 0)) is None  # 07:00 in Seoul: over
    assert quiet_until(night, utc(2026, 11, 27, 3, 0)) is None  # noon in Seoul


def test_quiet_hours_within_a_day() -> None:
    lunch = Policy(quiet_start="12:00", quiet_end="13:30")
    assert quiet_until(lunch, utc(2026, 1, 1, 12, 45)) == utc(2026, 1, 1, 13, 30)
    assert quiet_until(lunch, utc(2026, 1, 1, 13, 30)) is None
    assert quiet_until(Policy(), utc(2026, 1, 1, 3)) is None


def test_digest_times_hourly_and_daily_across_daylight_saving() -> None:
    assert next_digest_at(Policy(mode="digest", digest_schedule="hourly"), utc(2026, 3, 1, 10, 15)) == utc(2026, 3, 1, 11, 0)
    daily = Policy(mode="digest", digest_time="08:00", timezone="Europe/Berlin")
    assert next_digest_at(daily, utc(2026, 3, 28, 9, 0)) == utc(2026, 3, 29, 6, 0)  # 08:00 CEST, the day clocks go forward
    assert next_digest_at(daily, utc(2026, 3, 27, 6, 0)) == utc(2026, 3, 27, 7, 0)  # 07:00 CET → 08:00 CET the same day


def test_rate_limit_holds_until_the_oldest_send_leaves_the_hour() -> None:
    now = utc(2026, 1, 1, 12, 0)
    sent = [now - timedelta(minutes=m) for m in (50, 30, 10)]
    assert rate_limited_until(3, sent, now) == now + timedelta(minutes=10)
    assert rate_limited_until(4, sent, now) is None
    assert rate_limited_until(None, sent, now) is None
    until, reason = hold_until(Policy(max_per_hour=3), now, sent)  # type: ignore[misc]
    assert until == now + timedelta(minutes=10) and "rate limit" in reason


@pytest.mark.parametrize(
    ("policy", "field"),
    [
        (Policy(mode="weekly"), "mode"),
        (Policy(digest_schedule="weekly"), "digest_schedule"),
        (Policy(digest_time="8am"), "digest_time"),
        (Policy(timezone="Mars/Olympus"), "timezone"),
        (Policy(quiet_start="22:00"), "quiet_start/quiet_end"),
        (Policy(quiet_start="22:00", quiet_end="24:00"), "quiet_end"),
        (Policy(max_per_hour=0), "max_per_hour"),
    ],
)
def test_invalid_options_name_the_field(policy: Policy, field: str) -> None:
    with pytest.raises(PolicyError, match=f"^{field}:"):
        validate(policy)
