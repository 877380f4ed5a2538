"""The control plane's service layer: the rules the CLI (and later the API) share."""

import pytest

from radar_api import service
from tests.support.notifier import local_rules


def test_feed_add_remove_and_add_again(database_url: str) -> None:
    feed = service.add_feed(database_url, "https://news.example/rss", "News")
    with pytest.raises(service.ConfigError, match="already exists"):
        service.add_feed(database_url, "https://news.example/rss")
    service.remove_feed(database_url, feed.id)
    again = service.add_feed(database_url, "https://news.example/rss")
    assert again.id == feed.id and again.enabled and again.title == "News"


@pytest.mark.parametrize(
    ("url", "message"),
    [("http://10.1.2.3/feed", "not a public address"), ("ftp://news.example/feed", "only http"), ("http://user:pw@news.example/", "credentials")],
)
def test_feed_urls_are_checked_when_added(database_url: str, url: str, message: str) -> None:
    with pytest.raises(service.ConfigError, match=message):
        service.add_feed(database_url, url)


def test_subscription_rules(database_url: str) -> None:
    with pytest.raises(service.ConfigError, match="at least one topic or watch"):
        service.add_subscription(database_url, "slack://T00000000/B00000000/radartestwebhooktoken000", [], [], 0.0, local_rules("slack"))
    with pytest.raises(service.ConfigError, match="watch 99 does not exist"):
        service.add_subscription(database_url, "slack://T00000000/B00000000/radartestwebhooktoken000", [], [99], 0.0, local_rules("slack"))
    with pytest.raises(service.ConfigError, match="min_score"):
        service.add_subscription(database_url, "slack://T00000000/B00000000/radartestwebhooktoken000", ["dprk-sanctions"], [], 1.5, local_rules("slack"))
    sub = service.add_subscription(database_url, "slack://T00000000/B00000000/radartestwebhooktoken000", ["dprk-sanctions"], [], 0.5, local_rules("slack"))
    [row] = service.list_subscriptions(database_url)
    assert row.id == sub.id and "radartestwebhooktoken000" not in row.channel, "channels are shown masked"
