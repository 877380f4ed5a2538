"""`make demo` offline: in a network namespace of its own, with nothing but loopback, a new user's first alerts
reach the demo's mail server and Slack stand-in within a minute of the services coming up."""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.sinks import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.kafka, pytest.mark.e2e]


def offline(command: str) -> list[str]:
    """The command in a new network namespace with only loopback (as root; otherwise in a user namespace too)."""
    assert shutil.which("unshare") and shutil.which("ip"), "make demo's offline test needs unshare (util-linux) and ip (iproute2)"
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return ["unshare", *user, "--net", "bash", "-c", f"ip link set lo up && exec {command}"]


def read_inbox(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] if path.exists() else []


def test_make_demo_delivers_alerts_with_no_network(tmp_path: Path) -> None:
    inbox, log = tmp_path / "inbox.jsonl", tmp_path / "demo.log"
    ports = {name: str(free_port()) for name in ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "API_HTTP_PORT", "FEED_WATCHER_HTTP_PORT", "CLASSIFIER_HTTP_PORT",
                                                  "NOTIFIER_HTTP_PORT", "DEMO_FEEDS_PORT", "DEMO_SMTP_PORT", "DEMO_SLACK_PORT")}
    env = {**os.environ, **ports, "KAFKA_RUN_DIR": str(tmp_path / "kafka"), "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}", "API_DEMO_INBOX": str(inbox),
           "DEMO_TOKEN_FILE": str(tmp_path / "demo-token"), "DEMO_EVERY_SECONDS": "2", "RADAR_PYTHON": str(ROOT / ".venv" / "bin" / "python")}
    with log.open("w") as out:
        demo = subprocess.Popen(offline(str(ROOT / "deploy" / "demo.sh")), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while "Radar is running" not in log.read_text() and time.monotonic() < deadline:
            assert demo.poll() is None, f"make demo stopped:\n{log.read_text()[-4000:]}"
            time.sleep(0.5)
        assert "Radar is running" in log.read_text(), f"the services did not come up:\n{log.read_text()[-4000:]}"
        up = time.monotonic()
        while time.monotonic() - up < 60:
            channels = {m["channel"] for m in read_inbox(inbox)}
            if {"email", "slack"} <= channels:
                break
            time.sleep(1)
        messages = read_inbox(inbox)
        assert {"email", "slack"} <= {m["channel"] for m in messages}, f"no email and Slack alert within 60 s:\n{messages}\n{log.read_text()[-4000:]}"
        email = next(m for m in messages if m["channel"] == "email")
        assert email["to"] == "analyst@demo.invalid" and email["subject"].startswith("[Radar] ") and "score" in email["body"], "with its evidence"
        assert any("Rich Glory" in m["body"] for m in messages if m["channel"] == "slack"), "the watch's alert went to Slack"
        assert (tmp_path / "demo-token").read_text().startswith("radar_")
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            demo.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(10)
