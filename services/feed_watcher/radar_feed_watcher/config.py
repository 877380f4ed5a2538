"""Feed-watcher settings (`FEED_WATCHER_*`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from radar_feed_watcher.entries import EntryLimits
from radar_shared.settings import FeedSettings

SERVICE = "feed-watcher"


class FeedWatcherSettings(FeedSettings):
    """The feed-watcher's settings; the feed rules (staleness, allowed networks) come from FeedSettings."""

    model_config = SettingsConfigDict(env_prefix="FEED_WATCHER_", env_file=".env", extra="ignore")

    http_port: int = Field(8081, description="/healthz, /readyz, /metrics, /asyncapi.")
    poll_interval_seconds: float = Field(300, gt=0, description="Default interval between polls of one feed.")
    min_interval_seconds: float = Field(60, gt=0, description="Shortest interval the adaptive schedule may choose.")
    max_interval_seconds: float = Field(3600, gt=0, description="Longest interval the adaptive schedule may choose.")
    per_host_concurrency: int = Field(2, ge=1, description="Fetches to one host at once.")
    parse_workers: int = Field(2, ge=1, description="Worker processes that parse feeds.")
    parse_cpu_seconds: float = Field(5.0, gt=0, description="CPU time one parse may take before it is stopped.")
    lease_seconds: float = Field(300, gt=0, description="How long a watcher holds a feed or an outbox row it works on.")
    tick_seconds: float = Field(1.0, gt=0, description="How often due feeds are looked for (and feed changes picked up).")
    max_backoff_seconds: float = Field(3600, gt=0, description="Cap of the error back-off.")
    concurrency: int = Field(20, ge=1, description="Feeds fetched at once.")
    max_body_bytes: int = Field(10_000_000, ge=1024, description="Cap of a feed body after decompression.")
    connect_timeout_seconds: float = Field(10.0, gt=0, description="TCP and TLS connect timeout.")
    read_timeout_seconds: float = Field(30.0, gt=0, description="Timeout between bytes of a response.")
    fetch_deadline_seconds: float = Field(60.0, gt=0, description="Longest time one fetch may take in all (redirects and a slow body included).")
    max_title_chars: int = Field(1_000, ge=100, description="An entry's title is cut to this many characters (the entry is marked truncated).")
    max_summary_chars: int = Field(50_000, ge=1_000, description="An entry's sanitised HTML summary is cut to this many characters.")
    max_text_chars: int = Field(100_000, ge=1_000, description="An entry's plain text is cut to this many characters.")
    max_event_bytes: int = Field(
        800_000, ge=10_000, le=1_000_000,
        description="An entry whose event is still larger (in JSON) is recorded as failed on its feed, not published; Kafka's limit is 1 MB.",
    )
    max_redirects: int = Field(5, ge=0, description="Redirects followed, each hop checked against the SSRF rules.")
    max_page_bytes: int = Field(3_000_000, ge=1024, description="Cap of an article page fetched for its full text (feeds that opt in).")
    pages_per_poll: int = Field(10, ge=0, description="Article pages fetched in one poll of a feed at most; further short entries keep the feed's text.")
    user_agent: str = Field("RadarFeedWatcher/0.1", description="Sent with every fetch; operators should add a contact URL or address.")

    def entry_limits(self) -> EntryLimits:
        return EntryLimits(self.max_title_chars, self.max_summary_chars, self.max_text_chars)
