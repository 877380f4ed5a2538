"""The delivery log: recorded once per (subscription, story), claimed before sending, marked after; never twice."""

from datetime import UTC, datetime, timedelta

from radar_notifier import store
from radar_shared.db import session_scope
from radar_shared.messages import AlertRecord, Article, Snippet, Span, Tag
from radar_shared.models import Channel, Delivery, Subscription


def alert(article_id: str = "a1", source: str = "a.example", title: str = "T") -> AlertRecord:
    article = Article(article_id=article_id, story_id="s", feed_id=1, feed_url="https://a.example/rss", entry_key=article_id,
                      url=f"https://{source}/{article_id}", title=title, source=source)
    return AlertRecord(article=article, tags=[])


ALERT = alert()


def make_sub(db: str) -> int:
    with session_scope(db) as s:
        ch = Channel(url="mailto://x", kind="mailto")
        s.add(ch)
        s.flush()
        sub = Subscription(channel_id=ch.id, topics=["dprk-sanctions"])  # type: ignore[arg-type]
        s.add(sub)
        s.flush()
        return sub.id  # type: ignore[return-value]


def test_recorded_once_per_story_and_claimed_once(database_url: str) -> None:
    sub = make_sub(database_url)
    [(_, new)] = store.record(database_url, "story", "art", "T", [(sub, ["dprk-sanctions"], ALERT, None)])
    assert store.record(database_url, "story", "art2", "T", [(sub, [], ALERT, None)]) == [], "another outlet's copy of the story"
    now = datetime.now(UTC)
    [claimed] = store.claim_due_retries(database_url, now)
    assert claimed.delivery_id == new
    assert store.claim_due_retries(database_url, now) == [], "claimed once"
    assert store.claim_due_retries(database_url, now, stale_before=now - timedelta(seconds=300)) == [], "being sent: not stale yet"
    later = now + timedelta(seconds=301)
    [taken_over] = store.claim_due_retries(database_url, later, stale_before=later - timedelta(seconds=300))
    assert taken_over.delivery_id == new, "a send a crash interrupted is taken over once stale"


def test_sent_is_final_failed_waits_for_an_operator(database_url: str) -> None:
    sub = make_sub(database_url)
    [(_, s1)] = store.record(database_url, "s1", "a1", "T", [(sub, [], ALERT, None)], claim=True)
    store.mark(database_url, s1, status="sent", attempts=1, error=None, result={"ok": True})
    assert store.record(database_url, "s1", "a1", "T", [(sub, [], ALERT, None)]) == []
    [(_, s2)] = store.record(database_url, "s2", "a2", "T", [(sub, [], ALERT, None)])
    store.claim_due_retries(database_url, datetime.now(UTC))
    store.mark(database_url, s2, status="failed", attempts=3, error="SMTP down", result={"ok": False})
    assert store.record(database_url, "s2", "a2", "T", [(sub, [], ALERT, None)]) == [], "a redelivered message does not resend a failed alert"
    assert store.claim_due_retries(database_url, datetime.now(UTC) + timedelta(hours=1), stale_before=datetime.now(UTC) + timedelta(hours=1)) == []
    assert store.resend(database_url, None) == [s2]
    [due] = store.claim_due_retries(database_url, datetime.now(UTC))
    assert due.delivery_id == s2 and due.attempts == 0 and due.channel_url == "mailto://x"
    with session_scope(database_url) as s:
        rows = {d.story_id: d for d in s.query(Delivery).all()}
    assert rows["s1"].status == "sent" and rows["s1"].sent_at is not None
    assert rows["s2"].status == "sending" and rows["s2"].last_error == "SMTP down"


def test_later_coverage_joins_a_queued_digest_story(database_url: str) -> None:
    sub = make_sub(database_url)
    due = datetime.now(UTC) + timedelta(hours=1)
    assert store.record(database_url, "s", "a1", "T", [(sub, [], ALERT, due)]) == [], "queued, not sent now"
    other = alert("a2", "b.example", "T again")
    store.record(database_url, "s", "a2", "T", [(sub, [], other, due)])
    store.record(database_url, "s", "a2", "T", [(sub, [], other, due)])  # redelivered: listed once
    with session_scope(database_url) as s:
        row = s.query(Delivery).one()
        assert row.status == "queued" and [c["source"] for c in row.alert["coverage"]] == ["b.example"]
    [batch] = store.claim_digests(database_url, due, due)
    [(_, _, queued)] = batch.rows
    assert [(c.article_id, c.source, c.title, c.url) for c in queued.coverage] == [("a2", "b.example", "T again", "https://b.example/a2")]


# `delivery.alert` as the notifier wrote it before AlertRecord: a dict, with the Snippet's computed `marked`
TODAYS_ROW = {
    "article": {"article_id": "old", "story_id": "s-old", "feed_id": 3, "feed_url": "https://f.example/rss", "entry_key": "k", "url": "https://f.example/1",
                "title": "Tanker seized", "lang": "en", "source": "f.example", "published_at": "2026-11-30T08:00:00Z", "truncated": False,
                "summary": "", "text_source": "feed"},
    "tags": [{"tag": "dprk-sanctions", "kind": "topic", "score": 0.9, "matched": [{"term": "North Korea", "group": "dprk", "rule": "r1"}],
              "snippets": [{"text": "North Korea sanctions", "highlights": [{"start": 0, "end": 11}], "marked": "«North Korea» sanctions"}], "truncated_at": None}],
    "discovered_at": "2026-11-30T08:01:02.123456+00:00",
    "coverage": [{"article_id": "later", "source": "b.example", "title": "Again", "url": "https://b.example/2"}],
}


def test_a_row_written_as_a_dict_before_alert_records_is_read(database_url: str) -> None:
    sub = make_sub(database_url)
    now = datetime.now(UTC)
    with session_scope(database_url) as s:
        s.add(Delivery(subscription_id=sub, story_id="s-old", article_id="old", status="pending", title="Tanker seized", tags=["dprk-sanctions"],
                       created_at=now, updated_at=now, alert=TODAYS_ROW, next_attempt_at=now))
    [due] = store.claim_due_retries(database_url, now)
    record = due.alert
    assert record.article.article_id == "old" and record.article.published_at == datetime(2026, 11, 30, 8, tzinfo=UTC)
    assert record.tags == [Tag(tag="dprk-sanctions", score=0.9, matched=record.tags[0].matched,
                               snippets=[Snippet(text="North Korea sanctions", highlights=[Span(start=0, end=11)])])]
    assert record.tags[0].matched[0].rule == "r1" and record.discovered_at == datetime(2026, 11, 30, 8, 1, 2, 123456, tzinfo=UTC)
    assert [c.source for c in record.coverage] == ["b.example"]
    assert record.stored().keys() == TODAYS_ROW.keys() and AlertRecord.model_validate(record.stored()) == record, "written back, it reads the same"


def claimed_rows(db: str, sub: int, count: int, prefix: str) -> list[int]:
    rows = [store.record(db, f"{prefix}{n}", f"{prefix}a{n}", "T", [(sub, [], ALERT, None)], claim=True)[0][1] for n in range(count)]
    return rows


def test_rate_slots_are_shared_through_the_database_and_freed_when_not_sent(database_url: str) -> None:
    sub = make_sub(database_url)
    d1, d2, d3 = claimed_rows(database_url, sub, 3, "rs")
    now = datetime.now(UTC)
    assert store.take_rate_slot(database_url, sub, d1, 2, now) == []
    assert store.take_rate_slot(database_url, sub, d2, 2, now) == []
    held = store.take_rate_slot(database_url, sub, d3, 2, now)
    assert len(held) == 2, "a third alert in the hour waits; the two held slots say until when"
    store.mark(database_url, d1, status="sent", attempts=1, error=None, result={"ok": True})
    store.mark(database_url, d2, status="pending", attempts=1, error="SMTP down", result={"ok": False}, next_attempt_at=now)
    assert store.take_rate_slot(database_url, sub, d3, 2, now) == [], "the slot of a send that failed is free again"
    assert store.take_rate_slot(database_url, sub, d3, 2, now) == [], "taking its own slot again (a resend after a crash) is no second slot"
    assert store.rate_slots_since(database_url, sub, now - timedelta(hours=1)) == 2
    assert store.take_rate_slot(database_url, sub, d2, 2, now + timedelta(hours=1, seconds=1)) == [], "an hour later the old slots have passed"


def test_replicas_racing_for_slots_take_no_more_than_the_limit(postgresql_url: str) -> None:
    """Eight notifier replicas' worth of threads, each with its own connections, for one subscription limited to 3/hour."""
    import concurrent.futures

    sub = make_sub(postgresql_url)
    rows = claimed_rows(postgresql_url, sub, 24, "race")
    now = datetime.now(UTC)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        taken = [r for r, held in zip(rows, pool.map(lambda d: store.take_rate_slot(postgresql_url, sub, d, 3, now), rows), strict=False) if held == []]
    assert len(taken) == 3, taken
    assert store.rate_slots_since(postgresql_url, sub, now - timedelta(hours=1)) == 3


def test_renewing_skips_a_row_another_transaction_is_writing(postgresql_url: str) -> None:
    """A renewal that waited for a row being marked could deadlock with that mark (they lock rows in different
    orders); it leaves that row alone instead, and renews the rest."""
    from sqlalchemy import text

    from radar_shared.db import get_engine

    sub = make_sub(postgresql_url)
    locked, free = claimed_rows(postgresql_url, sub, 2, "lock")
    later = datetime.now(UTC) + timedelta(minutes=5)
    with get_engine(postgresql_url).connect() as other:
        other.execute(text("SELECT id FROM delivery WHERE id = :id FOR UPDATE"), {"id": locked})
        store.renew(postgresql_url, [locked, free], later)  # returns at once: no wait for the lock above
        other.rollback()
    with session_scope(postgresql_url) as s:
        renewed = {d.id: d.updated_at for d in s.query(Delivery).filter(Delivery.id.in_([locked, free]))}  # type: ignore[union-attr]
    assert renewed[free] == later and renewed[locked] < later


def test_a_batch_is_recorded_in_one_go_once_per_subscription_and_story(database_url: str) -> None:
    sub = make_sub(database_url)
    with session_scope(database_url) as s:
        second = Subscription(channel_id=s.get(Subscription, sub).channel_id, topics=["russia-dprk-smuggling"])  # type: ignore[union-attr]
        s.add(second)
        s.flush()
        other: int = second.id  # type: ignore[assignment]
    batch = [
        store.ArticleDeliveries("s1", "a1", "T", [(sub, [], ALERT, None), (other, [], ALERT, None)]),
        store.ArticleDeliveries("s1", "a1-copy", "T", [(sub, [], ALERT, None)]),  # another outlet's copy, in the same batch
        store.ArticleDeliveries("s2", "a2", "T", [(sub, [], ALERT, None)]),
    ]
    first, copy, second = store.record_many(database_url, batch, claim=True)
    assert [s for s, _ in first] == [sub, other] and copy == [] and [s for s, _ in second] == [sub]
    assert store.record_many(database_url, batch) == [[], [], []], "a redelivered batch records nothing"
    with session_scope(database_url) as s:
        rows = s.query(Delivery).all()
    assert sorted((d.story_id, d.subscription_id, d.status) for d in rows) == [("s1", sub, "sending"), ("s1", other, "sending"), ("s2", sub, "sending")]
