"""Two notifier processes on one PostgreSQL database and a real broker: both write their heartbeat without error,
both show with the partitions their consumers hold; a SIGKILLed one is shown down, its partitions move to the
other, and the live one forgets it after HEARTBEAT_FORGET_SECONDS."""

import signal
from pathlib import Path

import pytest

from radar_api import service
from radar_shared.topics import ARTICLES_CLASSIFIED
from tests.support.services import ServiceProcess, service_env, wait_for

pytestmark = pytest.mark.kafka
ALL = [f"{ARTICLES_CLASSIFIED}:{p}" for p in range(6)]


def notifier_replicas(db: str) -> dict[str, tuple[str, list[str] | None]]:
    notifier = next(s for s in service.replicas(db, 1.0) if s.service == "notifier")
    return {i.instance: (i.health, i.partitions) for i in notifier.instances}


def test_two_notifiers_on_postgresql_show_apart_and_a_killed_one_goes_down_then_away(kafka, postgresql_url: str, tmp_path: Path) -> None:
    env = service_env(postgresql_url, kafka.bootstrap, HEARTBEAT_FORGET_SECONDS="8")
    procs = [ServiceProcess("notifier", {**env, "SERVICE_INSTANCE": f"notifier-{n}"}, tmp_path / f"notifier-{n}.log") for n in "ab"]
    try:
        for p in procs:
            p.launch()  # they start together, as two pods of one Deployment
        for p in procs:
            p.wait_ready()

        def split() -> bool:
            seen = notifier_replicas(postgresql_url)
            held = sorted(part for _, parts in seen.values() for part in parts or [])
            return set(seen) == {"notifier-a", "notifier-b"} and all(h == "up" and parts for h, parts in seen.values()) and held == ALL

        wait_for(split, 60, "both notifiers up, sharing the six partitions")
        procs[1].stop(signal.SIGKILL)
        wait_for(lambda: notifier_replicas(postgresql_url).get("notifier-b", ("", None))[0] == "DOWN", 30, "the killed notifier shown down")
        wait_for(lambda: notifier_replicas(postgresql_url) == {"notifier-a": ("up", ALL)}, 90, "its partitions taken over and the killed one forgotten")
    finally:
        for p in procs:
            if p.proc is not None and p.proc.poll() is None:
                p.stop()
    for n in "ab":
        assert "heartbeat write failed" not in (tmp_path / f"notifier-{n}.log").read_text()
