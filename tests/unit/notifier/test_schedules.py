"""Digests, quiet hours, rate limits, Retry-After and per-channel pacing, with the delivery log in the database
and a clock the test moves: against a real SMTP server and Slack stand-in where what the channel answers
matters, else through FakeSender."""

import asyncio
import socket
import time
from datetime import UTC, datetime, timedelta

from radar_notifier.policy import Policy
from radar_notifier.routing import SubscriptionView
from radar_shared.db import session_scope
from radar_shared.messages import Article, ArticleClassified, Snippet, Span, Tag
from radar_shared.models import Delivery
from tests.support.notifier import SLACK, FakeSender, failure, notifier_for, subscribe
from tests.support.sinks import HTTPSink, SMTPSink


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def event(n: int, story: str | None = None, source: str = "news.example") -> ArticleClassified:
    article = Article(article_id=f"a{n}", story_id=story or f"s{n}", feed_id=1, feed_url="https://f.example/rss", entry_key=f"k{n}",
                      url=f"https://{source}/{n}", title=f"Ship-to-ship transfer number {n}", text="", source=source)
    tag = Tag(tag="dprk-sanctions", score=0.9, snippets=[Snippet(text=f"Evidence {n} of sanctions evasion", highlights=[Span(start=0, end=8)])])
    return ArticleClassified(article=article, tags=[tag], classifier_version="rules:test", discovered_at=datetime.now(UTC))


def with_policy(view: SubscriptionView, **policy: object) -> SubscriptionView:
    return SubscriptionView(view.id, view.channel_url, view.topics, view.watch_ids, view.min_score, view.enabled, Policy(**policy))  # type: ignore[arg-type]


def statuses(db: str) -> list[str]:
    with session_scope(db) as s:
        return sorted(d.status for d in s.query(Delivery).all())


async def test_hourly_digest_of_ten_stories_is_one_email_and_survives_a_restart(database_url: str) -> None:
    smtp = SMTPSink().start()
    try:
        clock = Clock(datetime(2026, 11, 27, 9, 0, 30, tzinfo=UTC))
        sub = with_policy(subscribe(database_url, f"mailto://127.0.0.1:{smtp.port}?to=a@example.com&from=radar@example.com"), mode="digest", digest_schedule="hourly")
        notifier, delivered, _ = notifier_for(database_url, clock)
        notifier.apply_subscriptions([sub])
        for n in range(10):  # ten stories over the hour, one every six minutes
            await notifier.handle(event(n))
            await notifier.settle()
            clock.advance(minutes=5)
            assert await notifier.send_due() == 0
        await notifier.handle(event(99, story="s3", source="other.example"))  # later coverage of story 3
        await notifier.settle()
        assert statuses(database_url) == ["queued"] * 10 and not smtp.snapshot()
        await notifier.close()

        restarted, delivered, _ = notifier_for(database_url, clock)  # a restart: the queue is in the database
        restarted.apply_subscriptions([sub])
        clock.advance(minutes=10)  # 10:00:30, past the top of the hour
        assert await restarted.send_due() == 1
        await restarted.send_due()
        [mail] = smtp.snapshot()
        assert "hourly digest: 10 stories" in mail.subject
        text = mail.part("text/html")
        assert all(f"Ship-to-ship transfer number {n}" in text for n in range(10))
        assert "other.example" in text  # the later coverage is listed with its story
        assert await restarted.relay_events() == 10
        assert len(delivered) == 10 and statuses(database_url) == ["sent"] * 10
        await restarted.close()
    finally:
        smtp.stop()


async def test_a_digest_that_fails_is_queued_again_whole_and_sent_once(database_url: str) -> None:
    clock = Clock(datetime(2026, 11, 27, 9, 0, 30, tzinfo=UTC))
    sub = with_policy(subscribe(database_url, "mailto://mail.example?to=a@example.com&from=radar@example.com"), mode="digest", digest_schedule="hourly")
    mail = FakeSender(failure("SMTP 451 try again later"))
    notifier, delivered, failed = notifier_for(database_url, clock, mail, retry_base_seconds=60, retry_max_seconds=600)
    notifier.apply_subscriptions([sub])
    for n in range(3):
        await notifier.handle(event(n))
    await notifier.settle()
    clock.advance(hours=1)
    assert await notifier.send_due() == 0 and len(mail.sent) == 1, "the digest was tried once, and failed"
    assert statuses(database_url) == ["queued"] * 3 and not failed, "its stories wait together for the retry"
    clock.advance(seconds=30)
    assert await notifier.send_due() == 0 and len(mail.sent) == 1, "not before the back-off"
    clock.advance(seconds=60)
    assert await notifier.send_due() == 1 and await notifier.send_due() == 0
    assert mail.subjects() == ["[Radar] hourly digest: 3 stories on dprk-sanctions"] * 2
    assert await notifier.relay_events() == 3 and len(delivered) == 3 and {e.attempts for e in delivered} == {2}
    assert statuses(database_url) == ["sent"] * 3
    await notifier.close()
    assert mail.closed


async def test_quiet_hours_hold_alerts_until_they_end(database_url: str) -> None:
    clock = Clock(datetime(2026, 11, 27, 23, 0, tzinfo=UTC))
    sub = with_policy(subscribe(database_url, SLACK), quiet_start="22:00", quiet_end="07:00")
    slack = FakeSender()
    notifier, delivered, _ = notifier_for(database_url, clock, slack)
    notifier.apply_subscriptions([sub])
    await notifier.handle(event(1))
    await notifier.settle()
    await notifier.handle(event(2))
    await notifier.settle()
    await notifier.send_due()
    assert not slack.sent and statuses(database_url) == ["pending", "pending"]
    clock.advance(hours=7, minutes=59)  # 06:59
    await notifier.send_due()
    assert not slack.sent
    clock.advance(minutes=1)
    await notifier.send_due()
    await notifier.relay_events()
    assert len(slack.sent) == 2 and len(delivered) == 2
    await notifier.close()


async def test_rate_limit_delays_but_never_drops(database_url: str) -> None:
    clock = Clock(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    sub = with_policy(subscribe(database_url, SLACK), max_per_hour=2)
    slack = FakeSender()
    notifier, delivered, _ = notifier_for(database_url, clock, slack)
    notifier.apply_subscriptions([sub])
    for n in range(5):
        await notifier.handle(event(n))
        await notifier.settle()
        clock.advance(minutes=1)
    assert len(slack.sent) == 2 and statuses(database_url).count("pending") == 3
    clock.advance(minutes=56)  # 12:61 → the first send has left the hour
    await notifier.send_due()
    assert len(slack.sent) == 3
    clock.advance(hours=2)
    await notifier.send_due()
    await notifier.send_due()
    await notifier.relay_events()
    assert sorted(slack.subjects()) == [f"[Radar] dprk-sanctions: Ship-to-ship transfer number {n}" for n in range(5)], "each once"
    assert len(delivered) == 5 and statuses(database_url) == ["sent"] * 5
    await notifier.close()


async def test_slack_500_then_429_retry_after_then_200_arrives_once_and_not_early(database_url: str, slack: HTTPSink) -> None:
    answers = iter([(500, {}), (429, {"Retry-After": "2"})])
    times: list[float] = []

    def respond(path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        times.append(time.monotonic())
        status, headers = next(answers, (200, {}))
        return status, headers, b"ok"

    slack.responder = respond
    notifier, delivered, failed = notifier_for(database_url, slack_interval_seconds=0)
    notifier.apply_subscriptions([subscribe(database_url, SLACK)])
    await notifier.handle(event(1))
    await notifier.settle()
    deadline = time.monotonic() + 15
    while not delivered:
        assert time.monotonic() < deadline, "timed out"
        await notifier.send_due()
        await notifier.relay_events()
        await asyncio.sleep(0.05)
    assert len(times) == 3 and len(slack.snapshot()) == 1 and not failed
    assert times[2] - times[1] >= 2.0, f"retried {times[2] - times[1]:.2f} s after a 429 with Retry-After: 2"
    with session_scope(database_url) as s:
        assert s.query(Delivery).one().attempts == 3
    await notifier.close()


async def test_slack_is_paced_per_webhook_and_channels_are_independent(database_url: str, slack: HTTPSink) -> None:
    arrivals: dict[str, list[float]] = {}

    def respond(path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        arrivals.setdefault(path, []).append(time.monotonic())
        return 200, {}, b"ok"

    slack.responder = respond
    hanging = socket.socket()  # an SMTP server that accepts connections and never answers
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(16)
    try:
        notifier, delivered, _ = notifier_for(database_url, slack_interval_seconds=1.0)
        subs = [subscribe(database_url, SLACK), subscribe(database_url, "slack://T22222222/B22222222/radartestwebhooktoken222"),
                subscribe(database_url, f"mailto://127.0.0.1:{hanging.getsockname()[1]}?to=a@example.com&from=radar@example.com")]
        notifier.apply_subscriptions(subs)
        started = time.monotonic()
        for n in range(3):
            await notifier.handle(event(n))  # returns once the deliveries are recorded; the sends go on
        deadline = started + 30
        while sum(len(v) for v in arrivals.values()) < 6:
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.05)
        one, two = (sorted(v) for v in arrivals.values())
        assert len(one) == 3 and len(two) == 3
        assert all(b - a >= 0.95 for a, b in zip(one, one[1:], strict=False)), f"one Slack webhook got more than one message a second: {one}"
        # paced together, the second webhook's first message would come at least a second after the first's; the start
        # itself may lag on a loaded machine, so the two webhooks are compared with each other, not with it
        assert abs(one[0] - two[0]) < 0.9, f"the webhooks waited for each other: {one[0] - two[0]:.2f} s apart"
        assert any(not t.done() for t in notifier.inflight), "the mail server was expected to hang while Slack went on"
        await notifier.close(timeout=0)
    finally:
        hanging.close()


async def test_a_send_waiting_for_its_channel_is_not_taken_over_as_stale(database_url: str, slack: HTTPSink) -> None:
    notifier, delivered, _ = notifier_for(database_url, slack_interval_seconds=1.0, sending_stale_seconds=0.5, retry_poll_seconds=0.1)
    notifier.apply_subscriptions([subscribe(database_url, SLACK)])
    for n in range(4):
        await notifier.handle(event(n))  # four alerts for one webhook: the last waits 3 s for its turn
    loop = asyncio.gather(notifier.retry_forever(), notifier.relay_forever())
    try:
        deadline = time.monotonic() + 15
        while len(delivered) < 4:
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)
    finally:
        loop.cancel()
    assert len(slack.snapshot()) == 4, "a claim that waited for Slack's pacing was sent again as if its notifier had crashed"
    await notifier.close()


async def test_the_delivery_loop_goes_on_sending_while_the_broker_does_not_take_events(database_url: str, slack: HTTPSink) -> None:
    clock = Clock(datetime(2026, 11, 27, 6, 0, tzinfo=UTC))
    early = with_policy(subscribe(database_url, SLACK), quiet_start="22:00", quiet_end="07:00")
    late = with_policy(subscribe(database_url, "slack://T33333333/B33333333/radartestwebhooktoken333"), quiet_start="22:00", quiet_end="08:00")
    notifier, delivered, _ = notifier_for(database_url, clock, slack_interval_seconds=0, retry_poll_seconds=0.05)
    broker_down = asyncio.Event()

    async def publish_never_returns(event) -> None:  # type: ignore[no-untyped-def]  # Kafka is down
        await broker_down.wait()

    notifier.publish_delivered = publish_never_returns
    notifier.apply_subscriptions([early, late])
    await notifier.handle(event(1))
    await notifier.settle()
    assert statuses(database_url) == ["pending", "pending"], "both held by quiet hours"
    loops = asyncio.gather(notifier.retry_forever(), notifier.relay_forever())
    try:
        clock.advance(hours=1)  # 07:00: the first alert is due, is sent, and its event cannot be published
        deadline = time.monotonic() + 15
        while len(slack.snapshot()) < 1:
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.05)
        clock.advance(hours=1)  # 08:00: the second one is due; the delivery loop must not be waiting on the broker
        while len(slack.snapshot()) < 2:
            assert time.monotonic() < deadline, "the delivery loop stopped sending while the broker was down"
            await asyncio.sleep(0.05)
        while statuses(database_url) != ["sent", "sent"]:  # Slack has the message before its mark is committed
            assert time.monotonic() < deadline, f"the sends were not marked: {statuses(database_url)}"
            await asyncio.sleep(0.05)
    finally:
        loops.cancel()
        await asyncio.gather(loops, return_exceptions=True)
    assert not delivered, "no delivered event can have been published while the broker was down"
    await notifier.close(timeout=0)


async def test_a_claim_is_renewed_once_a_quarter_of_the_stale_time_old_not_on_every_tick(database_url: str) -> None:
    clock = Clock(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    notifier, _, _ = notifier_for(database_url, clock, sender=FakeSender(), sending_stale_seconds=60)
    notifier.apply_subscriptions([subscribe(database_url, SLACK)])
    await notifier.handle_batch([event(1)])
    await notifier.settle()  # sent and marked: no longer in hand
    notifier.in_hand.add(delivery := _only_delivery_id(database_url))  # as if its send still waited for the channel
    with session_scope(database_url) as s:
        s.get(Delivery, delivery).status = "sending"  # type: ignore[union-attr]

    def updated_at() -> datetime:
        with session_scope(database_url) as s:
            return s.get(Delivery, delivery).updated_at.replace(tzinfo=UTC)  # type: ignore[union-attr]

    before = updated_at()
    await notifier.renew_leases()  # the tick that first sees the claim
    for _ in range(3):
        clock.advance(seconds=4)
        await notifier.renew_leases()
    assert updated_at() == before, "a claim 12 s old was renewed, though it goes stale only at 60 s"
    clock.advance(seconds=4)
    await notifier.renew_leases()
    assert updated_at() == clock(), "a claim 16 s old was not renewed"
    await notifier.close()


def _only_delivery_id(db: str) -> int:
    with session_scope(db) as s:
        (row,) = s.query(Delivery).all()
        return row.id  # type: ignore[return-value]


async def test_a_send_still_in_flight_at_shutdown_keeps_its_claim_renewed_until_it_is_marked(database_url: str) -> None:
    """At shutdown the delivery loop (which renews claims) stops first; a send that still waits for its channel
    (Slack's pacing) must not let its claim go stale, or another replica takes it over and sends it again."""
    clock = Clock(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))
    release = asyncio.Event()

    class PacedSender(FakeSender):
        async def send(self, url, alert):  # type: ignore[no-untyped-def]
            await release.wait()
            return await super().send(url, alert)

    notifier, delivered, _ = notifier_for(database_url, clock, sender=PacedSender(), sending_stale_seconds=8, retry_poll_seconds=0.02)
    notifier.apply_subscriptions([subscribe(database_url, SLACK)])
    await notifier.handle_batch([event(1)])
    delivery = _only_delivery_id(database_url)

    def row() -> tuple[str, datetime]:
        with session_scope(database_url) as s:
            d = s.get(Delivery, delivery)
            return d.status, d.updated_at.replace(tzinfo=UTC)  # type: ignore[union-attr]

    claimed = row()
    assert claimed == ("sending", clock())
    closing = asyncio.create_task(notifier.close(timeout=30))
    await asyncio.sleep(0.1)  # the shutdown's renewal sees the claim
    clock.advance(seconds=3)  # older than a quarter of the stale time
    deadline = time.monotonic() + 10
    while row()[1] != clock():
        assert time.monotonic() < deadline, f"the claim was not renewed while its send was in flight at shutdown: {row()}"
        await asyncio.sleep(0.02)
    release.set()
    await closing
    assert notifier.sender.sent and row()[0] == "sent"  # type: ignore[attr-defined]
