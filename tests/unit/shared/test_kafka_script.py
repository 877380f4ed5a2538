"""deploy/kafka.sh fails with a clear message when Java or Maven is missing."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
TOOLS = ["bash", "dirname", "awk", "sha256sum", "cut", "cat", "rm", "mkdir", "mv", "sed", "seq", "sleep", "tail"]


def path_with(tmp_path: Path, *extra: str) -> str:
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in [*TOOLS, *extra]:
        found = shutil.which(tool)
        assert found, tool
        (folder / tool).symlink_to(found)
    return str(folder)


@pytest.mark.parametrize(
    ("have", "message"),
    [((), "java is not installed or not on PATH"), (("java",), "mvn is not installed or not on PATH")],
)
def test_missing_tool_is_named(tmp_path: Path, have: tuple[str, ...], message: str) -> None:
    env = {**os.environ, "PATH": path_with(tmp_path, *have), "KAFKA_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([str(ROOT / "deploy" / "kafka.sh"), "fetch"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert message in result.stderr


def test_usage_is_printed_for_an_unknown_command() -> None:
    result = subprocess.run([str(ROOT / "deploy" / "kafka.sh"), "frobnicate"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "deploy/kafka.sh start" in result.stderr


@pytest.mark.parametrize(("args", "message"), [(["cluster"], "deploy/kafka.sh cluster kill NODE"), (["cluster", "kill", "4"], "NODE must be 1, 2 or 3")])
def test_cluster_mode_explains_its_usage(args: list[str], message: str) -> None:
    result = subprocess.run([str(ROOT / "deploy" / "kafka.sh"), *args], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and message in result.stderr


def test_cluster_ports_come_from_the_environment() -> None:
    env = {**os.environ, "KAFKA_CLUSTER_PORTS": "19092:19093,19094:19095,19096:19097"}
    result = subprocess.run([str(ROOT / "deploy" / "kafka.sh"), "cluster", "bootstrap"], env=env, capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"
