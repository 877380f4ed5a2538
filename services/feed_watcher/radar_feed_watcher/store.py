"""Feed-watcher persistence (IO): due feeds, feed_state, and seen_entry as the outbox of ArticleDiscovered."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from radar_shared.db import as_utc, session_scope
from radar_shared.models import Feed, FeedState, SeenEntry


@dataclass(frozen=True)
class DueFeed:
    id: int
    url: str
    interval_seconds: float | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    error_streak: int


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def load_due_feeds(db: str, now: datetime) -> list[DueFeed]:
    with session_scope(db) as s:
        rows = s.exec(select(Feed, FeedState).join(FeedState, col(FeedState.feed_id) == col(Feed.id), isouter=True).where(col(Feed.enabled))).all()
    due = []
    for feed, state in rows:
        if state is not None and state.next_poll_at is not None and as_utc(state.next_poll_at) > now:  # type: ignore[operator]
            continue
        due.append(
            DueFeed(
                id=feed.id,  # type: ignore[arg-type]
                url=feed.url,
                interval_seconds=feed.poll_interval_seconds,
                etag=state.etag if state else None,
                last_modified=state.last_modified if state else None,
                body_hash=state.body_hash if state else None,
                error_streak=state.error_streak if state else 0,
            )
        )
    return due


def _state(s: Any, feed_id: int) -> FeedState:
    return s.get(FeedState, feed_id) or FeedState(feed_id=feed_id)


def record_unchanged(db: str, feed_id: int, status: int, now: datetime, next_poll: datetime) -> None:
    """A 304, or a 200 whose body hash did not change."""
    with session_scope(db) as s:
        st = _state(s, feed_id)
        st.last_status, st.last_poll_at, st.last_success_at, st.next_poll_at = status, now, now, next_poll
        st.error_streak, st.polls = 0, st.polls + 1
        s.add(st)


def record_error(db: str, feed_id: int, kind: str, message: str, status: int | None, now: datetime, next_poll: datetime) -> int:
    """Record a failed poll; return the new error streak."""
    with session_scope(db) as s:
        st = _state(s, feed_id)
        st.last_poll_at, st.next_poll_at, st.last_status = now, next_poll, status
        st.error_streak, st.polls = st.error_streak + 1, st.polls + 1
        st.last_error, st.last_error_kind, st.last_error_at = message[:2000], kind, now
        s.add(st)
        return st.error_streak


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
) -> int:
    """Store the poll and the new entries (entry_key, article_id, event payload) in one transaction.

    Entries already seen for this feed are skipped by the unique (feed_id, entry_key) constraint, so two
    watchers racing on one feed store each entry once. Returns how many entries were new.
    """
    with session_scope(db) as s:
        st = _state(s, feed_id)
        st.etag, st.last_modified, st.body_hash, st.last_status = etag, last_modified, digest, status
        st.last_poll_at, st.last_success_at, st.next_poll_at = now, now, next_poll
        st.error_streak, st.polls = 0, st.polls + 1
        new = 0
        if outbox:
            dialect = s.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            for key, aid, payload in outbox:
                stmt = insert(SeenEntry).values(feed_id=feed_id, entry_key=key, article_id=aid, first_seen_at=now, payload=payload)
                inserted = s.execute(stmt.on_conflict_do_nothing(index_elements=["feed_id", "entry_key"]).returning(SeenEntry.id)).first()
                new += inserted is not None  # rowcount is -1 on PostgreSQL for ON CONFLICT DO NOTHING
            if new:
                st.last_new_entry_at = now
        s.add(st)
        return new


def known_entry_keys(db: str, feed_id: int, keys: list[str]) -> set[str]:
    with session_scope(db) as s:
        return set(s.exec(select(SeenEntry.entry_key).where(SeenEntry.feed_id == feed_id, col(SeenEntry.entry_key).in_(keys))).all())


def unpublished(db: str, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
    with session_scope(db) as s:
        rows = s.exec(select(SeenEntry).where(col(SeenEntry.published_at).is_(None)).order_by(col(SeenEntry.id)).limit(limit)).all()
        return [(r.id, r.payload) for r in rows if r.payload is not None]  # type: ignore[misc]


def mark_published(db: str, ids: list[int], now: datetime) -> None:
    with session_scope(db) as s:
        for row in s.exec(select(SeenEntry).where(col(SeenEntry.id).in_(ids))).all():
            row.published_at = now
            row.payload = None  # the event is in Kafka now; keep the table small
            s.add(row)
