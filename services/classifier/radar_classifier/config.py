"""Classifier settings (`CLASSIFIER_*`)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE = "classifier"


class ClassifierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLASSIFIER_", env_file=".env", extra="ignore")

    http_port: int = Field(8082, description="/healthz, /readyz, /metrics, /asyncapi.")
