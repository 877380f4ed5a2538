"""Status (admins): each service up or down with each of its replicas (instance, partitions, last beat, last
activity), each feed's health, deliveries per status.

A replica is up while its heartbeat is younger than 3 × HEARTBEAT_SECONDS, down after that (until a live replica
of its service forgets it, HEARTBEAT_FORGET_SECONDS after its last beat), and stopped after a clean shutdown. A
service is up while at least one of its replicas is.

A feed is stale by the feed-watcher's own rule (`radar_feed_watcher.preview.is_stale`) and thresholds
(`FEED_WATCHER_STALE_*`, radar_shared.settings.FeedSettings): the CLI, the REST API and the web page agree.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, Gauge
from sqlmodel import col, select

from radar_feed_watcher.preview import is_stale
from radar_shared.db import as_utc, session_scope
from radar_shared.heartbeat import MISSED_BEATS_DOWN
from radar_shared.models import Delivery, Feed, FeedState, ServiceHeartbeat
from radar_shared.settings import FeedSettings

SERVICES = ("feed-watcher", "classifier", "notifier")


@dataclass(frozen=True)
class InstanceStatus:
    """One replica of a service, as its heartbeat row shows it."""

    instance: str
    health: str  # "up", "DOWN" (silent for 3 heartbeats), "stopped" (a clean shutdown), "starting", "stopping"
    last_seen_at: datetime | None
    started_at: datetime | None
    version: str
    partitions: list[str] | None  # "topic:partition" assigned to its consumer; None: the service consumes nothing
    last_activity_at: datetime | None
    last_activity: str | None

    @property
    def up(self) -> bool:
        return self.health == "up"

    @property
    def partitions_text(self) -> str:
        """"articles.classified.v1 0,3,5", "no partition" (an idle replica: more replicas than partitions, or a
        rebalance), "" when the service consumes nothing."""
        if self.partitions is None:
            return ""
        if not self.partitions:
            return "no partition"
        topics: dict[str, list[str]] = {}
        for item in self.partitions:
            topic, _, partition = item.rpartition(":")
            topics.setdefault(topic, []).append(partition)
        return "  ".join(f"{topic} {','.join(numbers)}" for topic, numbers in topics.items())


@dataclass(frozen=True)
class ServiceStatus:
    service: str
    up: bool  # at least one replica is up
    live: int  # replicas up
    instances: list[InstanceStatus]  # every replica the heartbeat table still holds, by instance name

    @property
    def last_seen_at(self) -> datetime | None:
        return max((i.last_seen_at for i in self.instances if i.last_seen_at), default=None)

    @property
    def summary(self) -> str:
        """"2 of 3 replicas up", "no replica has written a heartbeat"."""
        if not self.instances:
            return "no replica has written a heartbeat"
        return f"{self.live} of {len(self.instances)} replica{'' if len(self.instances) == 1 else 's'} up"


def instance_health(beat: ServiceHeartbeat, now: datetime, heartbeat_seconds: float) -> str:
    """"stopped" after a clean shutdown; "DOWN" once MISSED_BEATS_DOWN heartbeats are missed; else its state
    ("up" when running)."""
    if beat.state == "stopped":
        return "stopped"
    if as_utc(beat.last_seen_at) < now - timedelta(seconds=MISSED_BEATS_DOWN * heartbeat_seconds):  # type: ignore[operator]
        return "DOWN"
    return "up" if beat.state == "running" else beat.state


def service_statuses(beats: Iterable[ServiceHeartbeat], now: datetime, heartbeat_seconds: float) -> list[ServiceStatus]:
    """Every pipeline service (SERVICES, then any other that wrote a heartbeat), each with its replicas."""
    by_service: dict[str, list[InstanceStatus]] = {name: [] for name in SERVICES}
    for b in sorted(beats, key=lambda b: (b.service, b.instance)):
        by_service.setdefault(b.service, []).append(InstanceStatus(
            b.instance, instance_health(b, now, heartbeat_seconds), as_utc(b.last_seen_at), as_utc(b.started_at), b.version,
            list(b.partitions) if b.partitions is not None else None, as_utc(b.last_activity_at), b.last_activity,
        ))
    out = []
    for name, instances in by_service.items():
        live = sum(i.up for i in instances)
        out.append(ServiceStatus(name, live > 0, live, instances))
    return out


def replicas(db: str, heartbeat_seconds: float, now: datetime | None = None) -> list[ServiceStatus]:
    """The services and their replicas at `now`, from the heartbeat table."""
    with session_scope(db) as s:
        beats = s.exec(select(ServiceHeartbeat)).all()
    return service_statuses(beats, now or datetime.now(UTC), heartbeat_seconds)


def replica_metrics(services: list[ServiceStatus], registry: CollectorRegistry) -> None:
    """The replicas as the control plane's /metrics shows them: radar_replicas_live per service (0 included),
    radar_replica_up (1 up, 0 down) and its last heartbeat per replica. A stopped replica left cleanly and
    is not counted missing. Labels `component` and `replica`, not `service` and `instance`, which are the
    scrape target's own labels."""
    live = Gauge("radar_replicas_live", "Replicas of a service whose heartbeat is fresh", ["component"], registry=registry)
    up = Gauge("radar_replica_up", "1 while a replica's heartbeat is fresh, 0 once it is silent (until forgotten)", ["component", "replica"], registry=registry)
    seen = Gauge("radar_replica_last_seen_timestamp_seconds", "When a replica last wrote its heartbeat", ["component", "replica"], registry=registry)
    for svc in services:
        live.labels(svc.service).set(svc.live)
        for i in svc.instances:
            if i.health == "stopped":
                continue
            up.labels(svc.service, i.instance).set(1 if i.up else 0)
            if i.last_seen_at:
                seen.labels(svc.service, i.instance).set(i.last_seen_at.timestamp())


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
    services = replicas(db, heartbeat_seconds, now)
    with session_scope(db) as s:
        feeds = s.exec(select(Feed, FeedState).join(FeedState, col(FeedState.feed_id) == col(Feed.id), isouter=True).order_by(col(Feed.id))).all()
        counts: dict[str, int] = {}
        for st in s.exec(select(Delivery.status)).all():
            counts[st] = counts.get(st, 0) + 1
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
