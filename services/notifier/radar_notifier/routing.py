"""Which subscriptions an article's tags reach (pure).

A watchlist tag reaches a subscription only through the matches its owner has not cleared: an analyst's clear of
an entry (list, entry id) or of one alias of it removes those matches, and a tag left with none does not count.
The store hands each subscription only the clears still valid (made on the entry as it is listed now), so an
entry that changes on the list alerts again.
"""

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
    cleared: frozenset[tuple[str, str, str]] = frozenset()  # (list, entry id, alias; "" = the whole entry)

    @cached_property
    def wanted(self) -> frozenset[str]:
        """The tags this subscription follows: its topics and `watch:<id>` for its watches."""
        return frozenset(self.topics) | {f"watch:{w}" for w in self.watch_ids}


def matching_tags(subscription: SubscriptionView, tags: list[Tag]) -> list[Tag]:
    """The tags that make this subscription fire: its topics or its watches, at or above its minimum score."""
    wanted = subscription.wanted
    return [u for t in tags if t.tag in wanted and t.score >= subscription.min_score if (u := uncleared(t, subscription.cleared)) is not None]


def uncleared(tag: Tag, cleared: frozenset[tuple[str, str, str]]) -> Tag | None:
    """`tag` without the watchlist matches in `cleared`, or None when none is left. Other tags pass unchanged."""
    if not cleared or tag.kind != "watchlist" or not tag.tag.startswith("watchlist:"):
        return tag
    list_name = tag.tag.removeprefix("watchlist:")
    kept = [
        m for m in tag.matched
        if not m.entity_id or ((list_name, m.entity_id, "") not in cleared and (list_name, m.entity_id, m.listed_name) not in cleared)
    ]
    if len(kept) == len(tag.matched):
        return tag
    return tag.model_copy(update={"matched": kept}) if kept else None


def match_subscriptions(subscriptions: list[SubscriptionView], tags: list[Tag]) -> list[tuple[SubscriptionView, list[Tag]]]:
    """The subscriptions that the tags reach, in the list's order, each with its matching_tags."""
    return SubscriptionIndex.of(subscriptions).match(tags)


@dataclass(frozen=True)
class SubscriptionIndex:
    """The enabled subscriptions by the tags they follow: an article is matched in time proportional to its tags
    and the subscriptions they reach, not to every subscription (fan_out builds one per batch)."""

    position: dict[int, int]  # subscription id → its place in the list
    by_tag: dict[str, list[SubscriptionView]]

    @classmethod
    def of(cls, subscriptions: list[SubscriptionView]) -> "SubscriptionIndex":
        by_tag: dict[str, list[SubscriptionView]] = {}
        for sub in subscriptions:
            if sub.enabled:
                for tag in sub.wanted:
                    by_tag.setdefault(tag, []).append(sub)
        return cls({sub.id: i for i, sub in enumerate(subscriptions)}, by_tag)

    def match(self, tags: list[Tag]) -> list[tuple[SubscriptionView, list[Tag]]]:
        """What matching_tags gives for each subscription with a hit, in the list's order."""
        hits: dict[int, tuple[SubscriptionView, list[Tag]]] = {}
        for tag in tags:
            for sub in self.by_tag.get(tag.tag, ()):
                if tag.score >= sub.min_score and (kept := uncleared(tag, sub.cleared)) is not None:
                    hits.setdefault(sub.id, (sub, []))[1].append(kept)
        return sorted(hits.values(), key=lambda hit: self.position[hit[0].id])
