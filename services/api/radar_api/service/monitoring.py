"""Status (admins): each service up or down with its last activity, each feed's health, deliveries per status.

A feed is stale by the feed-watcher's own rule (`radar_feed_watcher.preview.is_stale`) and thresholds
(`FEED_WATCHER_STALE_*`, radar_shared.settings.FeedSettings): the CLI, the REST API and the web page agree.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from radar_feed_watcher.preview import is_stale
from radar_shared.db import as_utc, session_scope
from radar_shared.models import Delivery, Feed, FeedState, ServiceHeartbeat
from radar_shared.settings import FeedSettings

SERVICES = ("feed-watcher", "classifier", "notifier")


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    up: bool
    last_seen_at: datetime | None
    last_activity_at: datetime | None
    last_activity: str | None
    version: str
    instance: str
    started_at: datetime | None = None


@dataclass(frozen=True)
class FeedStatus:
    id: int
    url: str
    enabled: bool
    last_poll_at: datetime | None
    last_status: int | None
    error_streak: int
    last_error: str | None
    next_poll_at: datetime | None
    interval_seconds: float | None = None
    latest_entry_at: datetime | None = None
    stale: bool = False
    gone_at: datetime | None = None
    moved_to: str | None = None
    last_error_kind: str | None = None
    encoding: str | None = None
    entries_truncated: int = 0
    entries_failed: int = 0
    last_entry_error: str | None = None
    pages_failed: int = 0
    last_page_error: str | None = None

    @property
    def notes(self) -> list[str]:
        """What else an operator should know: entries capped or not published, an encoding that was guessed."""
        out = []
        if self.entries_failed:
            out.append(f"{self.entries_failed} entr{'y' if self.entries_failed == 1 else 'ies'} not published (too large): {self.last_entry_error or ''}")
        if self.entries_truncated:
            out.append(f"{self.entries_truncated} entr{'y' if self.entries_truncated == 1 else 'ies'} capped to FEED_WATCHER_MAX_*_CHARS (marked truncated)")
        if self.encoding and self.encoding.endswith("(detected)"):
            out.append(f"no encoding declared; read as {self.encoding.removesuffix(' (detected)')}")
        if self.pages_failed:
            out.append(f"{self.pages_failed} article page{'' if self.pages_failed == 1 else 's'} not used for full text (the feed's text stayed): {self.last_page_error or ''}")
        return out

    @property
    def attention(self) -> bool:
        return self.enabled and (self.health != "ok" or bool(self.notes))

    @property
    def health(self) -> str:
        if not self.enabled:
            return "disabled"
        if self.gone_at:
            return "GONE"
        if self.last_poll_at is None:
            return "never polled"
        if self.error_streak:
            return f"{'DEADLINE' if self.last_error_kind == 'deadline' else 'ERROR'} x{self.error_streak}"
        return "STALE" if self.stale else "ok"


@dataclass(frozen=True)
class Status:
    services: list[ServiceStatus]
    feeds: list[FeedStatus]
    deliveries: dict[str, int]


def status(db: str, heartbeat_seconds: float, now: datetime | None = None, stale_factor: float | None = None, stale_min_seconds: float | None = None) -> Status:
    """The status at `now`; the stale thresholds are FEED_WATCHER_STALE_* (FeedSettings) unless given."""
    if stale_factor is None or stale_min_seconds is None:
        feeds_settings = FeedSettings()
        stale_factor = feeds_settings.stale_factor if stale_factor is None else stale_factor
        stale_min_seconds = feeds_settings.stale_min_seconds if stale_min_seconds is None else stale_min_seconds
    now = now or datetime.now(UTC)
    with session_scope(db) as s:
        beats = {b.service: b for b in s.exec(select(ServiceHeartbeat)).all()}
        feeds = s.exec(select(Feed, FeedState).join(FeedState, col(FeedState.feed_id) == col(Feed.id), isouter=True).order_by(col(Feed.id))).all()
        counts: dict[str, int] = {}
        for st in s.exec(select(Delivery.status)).all():
            counts[st] = counts.get(st, 0) + 1
    services = []
    for name in SERVICES:
        b = beats.get(name)
        up = b is not None and as_utc(b.last_seen_at) >= now - timedelta(seconds=3 * heartbeat_seconds)  # type: ignore[operator]
        services.append(
            ServiceStatus(name, up, as_utc(b.last_seen_at) if b else None, as_utc(b.last_activity_at) if b else None, b.last_activity if b else None, b.version if b else "",
                          b.instance if b else "", as_utc(b.started_at) if b else None)
        )
    feed_rows = [
        FeedStatus(
            f.id, f.url, f.enabled,  # type: ignore[arg-type]
            as_utc(st.last_poll_at) if st else None, st.last_status if st else None, st.error_streak if st else 0,
            st.last_error if st else None, as_utc(st.next_poll_at) if st else None,
            st.interval_seconds if st else None, as_utc(st.latest_entry_at) if st else None,
            bool(st) and is_stale(now, as_utc(st.latest_entry_at), st.typical_gap_seconds, stale_factor, stale_min_seconds),
            as_utc(st.gone_at) if st else None, st.effective_url if st else None,
            st.last_error_kind if st else None, st.encoding if st else None, st.entries_truncated if st else 0,
            st.entries_failed if st else 0, st.last_entry_error if st else None,
            st.pages_failed if st else 0, st.last_page_error if st else None,
        )
        for f, st in feeds
    ]
    return Status(services, feed_rows, counts)
