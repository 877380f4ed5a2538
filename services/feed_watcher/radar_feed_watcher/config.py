"""Feed-watcher settings (`FEED_WATCHER_*`)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE = "feed-watcher"


class FeedWatcherSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FEED_WATCHER_", env_file=".env", extra="ignore")

    http_port: int = 8081
    poll_interval_seconds: float = Field(300, gt=0, description="Default interval between polls of one feed.")
    tick_seconds: float = Field(1.0, gt=0, description="How often due feeds are looked for (and feed changes picked up).")
    max_backoff_seconds: float = Field(3600, gt=0, description="Cap of the error back-off.")
    concurrency: int = Field(20, ge=1, description="Feeds fetched at once.")
    max_body_bytes: int = Field(10_000_000, ge=1024, description="Cap of a feed body after decompression.")
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 30.0
    max_redirects: int = Field(5, ge=0)
    user_agent: str = "RadarFeedWatcher/0.1 (+https://github.com/radar-alerts/radar)"
    allowed_networks: list[str] = Field(
        default_factory=list,
        description="CIDR networks that feed URLs may resolve to despite the SSRF rules (intranet feeds, tests).",
    )
