"""Notifier throughput and latency, from articles.classified.v1 on a real Kafka to a local SMTP server and a
Slack webhook stand-in (prints figures; not a test).

Each alert goes to exactly one of 50 email and 50 Slack subscriptions (one watch each). Three runs:

1. the limit: the same messages sent directly, with smtplib and httpx at the same concurrency, no Kafka and no
   database;
2. throughput: N alerts produced at once; alerts per second from the first produce to the last arrival
   (Slack pacing off here, since the direct loop does not pace either);
3. latency at a steady rate (default 50 alerts/s, with Slack's one-message-per-second pacing on: 50 webhooks
   at 0.5/s each): p50 and p99 from producing the classified event to its arrival at the sink.

    .venv/bin/python bench/notify.py [--alerts 1000] [--rate 50] [--seconds 20]
"""

import argparse
import asyncio
import json
import os
import re
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from radar_shared.messages import Article, ArticleClassified, Snippet, Span, Tag  # noqa: E402
from radar_shared.topics import ARTICLES_CLASSIFIED  # noqa: E402
from tests.support.notifier import SINKS, local_rules  # noqa: E402
from tests.support.sinks import HTTPSink, SMTPSink, free_port  # noqa: E402

CHANNELS = 50  # of each kind
MARK = re.compile(r"Bench alert (\d+)")


def event(n: int, watch_id: int) -> bytes:
    article = Article(article_id=f"bench{n}", story_id=f"bench-story-{n}", feed_id=1, feed_url="https://f.example/rss", entry_key=f"k{n}",
                      url=f"https://news.example/{n}", title=f"Bench alert {n}: tanker seized off Nampo", text="", source="news.example")
    tag = Tag(tag=f"watch:{watch_id}", score=1.0, snippets=[Snippet(text="Tanker seized off Nampo in a ship-to-ship transfer", highlights=[Span(start=0, end=6)])])
    return ArticleClassified(article=article, tags=[tag], classifier_version="bench", discovered_at=datetime.now(UTC)).model_dump_json().encode()


def arrivals(smtp: SMTPSink, slack: HTTPSink) -> dict[int, float]:
    out: dict[int, float] = {}
    for mail in smtp.snapshot():
        if m := MARK.search(mail.subject):
            out.setdefault(int(m.group(1)), mail.at)
    for post in slack.snapshot():
        if m := MARK.search(str(post["json"])):
            out.setdefault(int(m.group(1)), post["at"])
    return out


def wait_for(smtp: SMTPSink, slack: HTTPSink, ids: set[int], timeout: float) -> dict[int, float]:
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = arrivals(smtp, slack)
        if ids <= set(got):
            return got
        time.sleep(0.1)
    raise SystemExit(f"only {len(ids & set(arrivals(smtp, slack)))} of {len(ids)} alerts arrived in {timeout:.0f} s")


def direct_limit(smtp: SMTPSink, slack: HTTPSink, alerts: int, workers: int) -> float:
    """Seconds to send `alerts` messages directly: half by smtplib (a connection per message, as Apprise does),
    half by httpx POSTs, on a pool of `workers` threads."""
    client = httpx.Client()

    def one(n: int) -> None:
        if n % 2 == 0:
            msg = EmailMessage()
            msg["Subject"], msg["From"], msg["To"] = f"[Radar] direct {n}", "radar@example.com", f"a{n % CHANNELS}@example.com"
            msg.set_content("Tanker seized off Nampo")
            msg.add_alternative("<p>Tanker <mark>seized</mark> off Nampo</p>", subtype="html")
            with smtplib.SMTP("127.0.0.1", smtp.port) as s:
                s.send_message(msg)
        else:
            client.post(f"{slack.url}/services/TD/BD/direct{n % CHANNELS}", json={"text": f"direct {n}", "blocks": []}).raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(alerts)))
    client.close()
    return time.perf_counter() - started


async def produce(bootstrap: str, first: int, count: int, rate: float | None) -> dict[int, float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    await producer.start()
    sent: dict[int, float] = {}
    try:
        started = time.time()
        for i in range(count):
            n = first + i
            if rate:
                await asyncio.sleep(max(0.0, started + i / rate - time.time()))
            sent[n] = time.time()
            await producer.send(ARTICLES_CLASSIFIED, event(n, n % (2 * CHANNELS) + 1), key=f"bench{n}".encode())
        await producer.flush()
    finally:
        await producer.stop()
    return sent


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_notifier(work: Path, db: str, bootstrap: str, slack: HTTPSink, slack_interval: str) -> subprocess.Popen:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "LOG_LEVEL": "WARNING", "LOG_FORMAT": "console",
           "NOTIFIER_HTTP_PORT": str(port), "NOTIFIER_SLACK_WEBHOOK_URL": f"{slack.url}/services", "NOTIFIER_SLACK_INTERVAL_SECONDS": slack_interval,
           "CONFIG_RELOAD_SECONDS": "1", "NOTIFIER_ALLOWED_NETWORKS": json.dumps(SINKS)}
    proc = subprocess.Popen([sys.executable, "-m", "radar_notifier"], env=env, stdout=open(work / "notifier.log", "ab"), stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the notifier did not start; see {work / 'notifier.log'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=1000, help="alerts in the throughput run")
    parser.add_argument("--rate", type=float, default=50, help="alerts per second in the latency run")
    parser.add_argument("--seconds", type=float, default=20, help="length of the latency run")
    parser.add_argument("--postgresql", action="store_true", help="keep the delivery log in PostgreSQL (deploy/postgres.sh) instead of SQLite")
    args = parser.parse_args()

    from radar_api import service
    from radar_shared.db import upgrade

    work = Path(tempfile.mkdtemp(prefix="radar-bench-notify-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user
    pg_port = free_port()
    if args.postgresql:
        out = subprocess.run([str(ROOT / "deploy" / "postgres.sh"), "start", str(work / "pg"), str(pg_port)], check=True, capture_output=True, text=True)
        db = out.stdout.strip().splitlines()[-1]
    else:
        db = f"sqlite:///{work / 'radar.db'}"
    upgrade(db)
    smtp, slack = SMTPSink().start(), HTTPSink().start()
    for i in range(2 * CHANNELS):
        watch = service.add_watch(db, f'"bench watch {i}"', f"bench {i}")
        url = (f"mailto://127.0.0.1:{smtp.port}?to=analyst{i}@example.com&from=radar@example.com" if i % 2 == 0
               else f"slack://T{i:08d}/B{i:08d}/benchwebhooktoken{i:08d}")
        service.add_subscription(db, url, [], [watch.id], 0.0, local_rules("mailto", "slack"))  # type: ignore[list-item]

    kafka_port = free_port()
    kafka_env = {**os.environ, "KAFKA_RUN_DIR": str(work / "kafka"), "KAFKA_CONTROLLER_PORT": str(free_port()), "RADAR_PYTHON": sys.executable}
    subprocess.run([str(ROOT / "deploy" / "kafka.sh"), "start", str(kafka_port)], env=kafka_env, check=True)
    subprocess.run([str(ROOT / "deploy" / "kafka.sh"), "topics", str(kafka_port)], env=kafka_env, check=True)
    bootstrap = f"127.0.0.1:{kafka_port}"
    notifier = None
    try:
        limit = direct_limit(smtp, slack, args.alerts, 32)
        notifier = start_notifier(work, db, bootstrap, slack, "0")
        asyncio.run(produce(bootstrap, 10**6, 20, None))  # warm-up: connections, caches
        wait_for(smtp, slack, set(range(10**6, 10**6 + 20)), 60)
        cpu_before = cpu_seconds(notifier.pid)
        sent = asyncio.run(produce(bootstrap, 0, args.alerts, None))
        got = wait_for(smtp, slack, set(sent), 300)
        took = max(got[n] for n in sent) - min(sent.values())
        cpu = cpu_seconds(notifier.pid) - cpu_before
        notifier.terminate()
        notifier.wait(30)

        notifier = start_notifier(work, db, bootstrap, slack, "1")
        count = int(args.rate * args.seconds)
        first = 2 * 10**6
        sent = asyncio.run(produce(bootstrap, first, count, args.rate))
        got = wait_for(smtp, slack, set(sent), 300)
        latencies = sorted((got[n] - sent[n]) * 1000 for n in sent)
    finally:
        if notifier:
            notifier.terminate()
            notifier.wait(30)
        subprocess.run([str(ROOT / "deploy" / "kafka.sh"), "stop", str(kafka_port)], env=kafka_env, check=False)
        smtp.stop()
        slack.stop()
        if args.postgresql:
            subprocess.run([str(ROOT / "deploy" / "postgres.sh"), "stop", str(work / "pg")], check=False)

    rate, limit_rate = args.alerts / took, args.alerts / limit
    p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]
    print(f"delivery log: {'PostgreSQL' if args.postgresql else 'SQLite'}")
    print(f"channels: {CHANNELS} email (aiosmtpd) + {CHANNELS} Slack webhooks (local receiver); one alert per article")
    print(f"direct limit (smtplib + httpx, 32 threads): {args.alerts} in {limit:.1f} s = {limit_rate:.0f} alerts/s")
    print(f"radar throughput (Kafka → notifier → sinks):  {args.alerts} in {took:.1f} s = {rate:.0f} alerts/s")
    print(f"notifier CPU: {cpu:.1f} s for {args.alerts} alerts = {cpu / args.alerts * 1000:.1f} ms per alert ({cpu / took:.0%} of a core)")
    print(f"ratio to the limit: {rate / limit_rate:.2f}                                   target ≥ 0.5")
    print(f"latency at a steady {args.rate:.0f} alerts/s for {args.seconds:.0f} s ({count} alerts, Slack paced 1/s per webhook):")
    print(f"  p50 {p50:.0f} ms   p99 {p99:.0f} ms   max {latencies[-1]:.0f} ms             target p99 ≤ 250 ms")


if __name__ == "__main__":
    main()
