import random

from radar_notifier.routing import SubscriptionIndex, SubscriptionView, match_subscriptions, matching_tags
from radar_shared.messages import Tag

TAGS = [Tag(tag="dprk-sanctions", score=0.9), Tag(tag="russia-dprk-smuggling", score=0.55), Tag(tag="watch:3", kind="watch", score=1.0)]


def sub(i: int, topics=(), watches=(), min_score=0.0, enabled=True) -> SubscriptionView:  # type: ignore[no-untyped-def]
    return SubscriptionView(i, "mailto://x", tuple(topics), tuple(watches), min_score, enabled)


def test_topics_watches_and_min_score() -> None:
    subs = [sub(1, ["dprk-sanctions"]), sub(2, ["russia-dprk-smuggling"], min_score=0.6), sub(3, watches=[3]), sub(4, watches=[4]), sub(5, ["dprk-sanctions"], enabled=False),
            sub(6, ["dprk-sanctions", "russia-dprk-smuggling"])]
    result = {s.id: [t.tag for t in tags] for s, tags in match_subscriptions(subs, TAGS)}
    assert result == {1: ["dprk-sanctions"], 3: ["watch:3"], 6: ["dprk-sanctions", "russia-dprk-smuggling"]}


def test_the_index_matches_as_checking_every_subscription_does_in_the_list_s_order() -> None:
    rng = random.Random(13)
    names = [f"topic-{i}" for i in range(8)] + [f"watch:{i}" for i in range(8)]
    subs = [sub(i, rng.sample(names[:8], rng.randint(0, 3)), rng.sample(range(8), rng.randint(0, 2)), rng.choice([0.0, 0.5, 0.8]), rng.random() > 0.1)
            for i in rng.sample(range(1000), 200)]
    index = SubscriptionIndex.of(subs)
    for _ in range(200):
        tags = [Tag(tag=rng.choice(names), score=round(rng.random(), 2)) for _ in range(rng.randint(0, 4))]
        expected = [(s.id, [t.tag for t in hits]) for s in subs if s.enabled and (hits := matching_tags(s, tags))]
        assert [(s.id, [t.tag for t in hits]) for s, hits in index.match(tags)] == expected
