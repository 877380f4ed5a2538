"""The transactional outbox that services publish their events from (IO): the feed-watcher's seen_entry and
the notifier's alert_outbox.

A service writes an event's row in the same transaction as the state change that the event reports, and
relay() publishes the rows and marks them published once Kafka acknowledged them. So no event is lost to a
crash or a broker outage, and nothing waits on the broker but the relay. Replicas share rows through claims
(one conditional UPDATE, alike on SQLite and PostgreSQL). A claim left by a crashed process expires and the
row is published again: the same event (same event_id), at least once, and only across a crash between the
acknowledgement and the mark. A row that Kafka refuses for good (larger than the producer's
max.request.size) is marked failed, is not retried, and is handed to the caller to report; it never holds up
the rows after it.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from aiokafka.errors import MessageSizeTooLargeError
from sqlalchemy import delete, update
from sqlmodel import SQLModel, col, select

from radar_shared.db import session_scope

# Errors after which publishing the same bytes again can never succeed.
PERMANENT_PUBLISH_ERRORS: tuple[type[BaseException], ...] = (MessageSizeTooLargeError,)

Publish = Callable[[dict[str, Any]], Awaitable[Any]]
OnFailed = Callable[[int, dict[str, Any], BaseException], Awaitable[Any]]


def _waiting(table: type[SQLModel]) -> Any:
    return col(table.published_at).is_(None) & col(table.failed_at).is_(None)  # type: ignore[attr-defined]


def claim(db: str, table: type[SQLModel], owner: str, now: datetime, claim_seconds: float, limit: int = 500) -> list[tuple[int, dict[str, Any]]]:
    """Claim rows to publish, oldest first: unpublished, not failed, and unclaimed or claimed by a process gone quiet.
    The conditional UPDATE returns exactly the rows it claimed (a replica that claimed one first keeps it)."""
    t: Any = table.__table__  # type: ignore[attr-defined]
    until = now + timedelta(seconds=claim_seconds)
    waiting = t.c.published_at.is_(None) & t.c.failed_at.is_(None)
    free = t.c.claimed_until.is_(None) | (t.c.claimed_until < now)
    with session_scope(db) as s:
        ids: Sequence[int] = s.connection().execute(select(t.c.id).where(waiting, free).order_by(t.c.id).limit(limit)).scalars().all()
        if not ids:
            return []
        rows = s.connection().execute(update(t).where(t.c.id.in_(ids), waiting, free).values(claimed_by=owner, claimed_until=until).returning(t.c.id, t.c.payload))
        return sorted((r.id, r.payload) for r in rows if r.payload is not None)


def mark_published(db: str, table: type[SQLModel], ids: list[int], now: datetime) -> None:
    t: Any = table
    with session_scope(db) as s:
        s.execute(update(t).where(col(t.id).in_(ids)).values(published_at=now, payload=None, claimed_until=None))


def release(db: str, table: type[SQLModel], ids: list[int], owner: str) -> None:
    """Give up this owner's claims on rows it could not publish, so that the next round retries them at once."""
    t: Any = table
    with session_scope(db) as s:
        s.execute(update(t).where(col(t.id).in_(ids), t.claimed_by == owner, _waiting(t)).values(claimed_until=None))


def mark_failed(db: str, table: type[SQLModel], failures: list[tuple[int, str]], now: datetime) -> None:
    """Rows that Kafka refused for good: kept, with the error, and never claimed again."""
    t: Any = table
    with session_scope(db) as s:
        for row_id, error in failures:
            s.execute(update(t).where(t.id == row_id).values(failed_at=now, publish_error=error[:2000], payload=None, claimed_until=None))


def prune_published(db: str, table: type[SQLModel], before: datetime, limit: int = 10_000) -> int:
    """Delete up to `limit` rows published before `before`; return how many. Only for an outbox whose rows are
    plumbing once published (the notifier's): the feed-watcher's seen_entry is also its memory of entries."""
    t: Any = table
    with session_scope(db) as s:
        ids = list(s.exec(select(t.id).where(col(t.published_at) < before).order_by(col(t.id)).limit(limit)).all())
        if ids:
            s.execute(delete(t).where(col(t.id).in_(ids)))
        return len(ids)


def unpublished(db: str, table: type[SQLModel]) -> list[int]:
    """Ids of the rows still waiting to be published."""
    t: Any = table
    with session_scope(db) as s:
        return list(s.exec(select(t.id).where(_waiting(t))).all())


async def relay(
    db: str,
    table: type[SQLModel],
    owner: str,
    claim_seconds: float,
    publish: Publish,
    on_failed: OnFailed,
    clock: Callable[[], datetime],
) -> int:
    """Publish what the outbox holds, a claimed batch at a time, concurrently (the producer batches it), and
    mark each batch in one statement right after the acknowledgements. Returns how many were published.

    A row refused for good is marked failed and passed to `on_failed`; any other error (the broker is down)
    is raised once the batch's successes are marked, and the rows that failed are released: they stay in the
    outbox and the next round publishes them, with no wait for their claim to expire.
    """
    sent = 0
    while rows := await asyncio.to_thread(claim, db, table, owner, clock(), claim_seconds):
        results = await asyncio.gather(*(publish(payload) for _, payload in rows), return_exceptions=True)
        done = [row_id for (row_id, _), result in zip(rows, results, strict=True) if not isinstance(result, BaseException)]
        refused = [(row_id, payload, r) for (row_id, payload), r in zip(rows, results, strict=True) if isinstance(r, PERMANENT_PUBLISH_ERRORS)]
        if done:
            await asyncio.to_thread(mark_published, db, table, done, clock())
            sent += len(done)
        if refused:
            await asyncio.to_thread(mark_failed, db, table, [(row_id, f"{type(e).__name__}: {e}") for row_id, _, e in refused], clock())
            for row_id, payload, error in refused:
                await on_failed(row_id, payload, error)
        errors = [(row_id, r) for (row_id, _), r in zip(rows, results, strict=True) if isinstance(r, BaseException) and not isinstance(r, PERMANENT_PUBLISH_ERRORS)]
        if errors:
            await asyncio.to_thread(release, db, table, [row_id for row_id, _ in errors], owner)
            raise errors[0][1]
    return sent
