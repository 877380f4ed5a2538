"""Feed-derived text is escaped in both channels: no HTML injection, no header injection, no Slack mentions."""

from datetime import UTC, datetime

import pytest

from radar_notifier.render import one_line, render_alert
from radar_shared.messages import Article, Snippet, Span, Tag

INJECTIONS = [
    "<script>alert(1)</script>",
    "<!channel> urgent",
    "<http://evil.example|Your bank>",
    "Subject\r\nBcc: victim@example.com",
    '"><img src=x onerror=alert(1)>',
    "<@U024BE7LH> & <#C024BE7LR>",
]


def article(title: str, text: str = "", url: str = "https://news.example/a") -> Article:
    return Article(article_id="a", story_id="s", feed_id=1, feed_url="https://news.example/feed", entry_key="k", url=url, title=title, text=text, source="news.example",
                   published_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))


def tag(snippet_text: str) -> Tag:
    return Tag(tag="dprk-sanctions", score=0.93, snippets=[Snippet(text=snippet_text, highlights=[Span(start=0, end=min(5, len(snippet_text)))])])


@pytest.mark.parametrize("evil", INJECTIONS)
def test_email_escapes_html_and_headers(evil: str) -> None:
    alert = render_alert(article(evil), [tag(evil)])
    assert "\r" not in alert.subject and "\n" not in alert.subject
    assert "<script>" not in alert.html and "<img" not in alert.html and "<!channel>" not in alert.html
    assert ("&lt;" in alert.html) == ("<" in evil)


def test_email_content() -> None:
    alert = render_alert(article("Tankers seized"), [tag("Sanctions were evaded")])
    assert alert.subject == "[Radar] dprk-sanctions: Tankers seized"
    assert "<mark>Sanct</mark>ions were evaded" in alert.html
    assert "**Sanct**ions were evaded" in alert.text
    for part in (alert.html, alert.text):
        assert "news.example" in part and "2026-01-02 03:04 UTC" in part and "0.93" in part and "https://news.example/a" in part


def test_unsafe_link_schemes_are_dropped() -> None:
    alert = render_alert(article("t", url="javascript:alert(1)"), [tag("x")])
    assert "javascript:" not in alert.html and "javascript:" not in str(alert.slack)


def test_one_line() -> None:
    assert one_line("a\r\nb\u2028c\x00d") == "a b c d"
    assert len(one_line("x" * 500, 100)) == 100
