"""End to end on the real local Kafka: feed → feed-watcher → classifier → notifier → SMTP server and Slack stand-in.

Then the notifier is stopped, its consumer group rewound to the start of articles.classified.v1 and
restarted: it reads every message again and sends nothing twice.
"""

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from radar_api import service
from radar_shared.topics import ARTICLES_CLASSIFIED
from tests.support.corpus import corpus, needs_shared
from tests.support.feeds import rss
from tests.support.notifier import local_rules
from tests.support.services import ServiceProcess, service_env, wait_for
from tests.support.sinks import FeedServer, HTTPSink, SMTPSink

pytestmark = [pytest.mark.kafka, pytest.mark.e2e, needs_shared]

POSITIVE = "nk001"
NEGATIVES = ["nk092", "nk122", "nk125", "nk163", "nk187"]
SLACK_PATH = "/services/T00000000/B00000000/radartestwebhooktoken000"
WATCH_SLACK = "slack://T11111111/B11111111/radartestwebhooktoken111"
WATCH_SLACK_PATH = "/services/T11111111/B11111111/radartestwebhooktoken111"
# Written for this test: a vessel name a user watches, and nothing that fires a built-in topic.
WATCHED = {"title": "Tanker Rich Glory spotted off Vladivostok", "text": "Port records show the Rich Glory loading cargo this week.", "link": "https://news.example/rich-glory"}




async def rewind_group(bootstrap: str, group: str, topic: str) -> int:
    """Commit offset 0 on every partition for an idle consumer group; return the number of messages in the topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or await _partitions(consumer, topic))]
        consumer.assign(partitions)
        end = await consumer.end_offsets(partitions)
        await consumer.commit({tp: OffsetAndMetadata(0, "") for tp in partitions})
        return sum(end.values())
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # noqa: SLF001
    return consumer.partitions_for_topic(topic) or set()


async def committed_total(bootstrap: str, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset > 0)
    finally:
        await admin.close()


@pytest.fixture
def sinks():
    smtp, slack, feeds = SMTPSink().start(), HTTPSink().start(), FeedServer().start()
    yield smtp, slack, feeds
    smtp.stop()
    slack.stop()
    feeds.stop()


def test_article_flows_to_email_and_slack_exactly_once(fresh_kafka, database_url: str, sinks, tmp_path: Path) -> None:
    smtp, slack, feeds = sinks
    kafka = fresh_kafka  # each database gets a broker of its own: offsets and topics start empty
    items = corpus()
    feeds.feeds["/feed.xml"] = rss([{"title": items[i]["title"], "text": items[i]["text"], "link": items[i]["source"]} for i in [POSITIVE, *NEGATIVES]])

    service.add_feed(database_url, feeds.url("/feed.xml"), "test feed", allowed_networks=["127.0.0.0/8:1024-65535"])
    topics = ["dprk-sanctions", "russia-dprk-smuggling"]
    schemes = local_rules("mailto", "slack")
    service.add_subscription(database_url, f"mailto://127.0.0.1:{smtp.port}?to=analyst@example.com&from=radar@example.com", topics, [], 0.0, schemes)
    service.add_subscription(database_url, "slack://T00000000/B00000000/radartestwebhooktoken000", topics, [], 0.0, schemes)

    env = service_env(database_url, kafka.bootstrap, NOTIFIER_SLACK_WEBHOOK_URL=f"{slack.url}/services", FEED_WATCHER_POLL_INTERVAL_SECONDS="2", FEED_WATCHER_MIN_INTERVAL_SECONDS="1")
    procs = {name: ServiceProcess(name, env, tmp_path / f"{name}.log").start() for name in ("notifier", "classifier", "feed-watcher")}
    try:
        for p in procs.values():
            assert httpx.get(f"{p.url}/healthz").status_code == 200
            assert "radar_service_info" in httpx.get(f"{p.url}/metrics").text

        wait_for(lambda: len(smtp.snapshot()) >= 1 and len(slack.snapshot()) >= 1, 120, "the alert by email and on Slack")
        # Every negative has been classified and dropped once the classifier has committed all 6 articles.
        wait_for(lambda: asyncio.run(committed_total(kafka.bootstrap, "classifier", "articles.discovered.v1")) >= 6, 60, "the classifier to read all articles")
        wait_for(lambda: asyncio.run(committed_total(kafka.bootstrap, "notifier", ARTICLES_CLASSIFIED)) >= 1, 60, "the notifier to commit")
        time.sleep(2)

        mails, posts = smtp.snapshot(), slack.snapshot()
        assert len(mails) == 1, [m.subject for m in mails]
        assert len(posts) == 1, posts
        mail = mails[0]
        assert "North Korea Receiving Russian Supplies Despite Sanctions" in mail.subject
        html = mail.part("text/html")
        for expected in ("dprk-sanctions", "russia-dprk-smuggling", "<mark>North Korea</mark>", "themoscowtimes.com"):
            assert expected in html, expected
        assert mail.rcpt_tos == ["analyst@example.com"]
        slack_text = str(posts[0]["json"])
        assert posts[0]["path"] == SLACK_PATH
        for expected in ("dprk-sanctions", "russia-dprk-smuggling", "*North Korea*", "https://www.themoscowtimes.com/2017/09/12/"):
            assert expected in slack_text, expected
        for negative in NEGATIVES:
            title = items[negative]["title"][:40]
            assert title not in mail.subject and title not in slack_text

        # Configuration changes reach running services within seconds: a new watch, subscription and article.
        watch = service.add_watch(database_url, '"Sky Morning" OR "Rich Glory"')
        service.add_subscription(database_url, WATCH_SLACK, [], [watch.id], 0.0, schemes)
        time.sleep(3)  # > CONFIG_RELOAD_SECONDS: the classifier and notifier now have them
        feeds.feeds["/feed.xml"] = rss([{"title": items[i]["title"], "text": items[i]["text"], "link": items[i]["source"]} for i in [POSITIVE, *NEGATIVES]] + [WATCHED])
        wait_for(lambda: any(p["path"] == WATCH_SLACK_PATH for p in slack.snapshot()), 60, "the watch alert")
        watched = [p for p in slack.snapshot() if p["path"] == WATCH_SLACK_PATH]
        assert len(watched) == 1 and "*Rich Glory*" in str(watched[0]["json"])
        assert len(smtp.snapshot()) == 1, "the watched article matches no topic"

        st = service.status(database_url, heartbeat_seconds=1)
        assert all(s.up for s in st.services), st.services
        assert st.feeds[0].last_poll_at is not None and st.feeds[0].error_streak == 0
        assert st.deliveries == {"sent": 3}

        # Replay: stop the notifier, rewind its group, start it again; it must read everything and send nothing.
        assert procs["notifier"].stop() == 0, "the notifier did not shut down cleanly on SIGTERM"
        total = asyncio.run(rewind_group(kafka.bootstrap, "notifier", ARTICLES_CLASSIFIED))
        assert total >= 1
        assert asyncio.run(committed_total(kafka.bootstrap, "notifier", ARTICLES_CLASSIFIED)) == 0
        procs["notifier"] = ServiceProcess("notifier", {**env, "LOG_LEVEL": "DEBUG"}, tmp_path / "notifier-2.log").start()  # a line per message is DEBUG
        wait_for(lambda: asyncio.run(committed_total(kafka.bootstrap, "notifier", ARTICLES_CLASSIFIED)) >= total, 60, "the restarted notifier to re-read every message")
        time.sleep(2)
        assert len(smtp.snapshot()) == 1
        assert len(slack.snapshot()) == 2
        assert "already delivered; skipped" in (tmp_path / "notifier-2.log").read_text()
    except BaseException:
        # Show what each service did, so a failure here can be diagnosed from CI's output alone.
        for log in sorted(tmp_path.glob("*.log")):
            print(f"----- {log.name} -----\n{log.read_text(errors='replace')[-6000:]}")
        print("----- sinks -----", [m.subject for m in smtp.snapshot()], [p["path"] for p in slack.snapshot()], feeds.hits)
        raise
    finally:
        for p in procs.values():
            if p.proc and p.proc.poll() is None:
                p.stop()
