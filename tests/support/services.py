"""Run Radar's services as real processes, as `make run` does."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.sinks import free_port

MODULES = {"feed-watcher": "radar_feed_watcher", "classifier": "radar_classifier", "notifier": "radar_notifier", "api": "radar_api"}
PORT_VARS = {"feed-watcher": "FEED_WATCHER_HTTP_PORT", "classifier": "CLASSIFIER_HTTP_PORT", "notifier": "NOTIFIER_HTTP_PORT", "api": "API_HTTP_PORT"}


@dataclass
class ServiceProcess:
    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "ServiceProcess":
        return self.launch().wait_ready(timeout)

    def launch(self) -> "ServiceProcess":
        """Start the process without waiting for it to be ready."""
        env = {**self.env, PORT_VARS[self.name]: str(self.port)}
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", MODULES[self.name]], env=env, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def health(self) -> int | None:
        """The status of /healthz, or None while nothing answers."""
        try:
            return httpx.get(f"{self.url}/healthz", timeout=5).status_code
        except httpx.HTTPError:
            return None

    def wait_ready(self, timeout: float = 60) -> "ServiceProcess":
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} was not ready in {timeout}s; log:\n{self.log_path.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=timeout)
        self._log.close()
        return code


def service_env(database_url: str, bootstrap: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "LOG_FORMAT": "console",
        "CONFIG_RELOAD_SECONDS": "1",
        "HEARTBEAT_SECONDS": "1",
        "FEED_WATCHER_TICK_SECONDS": "0.5",
        "FEED_WATCHER_ALLOWED_NETWORKS": '["127.0.0.0/8:1024-65535"]',
        "NOTIFIER_ALLOWED_NETWORKS": '["127.0.0.0/8:1024-65535"]',  # the SMTP server and Slack stand-in listen on 127.0.0.1
        **extra,
    }


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Poll `predicate` until it is true, or fail naming what did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
