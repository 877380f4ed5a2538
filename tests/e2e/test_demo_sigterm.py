"""`make demo` under a supervisor: SIGTERM to its top process alone (not to its process group, as Ctrl-C sends)
stops every process it started, Kafka, the services and the demo's server, within 10 s."""

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.sinks import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.kafka, pytest.mark.e2e, pytest.mark.slow]
MARKER = "RADAR_TEST_TREE"


def marked(value: str) -> list[tuple[int, str]]:
    """Live processes (pid, command line) whose environment carries MARKER=value: everything the demo started,
    whatever became of its parent (a process re-parented to init keeps its environment)."""
    found = []
    needle = f"{MARKER}={value}".encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0") and not (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                found.append((int(proc.name), (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:200]))
        except OSError:
            continue
    return found


def test_sigterm_to_make_demo_leaves_no_process_behind(tmp_path: Path) -> None:
    marker, log = uuid.uuid4().hex, tmp_path / "demo.log"
    ports = {name: str(free_port()) for name in ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "API_HTTP_PORT", "FEED_WATCHER_HTTP_PORT", "CLASSIFIER_HTTP_PORT",
                                                  "NOTIFIER_HTTP_PORT", "DEMO_FEEDS_PORT", "DEMO_SMTP_PORT", "DEMO_SLACK_PORT")}
    env = {**os.environ, **ports, MARKER: marker, "KAFKA_RUN_DIR": str(tmp_path / "kafka"), "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
           "API_DEMO_INBOX": str(tmp_path / "inbox.jsonl"), "DEMO_TOKEN_FILE": str(tmp_path / "demo-token"), "RADAR_PYTHON": str(ROOT / ".venv" / "bin" / "python")}
    with log.open("w") as out:
        demo = subprocess.Popen([str(ROOT / "deploy" / "demo.sh")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert demo.poll() is None, f"make demo stopped:\n{log.read_text()[-4000:]}"
            try:
                if httpx.get(f"http://127.0.0.1:{ports['CLASSIFIER_HTTP_PORT']}/readyz", timeout=2).status_code == 200 and "Radar is running" in log.read_text():
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError(f"the demo did not come up in 240 s:\n{log.read_text()[-4000:]}")
        started = marked(marker)
        assert len(started) >= 6, f"the demo's tree (demo.sh, run.sh, Kafka, three services, the API, the demo server): {started}"
        demo.send_signal(signal.SIGTERM)  # the top process only, as a supervisor does
        stop = time.monotonic() + 10
        while marked(marker) and time.monotonic() < stop:
            time.sleep(0.2)
        left = marked(marker)
        assert not left, f"{len(left)} of the demo's processes still run 10 s after SIGTERM: {left}\n{log.read_text()[-3000:]}"
    finally:
        for pid, _ in marked(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        demo.wait(30)
