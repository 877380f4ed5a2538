from radar_notifier.routing import SubscriptionView, match_subscriptions
from radar_shared.messages import Tag

TAGS = [Tag(tag="dprk-sanctions", score=0.9), Tag(tag="russia-dprk-smuggling", score=0.55), Tag(tag="watch:3", kind="watch", score=1.0)]


def sub(i: int, topics=(), watches=(), min_score=0.0, enabled=True) -> SubscriptionView:  # type: ignore[no-untyped-def]
    return SubscriptionView(i, "mailto://x", tuple(topics), tuple(watches), min_score, enabled)


def test_topics_watches_and_min_score() -> None:
    subs = [sub(1, ["dprk-sanctions"]), sub(2, ["russia-dprk-smuggling"], min_score=0.6), sub(3, watches=[3]), sub(4, watches=[4]), sub(5, ["dprk-sanctions"], enabled=False),
            sub(6, ["dprk-sanctions", "russia-dprk-smuggling"])]
    result = {s.id: [t.tag for t in tags] for s, tags in match_subscriptions(subs, TAGS)}
    assert result == {1: ["dprk-sanctions"], 3: ["watch:3"], 6: ["dprk-sanctions", "russia-dprk-smuggling"]}
