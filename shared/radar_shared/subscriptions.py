"""What a subscription sends and when: the seven options, defined once (pure).

`SubscriptionOptions` is the base of the full-stack-fastapi-template layering: the `subscription` table
inherits it, the control plane's request and response models inherit it, and the notifier builds its
`Policy` from it. `validate_options` is the one set of rules for those options, applied by the control
plane when a subscription is stored and by the notifier's tests of its policy alike; its errors name the field.
"""

import re
from datetime import time
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Field, SQLModel

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DIGEST_SCHEDULES = ("hourly", "daily")
MODES = ("immediate", "digest")


class PolicyError(ValueError):
    """A subscription option that cannot be used; the message names the field."""


class SubscriptionOptions(SQLModel):
    """The seven options of a subscription (no table of its own: `Subscription` inherits them)."""

    mode: str = Field(default="immediate", max_length=20, description="immediate | digest")
    digest_schedule: str = Field(default="daily", max_length=20, description="hourly | daily (at digest_time)")
    digest_time: str = Field(default="08:00", max_length=5, description="Local HH:MM of a daily digest.")
    timezone: str = Field(default="UTC", max_length=64, description="IANA zone of digest_time and quiet hours.")
    quiet_start: str | None = Field(default=None, max_length=5, description="Local HH:MM; alerts are held until quiet_end.")
    quiet_end: str | None = Field(default=None, max_length=5)
    max_per_hour: int | None = Field(default=None, description="Rate limit; alerts beyond it are held, not dropped.")


OPTION_NAMES = tuple(SubscriptionOptions.model_fields)


class HasOptions(Protocol):
    """Anything with the seven options as attributes: the base and its subclasses, the notifier's Policy."""

    @property
    def mode(self) -> str: ...
    @property
    def digest_schedule(self) -> str: ...
    @property
    def digest_time(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def quiet_start(self) -> str | None: ...
    @property
    def quiet_end(self) -> str | None: ...
    @property
    def max_per_hour(self) -> int | None: ...


_O = TypeVar("_O", bound=HasOptions)


def options_of(source: HasOptions | Any) -> SubscriptionOptions:
    """The seven options read from the attributes of `source` (a row, a request body, a Policy)."""
    return SubscriptionOptions(**{name: getattr(source, name) for name in OPTION_NAMES})


def describe(options: HasOptions) -> str:
    """The options in words: "digest daily at 08:00 Europe/Berlin, quiet 22:00–07:00 Europe/Berlin, at most 5/hour"."""
    if options.mode == "digest":
        out = f"digest {options.digest_schedule}" + (f" at {options.digest_time} {options.timezone}" if options.digest_schedule == "daily" else "")
    else:
        out = "immediate"
    if options.quiet_start:
        out += f", quiet {options.quiet_start}–{options.quiet_end} {options.timezone}"
    if options.max_per_hour:
        out += f", at most {options.max_per_hour}/hour"
    return out


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


def validate_options(options: _O) -> _O:
    """The options, or PolicyError naming the first unusable field."""
    if options.mode not in MODES:
        raise PolicyError(f"mode: {options.mode!r} is not one of {', '.join(MODES)}")
    if options.digest_schedule not in DIGEST_SCHEDULES:
        raise PolicyError(f"digest_schedule: {options.digest_schedule!r} is not one of {', '.join(DIGEST_SCHEDULES)}")
    parse_hhmm(options.digest_time, "digest_time")
    zone(options.timezone)
    if (options.quiet_start is None) != (options.quiet_end is None):
        raise PolicyError("quiet_start/quiet_end: give both or neither")
    if options.quiet_start is not None and options.quiet_end is not None:
        if parse_hhmm(options.quiet_start, "quiet_start") == parse_hhmm(options.quiet_end, "quiet_end"):
            raise PolicyError("quiet_end: must differ from quiet_start")
    if options.max_per_hour is not None and options.max_per_hour < 1:
        raise PolicyError("max_per_hour: must be at least 1 (or unset for no limit)")
    return options
