"""Faults on the real broker, with the services as processes: never stuck, never silent.

- A notifier started while Kafka is down waits (its /healthz says so), comes up when Kafka does, and delivers.
- While Kafka is down, alerts still go out; their delivered events wait in the outbox, survive a SIGKILL,
  and are published once Kafka is back: each delivery's event exactly once.
- A SIGKILLed feed-watcher leaves no parser process behind, restart after restart.
"""

import asyncio
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import col, select

from radar_api import service
from radar_shared.db import session_scope
from radar_shared.models import AlertOutbox
from radar_shared.topics import ALERTS_DELIVERED
from tests.support.events import produce_classified, read_events
from tests.support.feeds import rss
from tests.support.notifier import local_rules
from tests.support.services import ServiceProcess, service_env, wait_for
from tests.support.sinks import FeedServer, SMTPSink, free_port

pytestmark = pytest.mark.kafka


def subscribe_mail(db: str, port: int, desks: int) -> None:
    for i in range(desks):
        service.add_subscription(db, f"mailto://127.0.0.1:{port}?to=desk{i}@example.org&from=radar@example.org", ["dprk-sanctions"], [], 0.0, local_rules("mailto"))


def delivered_events(bootstrap: str) -> Counter:
    """How many alerts.delivered.v1 events each delivery has."""
    return Counter(e["delivery_id"] for e in asyncio.run(read_events(bootstrap, ALERTS_DELIVERED)))


def unpublished_events(db: str) -> int:
    with session_scope(db) as s:
        return len(s.exec(select(AlertOutbox.id).where(col(AlertOutbox.published_at).is_(None))).all())


@contextmanager
def cleanup(tmp_path: Path, *stops: Callable[[], object]) -> Iterator[list[ServiceProcess]]:
    """Yields a list for the test's service processes. On a failure each service's log is printed (CI shows only
    that); in any case the processes still running and the `stops` are stopped."""
    procs: list[ServiceProcess] = []
    try:
        yield procs
    except BaseException:
        for log in sorted(tmp_path.glob("*.log")):
            print(f"----- {log.name} -----\n{log.read_text(errors='replace')[-5000:]}")
        raise
    finally:
        for proc in procs:
            if proc.proc and proc.proc.poll() is None:
                proc.stop()
        for stop in stops:
            stop()


def test_a_notifier_started_while_kafka_is_down_comes_up_and_delivers_every_alert_once(kafka_later, sqlite_url: str, tmp_path: Path) -> None:
    smtp = SMTPSink().start()
    subscribe_mail(sqlite_url, smtp.port, 3)
    notifier = ServiceProcess("notifier", service_env(sqlite_url, kafka_later.bootstrap, NOTIFIER_RETRY_POLL_SECONDS="0.5"), tmp_path / "notifier.log")
    with cleanup(tmp_path, smtp.stop) as procs:
        procs.append(notifier.launch())
        wait_for(lambda: notifier.health() == 503, 30, "/healthz to answer 503 while Kafka is down")
        kafka_later.start()  # Kafka and its topics come up after the service
        assert notifier.proc.poll() is None, "the notifier gave up instead of waiting for Kafka"
        notifier.wait_ready(120)
        assert notifier.health() == 200
        asyncio.run(produce_classified(kafka_later.bootstrap, 5, "late"))
        wait_for(lambda: len(smtp.snapshot()) >= 15, 60, "15 emails")
        wait_for(lambda: sum(delivered_events(kafka_later.bootstrap).values()) >= 15, 60, "15 delivered events")
        time.sleep(2)  # nothing more arrives
        received = [(m.rcpt_tos[0], m.subject) for m in smtp.snapshot()]
        assert len(received) == 15 and len(set(received)) == 15, received
        events = delivered_events(kafka_later.bootstrap)
        assert len(events) == 15 and set(events.values()) == {1}, events
        assert {d.status for d in service.list_deliveries(sqlite_url)} == {"sent"}
        assert "Kafka is not ready; starting again" in (tmp_path / "notifier.log").read_text()


def test_while_kafka_is_down_alerts_go_out_and_their_events_survive_a_kill(fresh_kafka, sqlite_url: str, tmp_path: Path) -> None:
    port = free_port()
    subscribe_mail(sqlite_url, port, 3)
    env = service_env(sqlite_url, fresh_kafka.bootstrap, NOTIFIER_RETRY_BASE_SECONDS="1", NOTIFIER_RETRY_MAX_SECONDS="3",
                      NOTIFIER_RETRY_POLL_SECONDS="0.3", NOTIFIER_SENDING_STALE_SECONDS="5")
    smtp = SMTPSink(port=port)
    with cleanup(tmp_path, smtp.stop) as procs:
        notifier = ServiceProcess("notifier", env, tmp_path / "notifier.log").start()
        procs.append(notifier)
        asyncio.run(produce_classified(fresh_kafka.bootstrap, 5, "outage"))
        wait_for(lambda: len(service.list_deliveries(sqlite_url)) == 15, 30, "15 deliveries waiting for the mail server")
        fresh_kafka.pause()  # the broker goes down; then the mail server comes up
        smtp.start()
        wait_for(lambda: len(smtp.snapshot()) >= 15, 30, "15 emails while Kafka is down")
        wait_for(lambda: {d.status for d in service.list_deliveries(sqlite_url)} == {"sent"}, 15, "every delivery marked sent")
        assert unpublished_events(sqlite_url) == 15, "each sent delivery's event waits in the outbox"
        assert notifier.stop(signal.SIGKILL) == -signal.SIGKILL  # dies before any event could be published
        fresh_kafka.resume()
        procs.append(ServiceProcess("notifier", env, tmp_path / "notifier-2.log").start(120))
        wait_for(lambda: unpublished_events(sqlite_url) == 0, 60, "the outbox to be published")
        events = delivered_events(fresh_kafka.bootstrap)
        delivery_ids = {d.id for d in service.list_deliveries(sqlite_url)}
        assert set(events) == delivery_ids and set(events.values()) == {1}, events
        assert len(smtp.snapshot()) == 15, "nothing was sent twice"


def descendants(pid: int) -> set[int]:
    """Live (not zombie) processes below `pid`."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def test_a_sigkilled_feed_watcher_leaves_no_parser_process_behind(kafka, sqlite_url: str, tmp_path: Path) -> None:
    feeds = FeedServer().start()
    feeds.feeds["/feed.xml"] = rss([{"title": f"Story {n}", "text": "t", "link": f"https://news.example/{n}"} for n in range(3)])
    service.add_feed(sqlite_url, feeds.url("/feed.xml"), "feed", allowed_networks=["127.0.0.0/8:1024-65535"])
    env = service_env(sqlite_url, kafka.bootstrap, FEED_WATCHER_POLL_INTERVAL_SECONDS="1", FEED_WATCHER_MIN_INTERVAL_SECONDS="1", FEED_WATCHER_PARSE_WORKERS="2",
                      FEED_WATCHER_LEASE_SECONDS="3")  # the killed watcher's lease expires soon
    with cleanup(tmp_path, feeds.stop) as procs:
        left: set[int] = set()
        for run in range(2):  # a restart must not leak either
            feeds.feeds["/feed.xml"] = rss([{"title": f"Story {run} {n}", "text": "t", "link": f"https://news.example/{run}/{n}"} for n in range(3)])
            watcher = ServiceProcess("feed-watcher", env, tmp_path / f"feed-watcher-{run}.log").start()
            procs.append(watcher)
            wait_for(lambda w=watcher: len(descendants(w.proc.pid)) >= 3, 60, "the parser pool: resource tracker, forkserver and a worker")
            children = descendants(watcher.proc.pid)
            watcher.stop(signal.SIGKILL)
            wait_for(lambda gone=children: not alive(gone), 15, "the parser processes to die with the feed-watcher")
            left |= children
        assert not alive(left)
