"""The notifier's delivery log (IO): one row per subscription × story, claimed before sending, marked after."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, insert, or_, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from radar_notifier.policy import policy_of
from radar_notifier.routing import SubscriptionView
from radar_shared.db import as_utc, session_scope
from radar_shared.messages import AlertRecord
from radar_shared.models import AlertOutbox, Channel, Delivery, Subscription, WatchlistClear, WatchlistEntry

DELIVERY = Delivery.__table__  # type: ignore[attr-defined]
OUTBOX = AlertOutbox.__table__  # type: ignore[attr-defined]


def load_subscriptions(database_url: str) -> list[SubscriptionView]:
    """The enabled subscriptions, each with its owner's valid watchlist clears (routing.uncleared)."""
    with session_scope(database_url) as s:
        rows = s.exec(select(Subscription, Channel).join(Channel, col(Channel.id) == col(Subscription.channel_id)).where(col(Subscription.enabled))).all()
        cleared = valid_clears(s)
        return [
            SubscriptionView(
                sub.id, ch.url, tuple(sub.topics), tuple(sub.watch_ids), sub.min_score, sub.enabled,  # type: ignore[arg-type]
                policy_of(sub), cleared.get(sub.owner_id if sub.owner_id is not None else ch.owner_id, frozenset()),  # type: ignore[arg-type]
            )
            for sub, ch in rows
        ]


def valid_clears(s: Session) -> dict[int, frozenset[tuple[str, str, str]]]:
    """Per user, the clears made on an entry as it is listed now (same fingerprint): a clear of an entry that has
    since changed, or left the list, no longer suppresses anything."""
    rows = s.exec(
        select(WatchlistClear.user_id, WatchlistClear.list_name, WatchlistClear.entity_id, WatchlistClear.alias).join(
            WatchlistEntry,
            (col(WatchlistEntry.list_name) == col(WatchlistClear.list_name))
            & (col(WatchlistEntry.entity_id) == col(WatchlistClear.entity_id))
            & (col(WatchlistEntry.fingerprint) == col(WatchlistClear.fingerprint)),
        )
    ).all()
    by_user: dict[int, set[tuple[str, str, str]]] = {}
    for user_id, list_name, entity_id, alias in rows:
        by_user.setdefault(user_id, set()).add((list_name, entity_id, alias))
    return {user_id: frozenset(keys) for user_id, keys in by_user.items()}


def record(database_url: str, story_id: str, article_id: str, title: str, items: list[tuple[int, list[str], AlertRecord, datetime | None]],
           now: datetime | None = None, claim: bool = False) -> list[tuple[int, int]]:
    """Record one article's deliveries in one transaction; see record_many."""
    return record_many(database_url, [ArticleDeliveries(story_id, article_id, title, items)], now, claim)[0]


@dataclass
class ArticleDeliveries:
    """One article's deliveries to record: per (subscription id, tags, alert, digest due time or None)."""

    story_id: str
    article_id: str
    title: str
    items: list[tuple[int, list[str], AlertRecord, datetime | None]]


def record_many(database_url: str, articles: Sequence[ArticleDeliveries], now: datetime | None = None, claim: bool = False) -> list[list[tuple[int, int]]]:
    """Record the deliveries of a batch of articles in one transaction: per (subscription, tags, alert, digest due
    time), a row `pending` now, or `queued` for the digest due then. A (subscription, story) that has a row already
    is not recorded again (a redelivered message, another outlet's copy of the story, in this batch or before);
    a later report of a story still queued for a digest is added to it as coverage. With `claim`, the rows to
    send now are inserted already claimed ('sending') by the caller, which saves a statement per alert. Return,
    per article, (subscription id, delivery id) of its new rows to send now."""
    now = now or datetime.now(UTC)
    for attempt in (1, 2):
        try:
            with session_scope(database_url) as s:
                stories = sorted({a.story_id for a in articles})
                subs = sorted({i[0] for a in articles for i in a.items})
                existing = {(d.story_id, d.subscription_id): d for d in s.exec(
                    select(Delivery).where(col(Delivery.story_id).in_(stories), col(Delivery.subscription_id).in_(subs))).all()}
                taken: dict[tuple[str, int], dict] = {}  # the rows of this batch, per (story, subscription)
                rows: list[dict] = []
                now_rows: list[tuple[int, int]] = []  # (article index, position in rows) of the rows to send now
                for index, a in enumerate(articles):
                    for sub_id, tags, alert, due in a.items:
                        row = existing.get((a.story_id, sub_id))
                        if row is None and (mine := taken.get((a.story_id, sub_id))) is not None:  # a story's second report in this batch
                            if mine["status"] == "queued" and a.article_id != mine["article_id"]:
                                mine["alert"] = AlertRecord.model_validate(mine["alert"]).with_coverage(alert.article).stored()
                        elif row is None:
                            if due is None:
                                now_rows.append((index, len(rows)))
                            rows.append({"subscription_id": sub_id, "story_id": a.story_id, "article_id": a.article_id,
                                         "status": "queued" if due else ("sending" if claim else "pending"), "attempts": 0, "title": a.title[:1000],
                                         "tags": tags, "created_at": now, "updated_at": now, "alert": alert.stored(), "next_attempt_at": due or now})
                            taken[(a.story_id, sub_id)] = rows[-1]
                        elif row.status == "queued" and row.alert and a.article_id != row.article_id:
                            _add_coverage(row, alert, now)
                            s.add(row)
                s.flush()
                ids = [r.id for r in s.connection().execute(insert(DELIVERY).returning(DELIVERY.c.id, sort_by_parameter_order=True), rows)] if rows else []
                new: list[list[tuple[int, int]]] = [[] for _ in articles]
                for index, position in now_rows:
                    new[index].append((rows[position]["subscription_id"], ids[position]))
                return new
        except IntegrityError:
            if attempt == 2:
                raise
    return []  # unreachable


def _add_coverage(row: Delivery, later: AlertRecord, now: datetime) -> None:
    queued = AlertRecord.model_validate(row.alert)
    covered = queued.with_coverage(later.article)
    if covered is not queued:
        row.alert = covered.stored()
        row.updated_at = now


def _mark_values(status: str, attempts: int, error: str | None, result: dict, next_attempt_at: datetime | None, now: datetime) -> dict:
    values: dict = {"status": status, "attempts": attempts, "last_error": error, "result": result, "updated_at": now,
                    "next_attempt_at": next_attempt_at if status == "pending" else None}
    if status == "sent":
        values["sent_at"] = now
    else:
        values["rate_slot_at"] = None  # not sent: the rate-limit slot it took is free again
    return values


def mark(database_url: str, delivery_id: int, *, status: str, attempts: int, error: str | None, result: dict, next_attempt_at: datetime | None = None,
         now: datetime | None = None) -> None:
    """Record the outcome: sent, failed, or pending with the time of the next attempt. For 'sent' this is the
    single statement that closes the crash window."""
    mark_many(database_url, [{"delivery_id": delivery_id, "status": status, "attempts": attempts, "error": error, "result": result,
                              "next_attempt_at": next_attempt_at, "now": now or datetime.now(UTC)}])


def mark_many(database_url: str, marks: list[dict]) -> None:
    """Several outcomes (the keyword arguments of `mark`) in one transaction. An outcome's `event` (an
    alerts.delivered.v1 or alerts.failed.v1 event, {"topic", "event"}) goes to the outbox in that transaction.
    Rows are written in id order, as every multi-row write here locks them, so that replicas do not deadlock; a
    deadlock that PostgreSQL still reports is retried: the mark of a sent alert must not be lost, or another
    replica would take the claim over and send it again."""
    marks = sorted(marks, key=lambda m: m["delivery_id"])
    for attempt in range(1, DEADLOCK_RETRIES + 1):
        try:
            return _mark_many(database_url, marks)
        except OperationalError as error:
            if attempt == DEADLOCK_RETRIES or not _is_deadlock(error):
                raise


DEADLOCK_RETRIES = 5


def _is_deadlock(error: OperationalError) -> bool:
    return type(error.orig).__name__ in ("DeadlockDetected", "SerializationFailure")


def _mark_many(database_url: str, marks: list[dict]) -> None:
    """One UPDATE executed for many rows per set of columns (sent, or not sent), and one INSERT for the outbox
    rows: statements compiled once per batch, not per alert."""
    updates: dict[tuple[str, ...], list[dict]] = {}
    events = []
    for m in marks:
        now = m.get("now") or datetime.now(UTC)
        values = _mark_values(m["status"], m["attempts"], m["error"], m["result"], m.get("next_attempt_at"), now)
        updates.setdefault(tuple(values), []).append({"delivery_id_": m["delivery_id"], **values})
        if m.get("event"):
            events.append({"delivery_id": m["delivery_id"], "payload": m["event"], "created_at": now})
    with session_scope(database_url) as s:
        for rows in updates.values():
            s.connection().execute(update(DELIVERY).where(DELIVERY.c.id == bindparam("delivery_id_")), rows)
        if events:
            s.connection().execute(insert(OUTBOX), events)


def renew(database_url: str, delivery_ids: list[int], now: datetime) -> None:
    """Renew this notifier's claims (rows in 'sending'), so that they do not look like a crashed notifier's.
    A row locked right now is being marked (or claimed) by another transaction: it is skipped, not waited for, so
    that renewing never deadlocks with the writes of this or another notifier (PostgreSQL)."""
    with session_scope(database_url) as s:
        free = s.exec(
            select(Delivery.id).where(col(Delivery.id).in_(delivery_ids), col(Delivery.status) == "sending")
            .order_by(col(Delivery.id)).with_for_update(skip_locked=True)
        ).all()
        if free:
            s.execute(update(Delivery).where(col(Delivery.id).in_(free)).values(updated_at=now).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class DueRetry:
    delivery_id: int
    subscription_id: int
    channel_url: str
    attempts: int
    alert: AlertRecord


def hold(database_url: str, delivery_id: int, until: datetime, reason: str, now: datetime | None = None) -> None:
    """Put a claimed delivery back to wait (quiet hours, rate limit) without spending an attempt."""
    now = now or datetime.now(UTC)
    with session_scope(database_url) as s:
        s.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(status="pending", next_attempt_at=until, updated_at=now, result={"held": reason},
                                                                                   rate_slot_at=None))


def suppress(database_url: str, delivery_ids: list[int], reason: str, now: datetime | None = None) -> None:
    with session_scope(database_url) as s:
        s.execute(update(Delivery).where(col(Delivery.id).in_(delivery_ids)).values(status="suppressed", last_error=reason, updated_at=now or datetime.now(UTC),
                                                                                  next_attempt_at=None, batch_id=None))


RATE_LOCK_CLASS = 0x52414452  # "RADR": pg_advisory_xact_lock(class, subscription_id) serialises one subscription's slots


def take_rate_slot(database_url: str, subscription_id: int, delivery_id: int, max_per_hour: int, now: datetime) -> list[datetime]:
    """Take one of the subscription's hourly slots for this delivery, or say why not.

    Returns [] when the slot is taken (the delivery may be sent now), else the times of the slots held in the
    last hour (at least `max_per_hour` of them) for policy.rate_limited_until. A slot is held by a delivery that
    was sent, or that is being sent (a crashed notifier's claim keeps its slot until the claim is taken over).
    Every notifier replica counts and takes in one transaction under the same lock, so replicas share the limit:
    on PostgreSQL an advisory lock per subscription; on SQLite the database's single writer."""
    since = now - timedelta(hours=1)
    with session_scope(database_url) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:cls, :sub)"), {"cls": RATE_LOCK_CLASS, "sub": subscription_id})
        else:  # take SQLite's write lock first, so that no other writer counts at the same time
            s.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(rate_slot_at=None))
        held = s.exec(
            select(Delivery.rate_slot_at).where(
                col(Delivery.subscription_id) == subscription_id, col(Delivery.id) != delivery_id, col(Delivery.rate_slot_at) >= since,
                or_(col(Delivery.status) == "sent", col(Delivery.status) == "sending"),
            )
        ).all()
        if len(held) >= max_per_hour:
            return sorted(as_utc(t) for t in held if t is not None)  # type: ignore[misc]
        s.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(rate_slot_at=now))
        return []


def rate_slots_since(database_url: str, subscription_id: int, since: datetime) -> int:
    """How many rate-limit slots the subscription holds since `since` (for tests and `radar status`)."""
    with session_scope(database_url) as s:
        return s.exec(select(func.count()).select_from(Delivery).where(col(Delivery.subscription_id) == subscription_id, col(Delivery.rate_slot_at) >= since)).one()


def claim_due_retries(database_url: str, now: datetime, limit: int = 100, stale_before: datetime | None = None) -> list[DueRetry]:
    """Claim the deliveries that are due (pending → sending, one conditional UPDATE each): retries, alerts held
    by quiet hours or a rate limit, new alerts the handler left pending, and sends whose claim a crashed notifier
    stopped renewing before `stale_before`."""
    out = []
    due = (col(Delivery.status) == "pending") & (col(Delivery.next_attempt_at) <= now)
    if stale_before is not None:
        due = due | ((col(Delivery.status) == "sending") & col(Delivery.batch_id).is_(None) & (col(Delivery.updated_at) < stale_before))
    with session_scope(database_url) as s:
        rows = s.exec(
            select(Delivery, Channel)
            .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
            .join(Channel, col(Channel.id) == col(Subscription.channel_id))
            .where(due)
            .order_by(col(Delivery.next_attempt_at))
            .limit(limit)
            .with_for_update(of=Delivery, skip_locked=True)  # PostgreSQL: rows another replica is writing are left to it
        ).all()
        for delivery, channel in rows:
            claimed = s.execute(
                update(Delivery)
                .where(col(Delivery.id) == delivery.id, due)
                .values(status="sending", updated_at=now, next_attempt_at=None)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1 and delivery.alert:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
                out.append(DueRetry(delivery.id, delivery.subscription_id, channel.url, delivery.attempts, AlertRecord.model_validate(delivery.alert)))  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class DigestBatch:
    batch_id: str
    subscription_id: int
    channel_url: str
    rows: list[tuple[int, int, AlertRecord]]  # delivery id, attempts, alert


def claim_digests(database_url: str, now: datetime, stale_before: datetime, limit: int = 200) -> list[DigestBatch]:
    """Claim each subscription's queued stories whose digest is due, as one batch per subscription. A batch
    that a crashed notifier left in 'sending' goes back to the queue first."""
    with session_scope(database_url) as s:
        s.execute(
            update(Delivery).where(col(Delivery.status) == "sending", col(Delivery.batch_id).is_not(None), col(Delivery.updated_at) < stale_before)
            .values(status="queued", batch_id=None, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        subs = s.exec(
            select(Delivery.subscription_id).where(col(Delivery.status) == "queued", col(Delivery.next_attempt_at) <= now).distinct().limit(limit)
        ).all()
    batches = []
    for sub_id in subs:
        batch_id = uuid.uuid4().hex
        with session_scope(database_url) as s:
            s.execute(
                update(Delivery).where(col(Delivery.subscription_id) == sub_id, col(Delivery.status) == "queued", col(Delivery.next_attempt_at) <= now)
                .values(status="sending", batch_id=batch_id, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            rows = s.exec(
                select(Delivery, Channel)
                .join(Subscription, col(Subscription.id) == col(Delivery.subscription_id))
                .join(Channel, col(Channel.id) == col(Subscription.channel_id))
                .where(col(Delivery.batch_id) == batch_id)
                .order_by(col(Delivery.created_at), col(Delivery.id))
            ).all()
            if rows:
                batches.append(DigestBatch(batch_id, sub_id, rows[0][1].url, [(d.id, d.attempts, AlertRecord.model_validate(d.alert)) for d, _ in rows]))  # type: ignore[misc]
    return batches


def mark_batch(database_url: str, batch_id: str, *, status: str, attempts: int, error: str | None, result: dict, next_attempt_at: datetime | None = None,
               now: datetime | None = None, events: Sequence[tuple[int, dict]] = ()) -> None:
    """Record a digest's outcome for all its rows: sent, failed, or queued again for a retry at next_attempt_at; the
    `events` (delivery id, {"topic", "event"}) go to the outbox in the same transaction."""
    now = now or datetime.now(UTC)
    values: dict = {"status": status, "attempts": attempts, "last_error": error, "result": result, "updated_at": now}
    if status == "sent":
        values.update(sent_at=now, next_attempt_at=None)
    elif status == "queued":
        values.update(batch_id=None, next_attempt_at=next_attempt_at)
    else:
        values.update(next_attempt_at=None)
    with session_scope(database_url) as s:
        s.execute(update(Delivery).where(col(Delivery.batch_id) == batch_id, col(Delivery.status) == "sending").values(**values))
        for delivery_id, event in events:
            s.add(AlertOutbox(delivery_id=delivery_id, payload=event, created_at=now))


def resend(database_url: str, delivery_ids: list[int] | None) -> list[int]:
    """Queue failed deliveries (the given ones, or all failed) for sending now, with a fresh retry budget; return
    the ids queued (a given id that is missing or not failed is not among them)."""
    now = datetime.now(UTC)
    with session_scope(database_url) as s:
        stmt = update(Delivery).where(col(Delivery.status) == "failed")
        if delivery_ids is not None:
            stmt = stmt.where(col(Delivery.id).in_(delivery_ids))
        queued: Sequence[int] = s.execute(stmt.values(status="pending", next_attempt_at=now, attempts=0, updated_at=now).returning(col(Delivery.id))).scalars().all()
        return sorted(queued)
