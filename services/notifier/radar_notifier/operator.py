"""The notifier's face to the control plane: what an operator or a user asks of the notifier. The control plane
imports nothing else from this service, and never writes the notifier's tables itself.

Apprise and the renderer are loaded on the first test send, not on import: `radar deliveries resend` and the
control plane's other database commands never load Apprise.
"""

from typing import TYPE_CHECKING

from radar_notifier.store import resend
from radar_shared.channel_urls import ChannelRules
from radar_shared.messages import Article, Snippet, Span, Tag

if TYPE_CHECKING:
    from radar_notifier.channels import SendResult

__all__ = ["TEST_TEXT", "resend", "send_test_alert", "test_alert"]

TEST_TEXT = "This is a test alert from Radar: your channel works."


def test_alert(topic: str) -> tuple[Article, list[Tag]]:
    """The sample article of a test send, tagged with `topic` (the subscription's first topic)."""
    article = Article(article_id="radar-test", story_id="radar-test", feed_id=0, feed_url="", entry_key="", url="https://example.org/radar-test",
                      title="Radar test alert", text=TEST_TEXT, source="radar")
    return article, [Tag(tag=topic, score=1.0, snippets=[Snippet(text=TEST_TEXT, highlights=[Span(start=10, end=20)])])]


async def send_test_alert(url: str, topic: str, rules: ChannelRules) -> "SendResult":
    """Send the sample alert to the channel `url` with the notifier's own renderer and channels, under the same
    address policy as the notifier's sends; the answer is Apprise's result (errors included)."""
    from radar_notifier.channels import send
    from radar_notifier.render import render_alert

    article, tags = test_alert(topic)
    return await send(url, render_alert(article, tags), rules)
