"""Notifier settings (`NOTIFIER_*`)."""

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from radar_shared.settings import ChannelSettings, FeedbackSettings, SharedSettings

SERVICE = "notifier"


class NotifierSettings(ChannelSettings):
    """The notifier's settings; the channel rules (allowed schemes and networks) come from ChannelSettings."""

    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", env_file=".env", extra="ignore")

    http_port: int = Field(8083, description="/healthz, /readyz, /metrics, /asyncapi.")
    slack_webhook_url: str = Field("https://hooks.slack.com/services", description="Base of Slack incoming webhooks (a local receiver in tests).")
    send_attempts: int = Field(8, ge=1, description="Attempts before a delivery is marked failed (the retry budget).")
    retry_base_seconds: float = Field(2.0, ge=0, description="First pause before a retry; doubles each time, with ±20 % jitter.")
    retry_max_seconds: float = Field(900, gt=0, description="Longest pause between two attempts.")
    retry_poll_seconds: float = Field(1.0, gt=0, description="How often due retries are looked for.")
    sending_stale_seconds: float = Field(60, gt=0, description="A claim ('sending') not renewed for this long (its notifier crashed) is taken over and sent again.")
    outbox_retention_days: float = Field(7, gt=0, description="Delivered and failed events already published to Kafka are deleted from alert_outbox after this many days (checked hourly).")
    send_workers: int = Field(32, ge=1, description="Threads for Apprise's blocking sends, shared by all channels.")
    channel_concurrency: int = Field(4, ge=1, description="Sends in flight to one (non-Slack) channel at a time.")
    slack_interval_seconds: float = Field(1.0, ge=0, description="Least time between two messages to one Slack webhook (Slack allows about 1/s).")
    send_timeout_seconds: float = Field(15.0, gt=0, description="Timeout of one Slack webhook POST.")
    batch_size: int = Field(100, ge=1, le=10_000, description="Classified articles read from Kafka at most per batch; their deliveries are recorded in one transaction.")


@dataclass(frozen=True)
class NotifierConfig:
    """The notifier process's one settings object: `__main__` builds it once and passes it down; nothing else
    reads the environment."""

    shared: SharedSettings
    service: NotifierSettings
    feedback: FeedbackSettings

    @classmethod
    def from_environment(cls) -> "NotifierConfig":
        return cls(SharedSettings(), NotifierSettings(), FeedbackSettings())
