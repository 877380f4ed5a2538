"""Which subscriptions an article's tags reach (pure)."""

from dataclasses import dataclass
from functools import cached_property

from radar_notifier.policy import Policy
from radar_shared.messages import Tag


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    channel_url: str
    topics: tuple[str, ...]
    watch_ids: tuple[int, ...]
    min_score: float = 0.0
    enabled: bool = True
    policy: Policy = Policy()

    @cached_property
    def wanted(self) -> frozenset[str]:
        """The tags this subscription follows: its topics and `watch:<id>` for its watches."""
        return frozenset(self.topics) | {f"watch:{w}" for w in self.watch_ids}


def matching_tags(subscription: SubscriptionView, tags: list[Tag]) -> list[Tag]:
    """The tags that make this subscription fire: its topics or its watches, at or above its minimum score."""
    wanted = subscription.wanted
    return [t for t in tags if t.tag in wanted and t.score >= subscription.min_score]


def match_subscriptions(subscriptions: list[SubscriptionView], tags: list[Tag]) -> list[tuple[SubscriptionView, list[Tag]]]:
    out = []
    for sub in subscriptions:
        if sub.enabled and (hits := matching_tags(sub, tags)):
            out.append((sub, hits))
    return out
