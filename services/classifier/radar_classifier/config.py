"""Classifier settings (`CLASSIFIER_*`)."""

import math
import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE = "classifier"


def default_workers(cpu_max: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """One worker a core beyond the first (the service's own process classifies too), at most 7. The cores are
    those the process may run on, within its cgroup's CPU quota (a container limited to 1.5 CPUs has 2)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = cpu_max.read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass  # no cgroup v2 CPU controller here: the affinity says it
    return min(cores, 8) - 1


class ClassifierSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLASSIFIER_", env_file=".env", extra="ignore")

    http_port: int = Field(8082, description="/healthz, /readyz, /metrics, /asyncapi.")
    batch_size: int = Field(100, ge=1, le=10_000, description="Articles read from Kafka at most per batch; their offsets are committed after all their events are acknowledged.")
    max_chars: int = Field(100_000, ge=1_000, description="Classify at most this many characters of an article's text; a tag says where it stopped.")
    workers: int = Field(
        default_factory=default_workers, ge=0, le=64, json_schema_extra={"documented_default": "cores - 1"},
        description="Worker processes that classify beside the service's own (each with its own copy of the rules, ~85 MB); 0: the service classifies alone. Default: one a core beyond the first.",
    )
