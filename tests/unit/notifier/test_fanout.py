"""Fan-out (pure): one alert per matching subscription, with only the tags it follows, now or queued for a digest."""

from datetime import UTC, datetime

from radar_notifier.fanout import fan_out, to_send
from radar_notifier.policy import Policy
from radar_notifier.routing import SubscriptionView
from radar_shared.messages import Article, ArticleClassified, Tag

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
SANCTIONS = SubscriptionView(1, "mailto://a.example", ("dprk-sanctions",), ())
WATCH_DIGEST = SubscriptionView(2, "slack://T/B/x", (), (7,), policy=Policy(mode="digest", digest_schedule="hourly"))


def classified(n: int, *tags: str) -> ArticleClassified:
    article = Article(article_id=f"a{n}", story_id=f"s{n}", feed_id=1, feed_url="https://f.example/rss", entry_key=f"k{n}",
                      url=f"https://news.example/{n}", title=f"Title {n}", text="the whole text", summary_html="<p>summary</p>")
    return ArticleClassified(article=article, tags=[Tag(tag=t, score=0.9) for t in tags], classifier_version="rules:test", discovered_at=NOW)


def test_each_subscription_gets_its_own_tags_and_digests_are_queued() -> None:
    plan = fan_out([classified(1, "dprk-sanctions", "watch:7"), classified(2, "russia-dprk-smuggling"), classified(3, "watch:7")],
                   [SANCTIONS, WATCH_DIGEST], NOW)
    assert [(a.story_id, [(sub, tags, due is not None) for sub, tags, _, due in a.items]) for a in plan.articles] == [
        ("s1", [(1, ["dprk-sanctions"], False), (2, ["watch:7"], True)]),
        ("s3", [(2, ["watch:7"], True)]),
    ], "an article no subscription follows is left out"
    assert plan.queued == 2 and [a.items[1][3] for a in plan.articles[:1]] == [datetime(2026, 12, 2, 10, 0, tzinfo=UTC)]
    alert = plan.alerts[0][2]  # per subscription id
    assert [t.tag for t in alert.tags] == ["watch:7"] and alert.discovered_at == NOW
    assert alert.article.text == "" and alert.article.summary_html == "", "alerts show the evidence, not the whole text"
    assert "text" not in alert.stored()["article"]


def test_only_the_new_rows_to_send_now_are_claimed() -> None:
    plan = fan_out([classified(1, "dprk-sanctions", "watch:7")], [SANCTIONS, WATCH_DIGEST], NOW)
    [due] = to_send(plan, [[(1, 41)]], {1: SANCTIONS.channel_url, 2: WATCH_DIGEST.channel_url})
    assert (due.delivery_id, due.subscription_id, due.channel_url, due.attempts) == (41, 1, "mailto://a.example", 0)
    assert due.alert is plan.alerts[0][1], "the same model, not a copy validated again"
    assert to_send(plan, [[]], {1: SANCTIONS.channel_url}) == [], "a redelivered article has no new rows"
