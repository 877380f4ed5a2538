"""Fan-out of a batch of ArticleClassified (pure): which subscriptions get which article, now or in a digest.

Each matching subscription gets one alert per story (the store refuses a second row for the same subscription
and story), carrying the article without its text and only the tags that subscription follows. An alert of a
digest subscription is queued until the digest's next due time; every other alert is sent now.
"""

from dataclasses import dataclass, field
from datetime import datetime

from radar_notifier.policy import next_digest_at
from radar_notifier.routing import SubscriptionIndex, SubscriptionView
from radar_notifier.store import ArticleDeliveries, DueRetry
from radar_shared.messages import AlertRecord, ArticleClassified


@dataclass
class FanOut:
    """The rows to record for a batch, per article, and each article's alert per subscription id."""

    articles: list[ArticleDeliveries] = field(default_factory=list)
    alerts: list[dict[int, AlertRecord]] = field(default_factory=list)
    queued: int = 0  # alerts queued for a digest


def fan_out(events: list[ArticleClassified], subscriptions: list[SubscriptionView], now: datetime) -> FanOut:
    out = FanOut()
    index = SubscriptionIndex.of(subscriptions)
    for event in events:
        a = event.article
        items = []
        by_sub: dict[int, AlertRecord] = {}
        for sub, tags in index.match(event.tags):
            alert = AlertRecord.of(event, tags)  # the article without its text: alerts show the evidence
            due = next_digest_at(sub.policy, now) if sub.policy.mode == "digest" else None
            items.append((sub.id, [t.tag for t in tags], alert, due))
            by_sub[sub.id] = alert
            out.queued += due is not None
        if items:
            out.articles.append(ArticleDeliveries(a.story_id, a.article_id, a.title, items))
            out.alerts.append(by_sub)
    return out


def to_send(plan: FanOut, recorded: list[list[tuple[int, int]]], channel_urls: dict[int, str]) -> list[DueRetry]:
    """The new rows to send now (`recorded`: per article, the (subscription id, delivery id) that store.record_many
    created), as claimed deliveries with no attempt spent."""
    return [
        DueRetry(delivery_id, sub_id, channel_urls[sub_id], 0, by_sub[sub_id])
        for by_sub, new in zip(plan.alerts, recorded, strict=True)
        for sub_id, delivery_id in new
    ]
