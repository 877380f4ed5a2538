"""Feed-watcher persistence (IO): leased due feeds, feed_state, seen_entry as the outbox, story fingerprints.

Replicas share the work safely: a feed is polled only by the watcher that holds its lease, and an outbox
row is published only by the watcher that claimed it. Both are single conditional UPDATEs, which work
alike on SQLite and PostgreSQL.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Float, String, Table, bindparam, case, func, or_, update
from sqlmodel import Session, col, select

from radar_feed_watcher.stories import STORY_WINDOW, TITLE_WINDOW, SeenArticle, StoryPrint, decide_story, near_duplicate_story
from radar_shared import outbox as outbox_table
from radar_shared.db import as_utc, session_scope
from radar_shared.db import dialect_insert as _insert
from radar_shared.models import Feed, FeedState, SeenEntry, StoryFingerprint


@dataclass(frozen=True)
class DueFeed:
    id: int
    url: str  # where to fetch: the effective URL after a permanent redirect
    configured_url: str
    interval_seconds: float | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    error_streak: int
    item_digests: frozenset[str] = frozenset()
    full_text_below_chars: int | None = None  # fetch the article page for entries with less text than this
    allowed_networks: tuple[str, ...] = ()  # what its redirects and article pages may reach beyond public addresses


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def lease_due_feeds(db: str, now: datetime, owner: str, lease_seconds: float, limit: int = 1000) -> list[DueFeed]:
    """Lease up to `limit` due feeds to `owner`; a feed leased by another live watcher is skipped."""
    until = now + timedelta(seconds=lease_seconds)
    with session_scope(db) as s:
        missing = s.exec(select(Feed.id).where(col(Feed.enabled), ~col(Feed.id).in_(select(FeedState.feed_id)))).all()
        for feed_id in missing:
            s.execute(_insert(s)(FeedState).values(feed_id=feed_id, error_streak=0, polls=0).on_conflict_do_nothing(index_elements=["feed_id"]))
        due = s.exec(
            select(FeedState.feed_id)
            .join(Feed, col(Feed.id) == col(FeedState.feed_id))
            .where(col(Feed.enabled))
            .where(or_(col(FeedState.next_poll_at).is_(None), col(FeedState.next_poll_at) <= now))
            .where(or_(col(FeedState.lease_until).is_(None), col(FeedState.lease_until) < now))
            .order_by(col(FeedState.next_poll_at))
            .limit(limit)
        ).all()
        if not due:
            return []
        s.execute(
            update(FeedState)
            .where(col(FeedState.feed_id).in_(due))
            .where(or_(col(FeedState.lease_until).is_(None), col(FeedState.lease_until) < now))
            .values(lease_owner=owner, lease_until=until)
        )
        s.commit()
        rows = s.exec(
            select(Feed, FeedState).join(FeedState, col(FeedState.feed_id) == col(Feed.id)).where(col(FeedState.feed_id).in_(due), FeedState.lease_owner == owner)
        ).all()
    return [
        DueFeed(f.id, st.effective_url or f.url, f.url, f.poll_interval_seconds, st.etag, st.last_modified, st.body_hash, st.error_streak,  # type: ignore[arg-type]
                frozenset(st.item_digests or ()), f.full_text_below_chars, tuple(f.allowed_networks or ()))
        for f, st in rows
        if as_utc(st.lease_until) == until
    ]


def renew_leases(db: str, feed_ids: list[int], owner: str, until: datetime) -> int:
    """Extend `owner`'s leases of feeds it is still polling (or about to), so no one polls them twice meanwhile."""
    if not feed_ids:
        return 0
    with session_scope(db) as s:
        result = cast(CursorResult, s.execute(update(FeedState).where(col(FeedState.feed_id).in_(feed_ids), col(FeedState.lease_owner) == owner).values(lease_until=until)))
        return result.rowcount or 0


def _state(s: Session, feed_id: int) -> FeedState:
    return s.get(FeedState, feed_id) or FeedState(feed_id=feed_id)


def _release(st: FeedState) -> None:
    st.lease_owner, st.lease_until = None, None


@dataclass(frozen=True)
class PollOutcome:
    """What a poll without new content did to a feed: unchanged (304 or same body) or an error."""

    feed_id: int
    now: datetime
    next_poll: datetime
    status: int | None
    interval: float | None = None
    moved_to: str | None = None
    error_kind: str | None = None
    error: str | None = None


def write_outcomes(db: str, outcomes: list[PollOutcome]) -> None:
    """Record many polls in one transaction (two executemany UPDATEs); each also releases the feed's lease.

    Most polls are 304s: writing them in batches rather than one transaction each is what lets one watcher
    keep up with ten thousand feeds.
    """
    unchanged = [o for o in outcomes if o.error_kind is None]
    failed = [o for o in outcomes if o.error_kind is not None]
    table = cast(Table, FeedState.__table__)  # type: ignore[attr-defined]
    fs = table.c
    with session_scope(db) as s:
        if unchanged:
            s.execute(
                update(table)
                .where(fs.feed_id == bindparam("b_feed"))
                .values(
                    last_status=bindparam("b_status"), last_poll_at=bindparam("b_now"), last_success_at=bindparam("b_now"),
                    next_poll_at=bindparam("b_next"), error_streak=0, polls=fs.polls + 1, gone_at=None,
                    interval_seconds=func.coalesce(bindparam("b_interval", type_=Float), fs.interval_seconds),
                    effective_url=func.coalesce(bindparam("b_moved", type_=String), fs.effective_url),
                    lease_owner=None, lease_until=None,
                ),
                [{"b_feed": o.feed_id, "b_status": o.status, "b_now": o.now, "b_next": o.next_poll, "b_interval": o.interval, "b_moved": o.moved_to} for o in unchanged],
            )
        if failed:
            s.execute(
                update(table)
                .where(fs.feed_id == bindparam("b_feed"))
                .values(
                    last_status=bindparam("b_status"), last_poll_at=bindparam("b_now"), next_poll_at=bindparam("b_next"),
                    error_streak=fs.error_streak + 1, polls=fs.polls + 1,
                    last_error=bindparam("b_error"), last_error_kind=bindparam("b_kind"), last_error_at=bindparam("b_now"),
                    gone_at=case((bindparam("b_kind") == "gone", func.coalesce(fs.gone_at, bindparam("b_now"))), else_=fs.gone_at),
                    lease_owner=None, lease_until=None,
                ),
                [{"b_feed": o.feed_id, "b_status": o.status, "b_now": o.now, "b_next": o.next_poll, "b_error": (o.error or "")[:2000], "b_kind": o.error_kind} for o in failed],
            )


def assign_story(s: Session, article_id: str, canonical_story: str, title: str, text: str, now: datetime) -> str:
    """The story_id of an article (stories.py decides; this looks up the candidates). The fingerprint is stored
    for the articles that follow."""
    fp = StoryPrint.of(title, text)
    recent = col(StoryFingerprint.created_at) >= now - STORY_WINDOW
    band_cols = [StoryFingerprint.band0, StoryFingerprint.band1, StoryFingerprint.band2, StoryFingerprint.band3,
                 StoryFingerprint.band4, StoryFingerprint.band5, StoryFingerprint.band6, StoryFingerprint.band7]
    candidates = s.exec(
        select(StoryFingerprint).where(recent, or_(*(col(c) == b for c, b in zip(band_cols, fp.bands, strict=True)))).order_by(col(StoryFingerprint.id)).limit(200)
    ).all()
    near = near_duplicate_story(article_id, fp, (SeenArticle(c.story_id, c.article_id, c.simhash) for c in candidates))
    same_title = None
    if near is None and fp.title_key:
        row = s.exec(
            select(StoryFingerprint).where(StoryFingerprint.title_key == fp.title_key, col(StoryFingerprint.created_at) >= now - TITLE_WINDOW)
            .order_by(col(StoryFingerprint.id))
        ).first()
        same_title = row.story_id if row else None
    story = decide_story(near, same_title, canonical_story)
    s.add(StoryFingerprint(story_id=story, article_id=article_id, simhash=fp.simhash, title_key=fp.title_key, created_at=now,
                           **{f"band{i}": b for i, b in enumerate(fp.bands)}))
    return story


def record_fetched(
    db: str,
    feed_id: int,
    *,
    status: int,
    etag: str | None,
    last_modified: str | None,
    digest: str,
    now: datetime,
    next_poll: datetime,
    outbox: list[tuple[str, str, dict[str, Any]]],
    interval: float | None = None,
    typical_gap: float | None = None,
    latest_entry_at: datetime | None = None,
    moved_to: str | None = None,
    item_digests: list[str] | None = None,
    encoding: str | None = None,
    refused: Sequence[tuple[str, str, str]] = (),
    pages: tuple[int, int, str | None] = (0, 0, None),
) -> int:
    """Store the poll and the new entries (entry_key, article_id, event payload) in one transaction.

    Entries already seen for this feed are skipped by the unique (feed_id, entry_key) constraint, so two
    watchers racing on one feed store each entry once. New entries get their story_id here; new capped
    entries are counted on the feed. `refused` entries (entry_key, article_id, error) are too large to
    publish: they are stored as failed, never published, and counted on the feed with their error. `pages` is
    (article pages used, pages that failed, the last failure). Returns how many entries were new.
    """
    with session_scope(db) as s:
        st = _state(s, feed_id)
        st.etag, st.last_modified, st.body_hash, st.last_status = etag, last_modified, digest, status
        st.last_poll_at, st.last_success_at, st.next_poll_at = now, now, next_poll
        st.error_streak, st.polls, st.gone_at = 0, st.polls + 1, None
        st.interval_seconds = interval or st.interval_seconds
        st.typical_gap_seconds = typical_gap or st.typical_gap_seconds
        if latest_entry_at and (st.latest_entry_at is None or latest_entry_at > as_utc(st.latest_entry_at)):  # type: ignore[operator]
            st.latest_entry_at = latest_entry_at
        st.effective_url = moved_to or st.effective_url
        if item_digests is not None:
            st.item_digests = item_digests
        st.encoding = encoding or st.encoding
        st.pages_fetched = (st.pages_fetched or 0) + pages[0]
        st.pages_failed = (st.pages_failed or 0) + pages[1]
        st.last_page_error = pages[2] or st.last_page_error
        _release(st)
        for key, aid, error in refused:
            stmt = _insert(s)(SeenEntry).values(feed_id=feed_id, entry_key=key, article_id=aid, first_seen_at=now, failed_at=now, publish_error=error[:2000])
            if s.execute(stmt.on_conflict_do_nothing(index_elements=["feed_id", "entry_key"]).returning(SeenEntry.id)).first() is not None:
                st.entries_failed = (st.entries_failed or 0) + 1
                st.last_entry_error = error[:2000]
        new = 0
        for key, aid, payload in outbox:
            stmt = _insert(s)(SeenEntry).values(feed_id=feed_id, entry_key=key, article_id=aid, first_seen_at=now, payload=payload)
            inserted = s.execute(stmt.on_conflict_do_nothing(index_elements=["feed_id", "entry_key"]).returning(SeenEntry.id)).first()
            if inserted is None:  # rowcount is -1 on PostgreSQL for ON CONFLICT DO NOTHING
                continue
            new += 1
            article = payload.get("article", {})
            if article.get("truncated"):
                st.entries_truncated = (st.entries_truncated or 0) + 1
            if article:
                article["story_id"] = assign_story(s, aid, article["story_id"], article.get("title", ""), article.get("text", ""), now)
                row = s.get(SeenEntry, inserted[0])
                row.payload = dict(payload)  # type: ignore[union-attr]
                s.add(row)
        if new:
            st.last_new_entry_at = now
        s.add(st)
        return new


def known_entry_keys(db: str, feed_id: int, keys: list[str]) -> set[str]:
    with session_scope(db) as s:
        return set(s.exec(select(SeenEntry.entry_key).where(SeenEntry.feed_id == feed_id, col(SeenEntry.entry_key).in_(keys))).all())


def claim_unpublished(db: str, owner: str, now: datetime, claim_seconds: float, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
    """Claim outbox rows to publish: unpublished, and unclaimed or claimed by a watcher that has gone quiet."""
    return outbox_table.claim(db, SeenEntry, owner, now, claim_seconds, limit)


def unpublished(db: str) -> list[int]:
    return outbox_table.unpublished(db, SeenEntry)


def record_entry_failure(db: str, feed_id: int, error: str) -> None:
    """An entry of the feed that Kafka refused for good: counted on the feed, with the error, for operators."""
    with session_scope(db) as s:
        s.execute(
            update(FeedState)
            .where(col(FeedState.feed_id) == feed_id)
            .values(entries_failed=col(FeedState.entries_failed) + 1, last_entry_error=error[:2000])
        )


@dataclass(frozen=True)
class FeedHealth:
    feeds: int
    stale: int
    failing: int
    max_lag_seconds: float


def feed_health(db: str, now: datetime, stale_factor: float, stale_min_seconds: float) -> FeedHealth:
    from radar_feed_watcher.scheduler import is_stale

    with session_scope(db) as s:
        rows = s.exec(select(FeedState).join(Feed, col(Feed.id) == col(FeedState.feed_id)).where(col(Feed.enabled))).all()
    stale = sum(is_stale(now, as_utc(r.latest_entry_at), r.typical_gap_seconds, stale_factor, stale_min_seconds) for r in rows)
    lags = [(now - as_utc(r.next_poll_at)).total_seconds() for r in rows if r.next_poll_at is not None and as_utc(r.next_poll_at) < now]  # type: ignore[operator]
    return FeedHealth(len(rows), stale, sum(r.error_streak > 0 for r in rows), max(lags, default=0.0))
