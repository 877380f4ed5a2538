"""Fixtures: a migrated throwaway database, and a real Kafka broker started by the project's own script."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from radar_shared.db import get_engine, upgrade
from tests.support.sinks import free_port

ROOT = Path(__file__).resolve().parents[1]
KAFKA_SH = ROOT / "deploy" / "kafka.sh"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'radar.db'}"
    upgrade(url)
    yield url
    get_engine(url).dispose()


class KafkaBroker:
    """A single-node Kafka started by deploy/kafka.sh on free ports, with its own data folder."""

    def __init__(self, run_dir: Path) -> None:
        self.port = free_port()
        self.run_dir = run_dir
        self.env = {**os.environ, "KAFKA_RUN_DIR": str(run_dir), "KAFKA_CONTROLLER_PORT": str(free_port()), "RADAR_PYTHON": sys.executable}

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self, *args: str) -> None:
        subprocess.run([str(KAFKA_SH), *args, str(self.port)], env=self.env, check=True, timeout=600)

    def start(self) -> "KafkaBroker":
        self._run("start")
        self._run("topics")
        return self

    def stop(self) -> None:
        self._run("stop")
        shutil.rmtree(self.run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """The suite's Kafka. Tests that need a broker of their own use `fresh_kafka`."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka")).start()
    yield broker
    broker.stop()


@pytest.fixture
def fresh_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka")).start()
    yield broker
    broker.stop()
