"""The mail server is down for 30 s while alerts arrive, then comes back: every alert arrives, once.

On the real broker, with the notifier as a process; alerts wait in the delivery log, not in the partition.
"""

import asyncio
import time
from pathlib import Path

import pytest

from radar_api import service
from tests.support.events import produce_classified
from tests.support.notifier import local_rules
from tests.support.services import ServiceProcess, service_env, wait_for
from tests.support.sinks import SMTPSink, free_port

pytestmark = pytest.mark.kafka


def test_smtp_down_for_30_seconds_then_back(fresh_kafka, sqlite_url: str, tmp_path: Path) -> None:
    port = free_port()
    for i in range(3):
        service.add_subscription(sqlite_url, f"mailto://127.0.0.1:{port}?to=desk{i}@example.org&from=radar@example.org", ["dprk-sanctions"], [], 0.0, local_rules("mailto"))
    # Back-off 1, 2, 4, 8, 10, 10… s: the 8-attempt budget lasts longer than the outage, as the defaults (2 s … 15 min) do.
    env = service_env(sqlite_url, fresh_kafka.bootstrap, NOTIFIER_RETRY_BASE_SECONDS="1", NOTIFIER_RETRY_MAX_SECONDS="10", NOTIFIER_RETRY_POLL_SECONDS="0.5")
    notifier = ServiceProcess("notifier", env, tmp_path / "notifier.log").start()
    smtp = SMTPSink(port=port)
    try:
        down_since = time.monotonic()
        asyncio.run(produce_classified(fresh_kafka.bootstrap, 5))
        wait_for(lambda: len(service.list_deliveries(sqlite_url)) == 15, 30, "15 deliveries recorded")
        time.sleep(max(0.0, 30 - (time.monotonic() - down_since)))  # the mail server stays down for 30 s
        rows = service.list_deliveries(sqlite_url)
        assert {r.status for r in rows} <= {"pending", "sending"} and all(r.attempts >= 2 for r in rows if r.status == "pending")
        assert all("Connection error" in (r.last_error or "") for r in rows if r.status == "pending")
        smtp.start()
        wait_for(lambda: len(smtp.snapshot()) >= 15, 60, "15 emails after the server came back")
        time.sleep(3)
        received = sorted((m.rcpt_tos[0], m.subject) for m in smtp.snapshot())
        assert len(received) == 15 and len(set(received)) == 15, received
        assert {r.status for r in service.list_deliveries(sqlite_url)} == {"sent"}
    finally:
        notifier.stop()
        smtp.stop()
