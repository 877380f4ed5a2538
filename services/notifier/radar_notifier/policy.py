"""When a subscription's alerts may go out (pure): digest times, quiet hours and the hourly rate limit.

All times are aware datetimes; the local rules (digest time, quiet hours) are read in the subscription's
IANA time zone, so a daily 08:00 digest stays at 08:00 across daylight-saving changes.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DIGEST_SCHEDULES = ("hourly", "daily")
MODES = ("immediate", "digest")


class PolicyError(ValueError):
    """A subscription option that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Policy:
    mode: str = "immediate"
    digest_schedule: str = "daily"
    digest_time: str = "08:00"
    timezone: str = "UTC"
    quiet_start: str | None = None
    quiet_end: str | None = None
    max_per_hour: int | None = None


def parse_hhmm(value: str, field: str) -> time:
    m = _HHMM.match(value or "")
    if not m:
        raise PolicyError(f"{field}: {value!r} is not a time of day as HH:MM (00:00 to 23:59)")
    return time(int(m.group(1)), int(m.group(2)))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PolicyError(f"timezone: {name!r} is not an IANA time zone such as Europe/Berlin or Asia/Seoul") from None


def validate(policy: Policy) -> Policy:
    """The policy, or PolicyError naming the first unusable field."""
    if policy.mode not in MODES:
        raise PolicyError(f"mode: {policy.mode!r} is not one of {', '.join(MODES)}")
    if policy.digest_schedule not in DIGEST_SCHEDULES:
        raise PolicyError(f"digest_schedule: {policy.digest_schedule!r} is not one of {', '.join(DIGEST_SCHEDULES)}")
    parse_hhmm(policy.digest_time, "digest_time")
    zone(policy.timezone)
    if (policy.quiet_start is None) != (policy.quiet_end is None):
        raise PolicyError("quiet_start/quiet_end: give both or neither")
    if policy.quiet_start is not None and policy.quiet_end is not None:
        if parse_hhmm(policy.quiet_start, "quiet_start") == parse_hhmm(policy.quiet_end, "quiet_end"):
            raise PolicyError("quiet_end: must differ from quiet_start")
    if policy.max_per_hour is not None and policy.max_per_hour < 1:
        raise PolicyError("max_per_hour: must be at least 1 (or unset for no limit)")
    return policy


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
