"""Classifier settings (`CLASSIFIER_*`)."""

from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from radar_shared.settings import SharedSettings

SERVICE = "classifier"


class ClassifierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLASSIFIER_", env_file=".env", extra="ignore")

    http_port: int = Field(8082, description="/healthz, /readyz, /metrics, /asyncapi.")
    batch_size: int = Field(100, ge=1, le=10_000, description="Articles read from Kafka at most per batch; their offsets are committed after all their events are acknowledged.")
    max_chars: int = Field(100_000, ge=1_000, description="Classify at most this many characters of an article's text; a tag says where it stopped.")
    workers: int = Field(
        0, ge=0, le=64,
        description="Worker processes that classify beside the service's own, each with its own copy of the rules (~85 MB); for a machine with cores to spare (see README, Performance).",
    )


@dataclass(frozen=True)
class ClassifierConfig:
    """The classifier process's one settings object: `__main__` builds it once and passes it down; nothing else
    reads the environment."""

    shared: SharedSettings
    service: ClassifierSettings

    @classmethod
    def from_environment(cls) -> "ClassifierConfig":
        return cls(SharedSettings(), ClassifierSettings())
