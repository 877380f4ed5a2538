"""Scale-out on a real three-broker cluster: two feed-watchers, two classifiers and two notifiers on PostgreSQL,
and the API, ≥ 500 alerts to an SMTP server and a Slack stand-in. Articles enter as a real deployment's do: new
entries appear in RSS feeds that the feed-watchers poll. Meanwhile the test

1. SIGKILLs the broker that leads the most partitions of articles.classified.v1, and times the recovery: from the
   kill to the first alert at a sink for an article that appeared in a feed after it;
2. restarts that broker;
3. SIGKILLs one classifier and one notifier replica, and starts replacements (the consumer groups rebalance);
4. roll-restarts every service, one at a time (SIGTERM, start, ready): feed-watchers, classifiers, notifiers, API.

Counted at the sinks: nothing lost; a (subscription, story) pair arrives twice only if its delivery was in the
documented window (claimed 'sending' when a notifier stopped), and those are counted; every sent delivery has its
alerts.delivered.v1 event. The test prints the figures.
"""

import asyncio
import collections
import random
import re
import signal
import threading
import time
from pathlib import Path

import pytest

from radar_api import service
from radar_shared.db import session_scope
from radar_shared.models import Delivery
from radar_shared.topics import ALERTS_DELIVERED, ARTICLES_CLASSIFIED
from tests.support.events import read_events
from tests.support.feeds import rss
from tests.support.notifier import local_rules
from tests.support.services import ServiceProcess, service_env, wait_for
from tests.support.sinks import FeedServer, HTTPSink, SMTPSink

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
EMAILS, SLACKS, MIN_ARTICLES, FEEDS = 5, 5, 50, 5  # 10 subscriptions × ≥ 50 articles ≥ 500 alerts
TITLE = re.compile(r"Fault story (\d+)")
FILLER = [f"{a}{b}{c}" for a in ("kor", "vel", "mar", "dun", "pel", "sor", "tam", "rik") for b in ("ast", "obe", "ine", "ula", "ekt", "orn") for c in ("", "i", "o", "en", "ar")]


def entry(n: int) -> dict:
    """Article n: random filler keeps each one's fingerprint far from the others' (they are distinct stories),
    and the title and the last sentence are what the dprk-sanctions topic is there to find."""
    rng = random.Random(n)
    filler = " ".join(rng.choice(FILLER) for _ in range(100))
    return {
        "title": f"Fault story {n}: {' '.join(rng.sample(FILLER, 4))} tanker seized for smuggling oil to North Korea",
        "link": f"https://news.example/fault/{n}",
        "text": f"{filler}. It broke United Nations sanctions on North Korea.",
    }


class Newsroom(threading.Thread):
    """Publishes one new entry a `pause` in one of FEEDS feeds (round robin), until stopped and at least
    MIN_ARTICLES are out; each feed shows its latest 30 entries, as news sites do."""

    def __init__(self, server: FeedServer, pause: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.server, self.pause = server, pause
        self.produced = 0
        self.stopping = threading.Event()
        self.entries: dict[int, list[dict]] = {f: [] for f in range(FEEDS)}
        for f in range(FEEDS):
            server.feeds[f"/f{f}.xml"] = rss([])

    def run(self) -> None:
        n = 0
        while n < MIN_ARTICLES or not self.stopping.is_set():
            feed = self.entries[n % FEEDS]
            feed.insert(0, entry(n))
            del feed[30:]
            self.server.feeds[f"/f{n % FEEDS}.xml"] = rss(feed, title=f"Fault feed {n % FEEDS}")
            n += 1
            self.produced = n
            time.sleep(self.pause)


def rss_mb(proc: ServiceProcess) -> int:
    """Resident memory of a service process, for the chart's resource requests."""
    status = Path(f"/proc/{proc.proc.pid}/status").read_text()  # type: ignore[union-attr]
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) // 1024


def in_flight(db: str) -> set[tuple[int, str]]:
    with session_scope(db) as s:
        return {(d.subscription_id, f"fault{TITLE.search(d.title).group(1)}") for d in s.query(Delivery).filter(Delivery.status == "sending").all()}  # type: ignore[union-attr]


def test_three_brokers_two_replicas_each_lose_nothing_through_kills_and_a_rolling_restart(kafka_cluster, postgresql_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    db = postgresql_url
    smtp, slack, feeds = SMTPSink().start(), HTTPSink().start(), FeedServer().start()
    subs: dict[str, int] = {}
    rules = local_rules("mailto", "slack")
    for i in range(EMAILS):
        url = f"mailto://127.0.0.1:{smtp.port}?to=desk{i}@example.com&from=radar@example.com"
        subs[f"desk{i}@example.com"] = service.add_subscription(db, url, ["dprk-sanctions"], [], 0.0, rules).id  # type: ignore[assignment]
    for i in range(SLACKS):
        url = f"slack://T{i:08d}/B{i:08d}/faultwebhooktoken{i:08d}"
        subs[f"/services/T{i:08d}/B{i:08d}/faultwebhooktoken{i:08d}"] = service.add_subscription(db, url, ["dprk-sanctions"], [], 0.0, rules).id  # type: ignore[assignment]
    newsroom = Newsroom(feeds)
    for f in range(FEEDS):
        service.add_feed(db, feeds.url(f"/f{f}.xml"), allowed_networks=["127.0.0.0/8:1024-65535"])
    env = service_env(db, kafka_cluster.bootstrap, NOTIFIER_SLACK_WEBHOOK_URL=f"{slack.url}/services", NOTIFIER_SENDING_STALE_SECONDS="10",
                      NOTIFIER_RETRY_POLL_SECONDS="0.3", FEED_WATCHER_POLL_INTERVAL_SECONDS="1", FEED_WATCHER_MIN_INTERVAL_SECONDS="1",
                      FEED_WATCHER_TICK_SECONDS="0.2", FEED_WATCHER_LEASE_SECONDS="3")
    runs = collections.Counter()

    def spawn(name: str) -> ServiceProcess:
        runs[name] += 1
        return ServiceProcess(name, env, tmp_path / f"{name}-{runs[name]}.log").launch()

    services = {name: [spawn(name) for _ in range(1 if name == "api" else 2)] for name in ("feed-watcher", "classifier", "notifier", "api")}
    window: set[tuple[int, str]] = set()

    def arrivals() -> collections.Counter:
        seen: collections.Counter = collections.Counter()
        for mail in smtp.snapshot():
            for rcpt in mail.rcpt_tos:
                seen[(subs[rcpt], f"fault{TITLE.search(mail.subject).group(1)}")] += 1  # type: ignore[union-attr]
        for post in slack.snapshot():
            seen[(subs[post["path"]], f"fault{TITLE.search(str(post['json'])).group(1)}")] += 1  # type: ignore[union-attr]
        return seen

    def replace(name: str, index: int, sig: int) -> None:
        """Stop one replica with `sig` and start another in its place; a stopped notifier's claims join the window."""
        old = services[name][index]
        old.stop(sig)
        if name == "notifier":
            window.update(in_flight(db))
        services[name][index] = spawn(name).wait_ready(120)

    try:
        for proc in [p for group in services.values() for p in group]:
            proc.wait_ready(120)
        newsroom.start()
        wait_for(lambda: len(arrivals()) >= 100, 120, "the first 100 alerts")

        # 1. The broker that leads the most partitions of the busiest topic dies.
        leaders = kafka_cluster.leaders(ARTICLES_CLASSIFIED)
        victim = next(iter(leaders))
        produced_before = newsroom.produced
        killed_at = time.monotonic()
        kafka_cluster.kill(victim)
        wait_for(lambda: any(int(article.removeprefix("fault")) >= produced_before for _, article in arrivals()), 120,
                 "an alert for an article produced after the leader's death")
        recovery = time.monotonic() - killed_at

        # 2. It comes back.
        kafka_cluster.restart(victim)

        # 3. A classifier and a notifier replica crash; replacements join the groups.
        replace("classifier", 0, signal.SIGKILL)
        replace("notifier", 0, signal.SIGKILL)

        # 4. Every service restarts in turn, as a rolling deployment does.
        for name, group in services.items():
            for index in range(len(group)):
                replace(name, index, signal.SIGTERM)

        newsroom.stopping.set()
        newsroom.join(120)
        assert not newsroom.is_alive()
        articles = newsroom.produced
        expected = {(sub, f"fault{n}") for sub in subs.values() for n in range(articles)}
        deadline = time.monotonic() + 180
        while not expected <= set(arrivals()):
            assert time.monotonic() < deadline, f"lost after 180 s: {len(expected - set(arrivals()))}, e.g. {sorted(expected - set(arrivals()))[:5]}"
            time.sleep(0.5)
        time.sleep(12)  # longer than the stale claim (10 s): anything left to resend has been resent
        seen = arrivals()
        rss = {f"{p.name}-{i}": rss_mb(p) for name, group in services.items() for i, p in enumerate(group)}
        twice = {pair for pair, count in seen.items() if count > 1}
        with session_scope(db) as s:
            deliveries = {d.id: d.status for d in s.query(Delivery).all()}
        events = collections.Counter(e["delivery_id"] for e in asyncio.run(read_events(kafka_cluster.bootstrap, ALERTS_DELIVERED)))
        print(
            f"\ncluster fault test: {articles} articles, {len(expected)} alerts expected, {sum(seen.values())} received, "
            f"{len(expected - set(seen))} lost, {len(twice)} duplicated (window: {len(window)} in-flight claims), "
            f"leader node {victim} (led {leaders[victim]} of {sum(leaders.values())} partitions) killed: first new alert after {recovery:.1f} s, "
            f"{len(events)} delivered events ({sum(events.values()) - len(events)} repeated), whole test {time.monotonic() - started:.0f} s; "
            f"RSS MB {rss}"
        )
        assert set(seen) == expected and len(expected) >= 500
        assert twice <= window, f"duplicates outside the crash window: {sorted(twice - window)}"
        assert all(count <= 2 for count in seen.values())
        assert set(deliveries.values()) == {"sent"} and len(deliveries) == len(expected)
        assert set(events) == set(deliveries), f"deliveries without an alerts.delivered.v1 event: {sorted(set(deliveries) - set(events))[:10]}"
    except BaseException:
        for log in sorted(tmp_path.glob("*.log")):
            print(f"----- {log.name} -----\n{log.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        newsroom.stopping.set()
        for proc in [p for group in services.values() for p in group]:
            if proc.proc and proc.proc.poll() is None:
                proc.stop()
        smtp.stop()
        slack.stop()
        feeds.stop()
