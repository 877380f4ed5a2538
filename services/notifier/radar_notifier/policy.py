"""When a subscription's alerts may go out (pure): digest times, quiet hours and the hourly rate limit.

All times are aware datetimes; the local rules (digest time, quiet hours) are read in the subscription's
IANA time zone, so a daily 08:00 digest stays at 08:00 across daylight-saving changes.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from radar_shared.subscriptions import OPTION_NAMES, HasOptions, PolicyError, parse_hhmm, validate_options, zone

__all__ = ["Policy", "PolicyError", "hold_until", "next_digest_at", "policy_of", "quiet_until", "rate_limited_until", "validate"]


@dataclass(frozen=True)
class Policy:
    """A subscription's seven options (radar_shared.subscriptions.SubscriptionOptions), frozen for the send path."""

    mode: str = "immediate"
    digest_schedule: str = "daily"
    digest_time: str = "08:00"
    timezone: str = "UTC"
    quiet_start: str | None = None
    quiet_end: str | None = None
    max_per_hour: int | None = None


def policy_of(options: HasOptions) -> Policy:
    """The Policy of a subscription row or any SubscriptionOptions: the one conversion."""
    return Policy(**{name: getattr(options, name) for name in OPTION_NAMES})


def validate(policy: Policy) -> Policy:
    """The policy, or PolicyError naming the first unusable field (the shared rules of the options)."""
    return validate_options(policy)


def _at(day: datetime, t: time, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, t.hour, t.minute, tzinfo=tz)


def quiet_until(policy: Policy, now: datetime) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None when alerts may go out."""
    if policy.quiet_start is None or policy.quiet_end is None:
        return None
    tz = zone(policy.timezone)
    local = now.astimezone(tz)
    start, end = parse_hhmm(policy.quiet_start, "quiet_start"), parse_hhmm(policy.quiet_end, "quiet_end")
    t = local.time()
    if start < end:  # e.g. 12:00–14:00, the same day
        inside = start <= t < end
        ends = _at(local, end, tz)
    else:  # e.g. 22:00–07:00, across midnight
        inside = t >= start or t < end
        ends = _at(local if t < end else local + timedelta(days=1), end, tz)
    return ends.astimezone(UTC) if inside else None


def next_digest_at(policy: Policy, now: datetime) -> datetime:
    """When the digest that an alert arriving `now` belongs to goes out (UTC): the next full hour, or the next
    digest_time in the subscription's zone."""
    tz = zone(policy.timezone)
    local = now.astimezone(tz)
    if policy.digest_schedule == "hourly":
        due = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    else:
        due = _at(local, parse_hhmm(policy.digest_time, "digest_time"), tz)
        if due <= local:
            due = _at(local + timedelta(days=1), parse_hhmm(policy.digest_time, "digest_time"), tz)
    return due.astimezone(UTC)


def rate_limited_until(max_per_hour: int | None, sent_in_last_hour: Sequence[datetime], now: datetime) -> datetime | None:
    """When the next alert may go out under an hourly limit, or None when it may go now."""
    if max_per_hour is None or len(sent_in_last_hour) < max_per_hour:
        return None
    recent = sorted(sent_in_last_hour)[-max_per_hour:]
    return max(recent[0] + timedelta(hours=1), now)


def hold_until(policy: Policy, now: datetime, sent_in_last_hour: Sequence[datetime] = ()) -> tuple[datetime, str] | None:
    """Why and until when an immediate alert must wait, or None to send it now."""
    if until := quiet_until(policy, now):
        return until, f"quiet hours until {until.isoformat(timespec='minutes')}"
    if until := rate_limited_until(policy.max_per_hour, sent_in_last_hour, now):
        return until, f"rate limit of {policy.max_per_hour}/hour; next slot {until.isoformat(timespec='seconds')}"
    return None
