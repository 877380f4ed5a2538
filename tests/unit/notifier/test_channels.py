"""Apprise against real sinks: an SMTP server and a Slack webhook stand-in."""

import pytest

from radar_notifier.channels import send
from radar_notifier.render import render_alert
from tests.support.notifier import SLACK, local_rules
from tests.support.sinks import HTTPSink, SMTPSink, free_port
from tests.unit.notifier.test_render import INJECTIONS, article, tag

SINKS = local_rules("mailto", "slack", "https")


async def test_email_is_multipart_with_escaped_html() -> None:
    smtp = SMTPSink().start()
    try:
        alert = render_alert(article("Sanctions <b>evaded</b>\r\nBcc: x@evil.example"), [tag("North Korea sanctions")])
        result = await send(f"mailto://127.0.0.1:{smtp.port}?to=analyst@example.com&from=radar@example.com", alert, SINKS)
        assert result.ok, result.errors
        [mail] = smtp.snapshot()
        assert mail.rcpt_tos == ["analyst@example.com"]
        assert mail.message.is_multipart()
        assert mail.part("text/html") and "<b>evaded</b>" not in mail.part("text/html")
        assert "Bcc" not in str(mail.message.get("bcc", "")) and "x@evil.example" not in mail.rcpt_tos
    finally:
        smtp.stop()


async def test_smtp_server_down_is_a_failure_with_the_error() -> None:
    result = await send(f"mailto://127.0.0.1:{free_port()}?to=a@example.com&from=radar@example.com", render_alert(article("t"), [tag("x")]), SINKS)
    assert not result.ok
    assert any("Connection error" in e and "127.0.0.1" in e for e in result.errors), result.errors


@pytest.mark.parametrize("evil", INJECTIONS)
async def test_slack_injection_comes_out_escaped(slack: HTTPSink, evil: str) -> None:
    result = await send(SLACK, render_alert(article(evil), [tag(evil)]), SINKS)
    assert result.ok
    payload = slack.snapshot()[-1]["json"]
    assert payload["blocks"][0]["type"] == "section" and payload["blocks"][0]["text"]["type"] == "mrkdwn"
    text = payload["text"] + "\n".join(b["text"]["text"] for b in payload["blocks"])
    for live in ("<!channel>", "<http://evil", "<@U024", "<#C024", "<script>"):
        assert live not in text
    assert ("&lt;" in text) == ("<" in evil)
    assert "<https://news.example/a|" in text  # the one link is the article's own


async def test_slack_500_is_a_failure(slack: HTTPSink) -> None:
    slack.responder = lambda path, body: (500, {}, b"server error")
    result = await send(SLACK, render_alert(article("t"), [tag("x")]), SINKS)
    assert not result.ok and any("500" in e for e in result.errors)


async def test_slack_incoming_webhook_form_is_accepted(slack: HTTPSink) -> None:
    url = "https://hooks.slack.com/services/T00000000/B00000000/radartestwebhooktoken000"
    result = await send(url, render_alert(article("Tankers seized"), [tag("North Korea")]), SINKS)
    assert result.ok, result.errors
    assert slack.snapshot()[-1]["path"] == "/services/T00000000/B00000000/radartestwebhooktoken000"


async def test_concurrent_failures_keep_their_own_errors() -> None:
    import asyncio

    from radar_notifier.channels import Sender

    sender = Sender(SINKS)
    try:
        urls = [f"mailto://127.0.0.{n}:{free_port()}?to=a@example.com&from=radar@example.com" for n in (1, 2, 3)]
        results = await asyncio.gather(*(sender.send(u, render_alert(article("t"), [tag("x")])) for u in urls))
        for n, result in zip((1, 2, 3), results, strict=True):
            assert not result.ok and result.errors
            assert all(f"127.0.0.{n}" in e for e in result.errors), result.errors
    finally:
        await sender.close()


def test_tls_context_for_apprise_is_shared_only_while_it_verifies() -> None:
    import ssl

    from radar_notifier.channels import _LazyTLSContext

    verified, other = _LazyTLSContext(), _LazyTLSContext()
    assert verified.verify_mode == ssl.CERT_REQUIRED and verified.check_hostname
    unverified = _LazyTLSContext()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    assert other.verify_mode == ssl.CERT_REQUIRED and other.check_hostname, "turning verification off changed the shared context"
    assert unverified.verify_mode == ssl.CERT_NONE


def test_retry_after_seconds_or_date() -> None:
    from datetime import UTC, datetime

    from radar_shared.retry_after import parse_retry_after

    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert parse_retry_after("2", now) == 2.0
    assert parse_retry_after("Fri, 27 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None
