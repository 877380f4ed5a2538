"""Settings shared by every service. Each service adds its own `<SERVICE>_*` settings in its config.py."""

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from radar_shared.netpolicy import AllowList, parse_allow_list


class SharedSettings(BaseSettings):
    """Read from the environment (and `.env`). Safe development defaults: importing needs no infrastructure."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = Field("development", description="development, test or production.")
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="Comma-separated host:port list.")
    kafka_topic_partitions: int = Field(6, ge=1, description="Partitions of each topic created by deploy/kafka.sh topics.")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (a managed or Strimzi Kafka)."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field("PLAIN", description="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, with SASL_*.")
    kafka_sasl_username: str = Field("", description="SASL user name, with SASL_*.")
    kafka_sasl_password: SecretStr = Field(SecretStr(""), description="SASL password, with SASL_* (a secret: pass it from a Kubernetes Secret).")
    kafka_ssl_cafile: str = Field("", description="CA bundle that signs the brokers' certificates, with SSL or SASL_SSL (empty: the system's).")
    kafka_ssl_certfile: str = Field("", description="Client certificate for mutual TLS (Strimzi's tls authentication); empty: none.")
    kafka_ssl_keyfile: str = Field("", description="The client certificate's private key; empty: none.")
    database_url: str = Field("sqlite:///.run/radar.db", description="SQLAlchemy URL; SQLite or PostgreSQL.")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_format: Literal["json", "console"] = Field("json", description="json (stable keys) or console (make run).")
    config_reload_seconds: float = Field(5.0, gt=0, le=10, description="How often services re-read configuration.")
    heartbeat_seconds: float = Field(5.0, gt=0, description="How often a service writes its heartbeat; down after 3 missed.")
    heartbeat_forget_seconds: float = Field(
        600.0, gt=0, description="A replica silent for this long is dropped from the heartbeat table by a live replica of its service (shown down until then)."
    )
    service_instance: str = Field(
        "", max_length=200, description="This process's name among its service's replicas (unique; the Helm chart sets the pod name); empty: host:pid."
    )
    http_host: str = Field("127.0.0.1", description="Address the health/metrics HTTP server binds to.")

    @field_validator("database_url")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # Accept the common `postgresql://` form and use psycopg 3.
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @model_validator(mode="after")
    def _forget_after_down(self) -> "SharedSettings":
        if self.heartbeat_forget_seconds <= 3 * self.heartbeat_seconds:
            raise ValueError(
                f"HEARTBEAT_FORGET_SECONDS ({self.heartbeat_forget_seconds:g}) must exceed 3 × HEARTBEAT_SECONDS ({3 * self.heartbeat_seconds:g}):"
                " a replica is down after 3 missed heartbeats and must be shown down before it is forgotten"
            )
        return self

    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None


DEVELOPMENT_FEEDBACK_SECRET = "radar-development-feedback-secret"  # the public default of earlier versions: refused everywhere
MIN_FEEDBACK_SECRET_BYTES = 32


class FeedbackSettings(BaseSettings):
    """Feedback links: written by the notifier into alerts, checked by the control plane (FEEDBACK_*)."""

    model_config = SettingsConfigDict(env_prefix="FEEDBACK_", env_file=".env", extra="ignore")

    secret: SecretStr = Field(
        SecretStr(""),
        description="HMAC key of feedback links; the notifier and the control plane must share it. Required in production (at least 32 bytes); "
        "empty elsewhere: a random one per installation, kept in FEEDBACK_SECRET_FILE.",
    )
    secret_file: str = Field(".run/feedback-secret", description="Where the installation's random feedback secret is kept (mode 600) when FEEDBACK_SECRET is empty.")
    public_url: str = Field("http://127.0.0.1:8080", description="Where people reach the web page; feedback links in alerts point there.")
    link_days: float = Field(14, gt=0, description="Days a feedback link in an alert stays valid.")

    def checked_secret(self, environment: str) -> str:
        """The key to sign and check links with, or ValueError naming FEEDBACK_SECRET: production needs one of
        its own of at least 32 bytes; elsewhere an empty one means the installation's random secret (made once,
        kept in FEEDBACK_SECRET_FILE); the public default of earlier versions is refused everywhere."""
        secret = self.secret.get_secret_value()
        if secret == DEVELOPMENT_FEEDBACK_SECRET:
            raise ValueError("FEEDBACK_SECRET: the former development default is public; unset it (a random secret is made for this installation) or set your own")
        if environment == "production" and len(secret.encode()) < MIN_FEEDBACK_SECRET_BYTES:
            raise ValueError(f"FEEDBACK_SECRET: production needs a secret of at least {MIN_FEEDBACK_SECRET_BYTES} bytes"
                             f" ({'none is set' if not secret else f'it has {len(secret.encode())}'}; make one with: openssl rand -hex 32)")
        if secret:
            return secret
        from radar_shared.local_secret import LocalSecretError, installation_secret

        try:
            return installation_secret(Path(self.secret_file))
        except LocalSecretError as error:
            raise ValueError(f"FEEDBACK_SECRET_FILE: {error}") from None


class ChannelSettings(BaseSettings):
    """Channel rules that the notifier (when it sends) and the control plane (when a channel is stored) both
    apply, so they are read from the same `NOTIFIER_*` variables by both processes."""

    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", env_file=".env", extra="ignore")

    allowed_schemes: list[str] = Field(
        default_factory=lambda: ["mailto", "mailtos", "slack", "https", "json", "jsons", "discord", "msteams", "tgram", "ntfy", "ntfys", "matrix", "matrixs"],
        description="Apprise URL schemes that channels may use (json, jsons, xml, form and apprise only by admins).",
    )
    allowed_networks: list[str] = Field(
        default_factory=list,
        description="Addresses or networks with ports (ADDRESS:PORTS) that channel servers may be on despite the address policy (your own SMTP relay or ntfy server; tests).",
    )

    @field_validator("allowed_networks")
    @classmethod
    def _entries_name_ports(cls, entries: list[str]) -> list[str]:
        parse_allow_list(entries, "NOTIFIER_ALLOWED_NETWORKS")  # AllowListError is a ValueError: the setting fails to load
        return entries

    def allow_list(self) -> AllowList:
        return parse_allow_list(self.allowed_networks, "NOTIFIER_ALLOWED_NETWORKS")


class FeedSettings(BaseSettings):
    """Feed rules that the feed-watcher (when it polls) and the control plane (when a feed is stored or
    previewed, and when the status page says a feed is stale) both apply, so both processes read them from the
    same `FEED_WATCHER_*` variables."""

    model_config = SettingsConfigDict(env_prefix="FEED_WATCHER_", env_file=".env", extra="ignore")

    stale_factor: float = Field(4.0, gt=1, description="A feed is stale after this many of its typical gaps without a new entry…")
    stale_min_seconds: float = Field(172800, gt=0, description="…and at least this long (2 days).")
    allowed_networks: list[str] = Field(
        default_factory=list,
        description="Addresses or networks with ports (ADDRESS:PORTS) that feed URLs may reach despite the SSRF rules (intranet feeds, tests); "
                    "a feed's redirects and article pages elsewhere need the feed's own entries too.",
    )

    @field_validator("allowed_networks")
    @classmethod
    def _entries_name_ports(cls, entries: list[str]) -> list[str]:
        parse_allow_list(entries, "FEED_WATCHER_ALLOWED_NETWORKS")
        return entries

    def allow_list(self) -> AllowList:
        return parse_allow_list(self.allowed_networks, "FEED_WATCHER_ALLOWED_NETWORKS")
