"""docker-compose.yml cannot run here (no Docker engine); check what can be checked without one."""

import tomllib
from pathlib import Path

import pytest
import yaml

from radar_api.config import ApiSettings
from radar_classifier.config import ClassifierSettings
from radar_feed_watcher.config import FeedWatcherSettings
from radar_notifier.config import NotifierSettings
from radar_shared.settings import FeedbackSettings, SharedSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = {"feed-watcher": FeedWatcherSettings, "classifier": ClassifierSettings, "notifier": NotifierSettings, "api": ApiSettings}


def known_variables() -> set[str]:
    names = {f.upper() for f in SharedSettings.model_fields}
    for cls in (*SERVICES.values(), FeedbackSettings):  # feedback links: the notifier writes them, the API reads them
        prefix = cls.model_config["env_prefix"]
        names |= {prefix + f.upper() for f in cls.model_fields}
    return names


def scripts() -> set[str]:
    out: set[str] = set()
    for path in (ROOT / "services").glob("*/pyproject.toml"):
        out |= set(tomllib.loads(path.read_text())["project"].get("scripts", {}))
    return out


def test_infrastructure_services_have_health_checks() -> None:
    for name in ("kafka", "postgres", "mailpit", *SERVICES):
        assert "healthcheck" in COMPOSE["services"][name], name
    assert COMPOSE["services"]["kafka"]["image"].startswith("apache/kafka:4.")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_radar_services_match_the_code(name: str) -> None:
    service = COMPOSE["services"][name]
    assert service["command"][0] in scripts()
    env = service["environment"]
    unknown = set(env) - known_variables()
    assert not unknown, f"{name}: variables the code does not read: {unknown}"
    port_var = SERVICES[name].model_config["env_prefix"] + "HTTP_PORT"
    port = env[port_var]
    assert any(p.endswith(f":{port}") for p in service["ports"])
    assert f":{port}/readyz" in " ".join(service["healthcheck"]["test"])
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["DATABASE_URL"].startswith("postgresql")
    assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_build_and_one_shot_jobs() -> None:
    assert (ROOT / COMPOSE["services"]["migrate"]["build"]["dockerfile"]).exists()
    assert "radar db upgrade" in " ".join(COMPOSE["services"]["migrate"]["command"])
    topics = COMPOSE["services"]["kafka-topics"]["command"]
    assert (ROOT / topics[1]).exists() and "create-topics" in topics
