"""Retries from the delivery log, against a real SMTP server and Slack stand-in: nothing lost, nothing twice."""

import asyncio
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from radar_api import service
from radar_api.cli import main
from radar_notifier.channels import is_permanent
from radar_notifier.deliver import Notifier
from radar_shared.db import session_scope
from radar_shared.messages import Article, ArticleClassified, Snippet, Span, Tag
from radar_shared.models import Delivery
from tests.support.notifier import SLACK, FakeSender, failure, notifier_for, subscribe
from tests.support.sinks import HTTPSink, SMTPSink, free_port


def event(n: int = 1) -> ArticleClassified:
    article = Article(article_id=f"a{n}", story_id=f"s{n}", feed_id=1, feed_url="https://f.example/rss", entry_key="k", url=f"https://news.example/{n}",
                      title=f"Tanker {n} seized", text="", source="news.example")
    tag = Tag(tag="dprk-sanctions", score=0.9, snippets=[Snippet(text="North Korea sanctions", highlights=[Span(start=0, end=11)])])
    return ArticleClassified(article=article, tags=[tag], classifier_version="rules:test", discovered_at=datetime.now(UTC))


def make_notifier(db: str, attempts: int = 8) -> tuple[Notifier, list, list]:
    return notifier_for(db, send_attempts=attempts, retry_max_seconds=0.2)


async def drain(notifier: Notifier, until, timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not until():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await notifier.retry_due()
        await notifier.relay_events()  # the delivered and failed events go out through the outbox
        await asyncio.sleep(0.05)


async def test_smtp_down_then_back_arrives_once(database_url: str) -> None:
    port = free_port()
    sub = subscribe(database_url, f"mailto://127.0.0.1:{port}?to=a@example.com&from=radar@example.com")
    notifier, delivered, failed = make_notifier(database_url)
    notifier.apply_subscriptions([sub])
    await notifier.handle(event())  # the handler returns at once: the partition moves on
    await notifier.settle()
    with session_scope(database_url) as s:
        row = s.query(Delivery).one()
        assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at is not None and "Connection error" in row.last_error
    await notifier.handle(event())  # a redelivered message does not send or schedule twice
    await notifier.settle()
    smtp = SMTPSink(port=port).start()
    try:
        await drain(notifier, lambda: delivered)
        await asyncio.sleep(0.3)
        await notifier.retry_due()
        assert len(smtp.snapshot()) == 1 and len(delivered) == 1 and not failed
        assert delivered[0].attempts >= 2
    finally:
        smtp.stop()


async def test_budget_spent_is_failed_and_reported(database_url: str) -> None:
    sub = subscribe(database_url, "mailto://mail.example?to=a@example.com&from=radar@example.com")
    mail = FakeSender(*[failure("Connection error") for _ in range(3)])
    notifier, delivered, failed = notifier_for(database_url, sender=mail, send_attempts=3, retry_max_seconds=0.2)
    notifier.apply_subscriptions([sub])
    await notifier.handle(event())
    await notifier.settle()
    await drain(notifier, lambda: failed)
    assert failed[0].attempts == 3 and not failed[0].permanent and failed[0].error == "Connection error" and not delivered
    assert len(mail.sent) == 3, "no fourth attempt"
    with session_scope(database_url) as s:
        assert s.query(Delivery).one().status == "failed"


async def test_revoked_webhook_is_permanent_and_not_retried(database_url: str, slack: HTTPSink) -> None:
    slack.responder = lambda path, body: (404, {}, b"no_service")
    notifier, delivered, failed = make_notifier(database_url)
    notifier.apply_subscriptions([subscribe(database_url, SLACK)])
    await notifier.handle(event())
    await notifier.settle()
    await notifier.relay_events()
    assert len(failed) == 1 and failed[0].permanent and failed[0].attempts == 1


async def test_slack_500_then_200_arrives_once(database_url: str, slack: HTTPSink) -> None:
    answers = iter([500, 500])
    slack.responder = lambda path, body: (next(answers, 200), {}, b"ok")
    notifier, delivered, failed = make_notifier(database_url)
    notifier.apply_subscriptions([subscribe(database_url, SLACK)])
    await notifier.handle(event())
    await notifier.settle()
    await drain(notifier, lambda: delivered)
    assert len(slack.snapshot()) == 1 and not failed


def test_permanent_statuses() -> None:
    assert is_permanent(["WARNING: Failed to send Slack notification: Not Found - error=404."])
    assert not is_permanent(["WARNING: Failed to send Slack notification: Internal Server Error - error=500."])
    assert not is_permanent(['WARNING: Connection error while submitting email to "127.0.0.1"'])


async def test_operator_lists_and_resends_failed(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    sub = subscribe(database_url, f"mailto://127.0.0.1:{port}?to=a@example.com&from=radar@example.com")
    notifier, delivered, failed = make_notifier(database_url, attempts=1)
    notifier.apply_subscriptions([sub])
    await notifier.handle(event())
    await notifier.settle()
    await notifier.relay_events()
    assert failed
    monkeypatch.setenv("DATABASE_URL", database_url)
    listed = CliRunner().invoke(main, ["deliveries", "list", "--failed"])
    assert listed.exit_code == 0 and "failed" in listed.output and "Tanker 1 seized" in listed.output and str(port) not in listed.output
    resent = CliRunner().invoke(main, ["deliveries", "resend", "--all-failed"])
    assert resent.exit_code == 0 and "1 delivery" in resent.output
    smtp = SMTPSink(port=port).start()
    try:
        await drain(notifier, lambda: delivered)
        assert len(smtp.snapshot()) == 1
        assert service.list_deliveries(database_url, failed_only=True) == []
    finally:
        smtp.stop()
