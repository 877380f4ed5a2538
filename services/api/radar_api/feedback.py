"""Analysts' feedback on alerts (control plane): votes from the web page and from signed links in emails and
Slack messages, precision per topic and watch from those votes, and the voted articles as labelled data."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from radar_api.auth import Actor
from radar_api.service import ConfigError, NotFoundError, alert_record
from radar_shared.db import as_utc, session_scope
from radar_shared.feedback import VOTES, FeedbackTokenError, verify_vote
from radar_shared.models import Delivery, FeedbackLinkUse, FeedbackVote, Subscription

TOPIC_LABELS = {"dprk-sanctions": "dprk_sanctions", "russia-dprk-smuggling": "russia_dprk_smuggling"}


class FeedbackError(ConfigError):
    """A vote that cannot be taken; the message says why."""


LINK_USED = "feedback link: already used (each link counts once)"


def vote(db: str, delivery_id: int, choice: str, actor: Actor | None, via: str = "web", nonce: str | None = None) -> str:
    """Record `choice` on a delivery for its subscription's owner (the actor must be that owner, or an admin;
    None: a signed link, which speaks for the owner). A second vote of the same person replaces the first; a
    link's nonce counts once, ever (feedback_link_use), also after the alert's other link replaced its vote.
    Returns the alert's title."""
    if choice not in VOTES:
        raise FeedbackError(f"vote: {choice!r} is not one of {', '.join(VOTES)}")
    with session_scope(db) as s:
        row = s.exec(select(Delivery, Subscription).join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
                     .where(Delivery.id == delivery_id)).first()
        if row is None or (actor is not None and not actor.admin and row[1].owner_id != actor.user_id):
            raise NotFoundError(f"alert {delivery_id} does not exist")
        delivery, sub = row
        voter = actor.user_id if actor is not None else sub.owner_id
        if nonce is not None:
            if s.get(FeedbackLinkUse, nonce) is not None:
                raise FeedbackError(LINK_USED)
            s.add(FeedbackLinkUse(nonce=nonce, delivery_id=delivery_id))
        existing = s.exec(select(FeedbackVote).where(FeedbackVote.delivery_id == delivery_id, FeedbackVote.user_id == voter)).first()
        if existing is None:
            existing = FeedbackVote(delivery_id=delivery_id, user_id=voter, vote=choice, via=via, nonce=nonce)
        else:
            existing.vote, existing.via, existing.created_at, existing.nonce = choice, via, datetime.now(UTC), nonce
        s.add(existing)
        try:
            s.flush()
        except IntegrityError:  # the same link, twice at once
            raise FeedbackError(LINK_USED) from None
        return delivery.title


def votes_of(db: str, actor: Actor, delivery_ids: list[int]) -> dict[int, str]:
    """The actor's own votes on these deliveries."""
    if not delivery_ids:
        return {}
    with session_scope(db) as s:
        rows = s.exec(select(FeedbackVote.delivery_id, FeedbackVote.vote).where(col(FeedbackVote.delivery_id).in_(delivery_ids), FeedbackVote.user_id == actor.user_id))
        return dict(rows.all())


def vote_by_link(db: str, secret: str, token: str, choice: str | None = None, now: datetime | None = None) -> tuple[int, str, str]:
    """Check a signed link, and with `choice` (the link's own vote, confirmed) record it: (delivery, vote, title)."""
    try:
        claims = verify_vote(secret, token, now or datetime.now(UTC))
    except FeedbackTokenError as error:
        raise FeedbackError(str(error)) from None
    with session_scope(db) as s:
        if s.get(FeedbackLinkUse, claims.nonce) is not None:
            raise FeedbackError(LINK_USED)
        delivery = s.get(Delivery, claims.delivery_id)
        if delivery is None:
            raise FeedbackError("feedback link: the alert no longer exists")
        title = delivery.title
    if choice is not None:
        title = vote(db, claims.delivery_id, claims.vote, None, "link", claims.nonce)
    return claims.delivery_id, claims.vote, title


@dataclass(frozen=True)
class Precision:
    tag: str
    days: int
    alerts: int
    voted: int
    relevant: int

    @property
    def precision(self) -> float | None:
        return self.relevant / self.voted if self.voted else None


def precision_by_tag(db: str, windows: tuple[int, ...] = (7, 30), now: datetime | None = None) -> list[Precision]:
    """Per topic and watch, and per window of days: alerts sent, alerts voted, and precision from the votes
    (relevant ÷ voted). An alert that reached several people counts once per vote."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=max(windows))
    with session_scope(db) as s:
        sent = s.exec(select(Delivery.id, Delivery.tags, Delivery.sent_at).where(Delivery.status == "sent", col(Delivery.sent_at) >= since)).all()
        votes = s.exec(select(FeedbackVote.delivery_id, FeedbackVote.vote)).all()
    by_delivery: dict[int | None, list[str]] = {}
    for delivery_id, choice in votes:
        by_delivery.setdefault(delivery_id, []).append(choice)
    out: dict[tuple[str, int], list[int]] = {}
    for sent_id, tags, sent_at in sent:
        age = now - as_utc(sent_at)  # type: ignore[operator]
        for days in windows:
            if age > timedelta(days=days):
                continue
            for tag in tags or []:
                counts = out.setdefault((tag, days), [0, 0, 0])
                counts[0] += 1
                for choice in by_delivery.get(sent_id, []):
                    counts[1] += 1
                    counts[2] += choice == "relevant"
    return [Precision(tag, days, *counts) for (tag, days), counts in sorted(out.items())]


def export_votes(db: str) -> list[dict[str, Any]]:
    """The voted articles as JSON Lines rows in the corpus's format. A topic's label is the vote on an alert that
    carried it (the majority, when several people voted); a topic the classifier did not give is false, and the
    note says which labels come from votes and which from the classifier."""
    with session_scope(db) as s:
        rows = s.exec(select(Delivery, FeedbackVote).join(FeedbackVote, col(FeedbackVote.delivery_id) == col(Delivery.id)).order_by(col(Delivery.id))).all()
    articles: dict[str, dict[str, Any]] = {}
    tallies: dict[str, dict[str, list[int]]] = {}
    for delivery, v in rows:
        alert = alert_record(delivery)
        article = alert.article if alert else None
        # an alert keeps its evidence, not the article's whole text: the matched sentences stand for it
        evidence = " ".join(dict.fromkeys(s.text for t in (alert.tags if alert else []) for s in t.snippets))
        item = articles.setdefault(delivery.article_id, {
            "id": f"feedback-{delivery.article_id[:12]}", "source": article.url if article else "",
            "date": article.published_at.date().isoformat() if article and article.published_at else "",
            "title": article.title if article else delivery.title, "text": (article.text if article else "") or evidence,
            "lang": (article.lang if article else None) or "",
        })
        item.setdefault("_tags", set()).update(delivery.tags or [])
        for tag in delivery.tags or []:
            if tag in TOPIC_LABELS:
                tally = tallies.setdefault(delivery.article_id, {}).setdefault(tag, [0, 0])
                tally[0 if v.vote == "relevant" else 1] += 1
    out = []
    for article_id, item in articles.items():
        tags = item.pop("_tags")
        voted = tallies.get(article_id, {})
        notes = []
        for topic, label in TOPIC_LABELS.items():
            if topic in voted:
                yes, no = voted[topic]
                item[label] = yes > no
                notes.append(f"{label} from votes ({yes} relevant, {no} not)" + (" DEBATABLE: a tie" if yes == no else ""))
            else:
                item[label] = False
                notes.append(f"{label} not voted: the classifier {'gave' if topic in tags else 'did not give'} it")
        item["note"] = "; ".join(notes)
        out.append(item)
    return out
