"""Fixtures: a migrated throwaway database, and a real Kafka broker started by the project's own script."""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from radar_shared.db import get_engine, upgrade
from tests.support.sinks import free_port

ROOT = Path(__file__).resolve().parents[1]
KAFKA_SH = ROOT / "deploy" / "kafka.sh"


POSTGRES_SH = ROOT / "deploy" / "postgres.sh"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server started by deploy/postgres.sh; yields its base URL (database `radar`)."""
    folder = Path(tempfile.mkdtemp(prefix="radar-pg-"))
    folder.chmod(0o755)  # the server runs as user postgres
    port = free_port()
    url = subprocess.run([str(POSTGRES_SH), "start", str(folder / "data"), str(port)], check=True, capture_output=True, text=True, timeout=120).stdout.strip()
    yield url
    subprocess.run([str(POSTGRES_SH), "stop", str(folder / "data")], check=False, timeout=60)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'radar.db'}"
    upgrade(url)
    yield url
    get_engine(url).dispose()


@pytest.fixture
def postgresql_url(postgres_server: str) -> Iterator[str]:
    """A fresh, migrated database on the session's PostgreSQL server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_server.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs on SQLite (the default) and on PostgreSQL (compose and production)."""
    return request.getfixturevalue(f"{request.param}_url")


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

    def pause(self) -> None:
        """Stop the broker and keep its data: resume() brings the same cluster back (a broker outage)."""
        self._run("stop")

    def resume(self) -> None:
        self._run("start")


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """The suite's Kafka. Tests that need a broker of their own use `fresh_kafka`."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka")).start()
    yield broker
    broker.stop()


@pytest.fixture
def kafka_later(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    """A broker of its own, on reserved ports, that the test starts (with topics) when it wants: Kafka is down until then."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka"))
    yield broker
    broker.stop()


@pytest.fixture
def fresh_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka")).start()
    yield broker
    broker.stop()


@pytest.fixture
def outside_connections(monkeypatch: pytest.MonkeyPatch) -> list:
    """Connections attempted to anything but loopback, refused before they leave: a test that exercises the
    address policy asserts this list stays empty (only 127.0.0.0/8 and ::1 may be reached on test machines)."""
    import ipaddress
    import socket

    attempts: list = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def loopback(address: object) -> bool:
        try:
            return ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback  # type: ignore[index]
        except (ValueError, TypeError, IndexError):
            return True  # a Unix socket

    def connect(self: socket.socket, address: object) -> None:
        if not loopback(address):
            attempts.append(address)
            raise ConnectionRefusedError(f"test machine: no connections outside loopback ({address})")
        real_connect(self, address)  # type: ignore[arg-type]

    def connect_ex(self: socket.socket, address: object) -> int:
        if not loopback(address):
            attempts.append(address)
            return 111
        return real_connect_ex(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return attempts


def listening_port() -> int:
    """A free port below the ephemeral range: a broker's port from free_port() (an ephemeral one) can be taken by
    another node's outgoing connection before that broker binds it."""
    import random
    import socket

    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]) if Path("/proc/sys/net/ipv4/ip_local_port_range").exists() else 32768
    while True:
        port = random.randrange(20000, low)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


class KafkaCluster:
    """Three KRaft broker-controllers started by `deploy/kafka.sh cluster` on free ports, with their own data."""

    def __init__(self, run_dir: Path) -> None:
        self.ports = [(listening_port(), listening_port()) for _ in range(3)]
        self.run_dir = run_dir
        self.env = {**os.environ, "KAFKA_RUN_DIR": str(run_dir), "RADAR_PYTHON": sys.executable,
                    "KAFKA_CLUSTER_PORTS": ",".join(f"{b}:{c}" for b, c in self.ports)}

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{b}" for b, _ in self.ports)

    def run(self, *args: str) -> str:
        return subprocess.run([str(KAFKA_SH), "cluster", *args], env=self.env, check=True, timeout=600, stdout=subprocess.PIPE, text=True).stdout

    def start(self) -> "KafkaCluster":
        self.run("start")
        self.run("topics")
        return self

    def kill(self, node: int) -> None:
        """SIGKILL one node: a crash, no controlled shutdown."""
        self.run("kill", str(node))

    def restart(self, node: int) -> None:
        self.run("restart", str(node))

    def leaders(self, topic: str) -> dict[int, int]:
        """Partitions of `topic` that each node leads, busiest first."""
        return {int(node): int(count) for node, count in (line.split() for line in self.run("leaders", topic).splitlines())}

    def stop(self) -> None:
        self.run("stop")
        shutil.rmtree(self.run_dir, ignore_errors=True)


@pytest.fixture
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    cluster = KafkaCluster(tmp_path_factory.mktemp("kafka-cluster"))
    try:
        yield cluster.start()
    finally:
        cluster.stop()  # also the nodes of a start that failed half-way
