"""The delivery log: claimed before sending, marked after; never twice."""

from datetime import UTC, datetime

from radar_notifier import store
from radar_shared.db import session_scope
from radar_shared.models import Channel, Delivery, Subscription


def make_sub(db: str) -> int:
    with session_scope(db) as s:
        ch = Channel(url="mailto://x", kind="mailto")
        s.add(ch)
        s.flush()
        sub = Subscription(channel_id=ch.id, topics=["dprk-sanctions"])  # type: ignore[arg-type]
        s.add(sub)
        s.flush()
        return sub.id  # type: ignore[return-value]


def test_claim_is_exclusive_until_stale(database_url: str) -> None:
    sub = make_sub(database_url)
    first = store.claim(database_url, sub, "story", "art", "T", ["dprk-sanctions"], stale_after=300)
    assert first is not None
    assert store.claim(database_url, sub, "story", "art2", "T", [], stale_after=300) is None, "being sent elsewhere"
    assert store.claim(database_url, sub, "story", "art", "T", [], stale_after=0) is not None, "a stale claim (crash) is taken over"


def test_sent_is_final_failed_waits_for_an_operator(database_url: str) -> None:
    sub = make_sub(database_url)
    c = store.claim(database_url, sub, "s1", "a1", "T", [], 300)
    store.mark(database_url, c.delivery_id, status="sent", attempts=1, error=None, result={"ok": True})
    assert store.claim(database_url, sub, "s1", "a1", "T", [], 0) is None
    f = store.claim(database_url, sub, "s2", "a2", "T", [], 300, alert={"article": {}, "tags": []})
    store.mark(database_url, f.delivery_id, status="failed", attempts=3, error="SMTP down", result={"ok": False})
    assert store.claim(database_url, sub, "s2", "a2", "T", [], 0) is None, "a redelivered message does not resend a failed alert"
    assert store.resend(database_url, None) == 1
    [due] = store.claim_due_retries(database_url, datetime.now(UTC))
    assert due.delivery_id == f.delivery_id and due.attempts == 0 and due.channel_url == "mailto://x"
    assert store.claim_due_retries(database_url, datetime.now(UTC)) == [], "claimed once"
    with session_scope(database_url) as s:
        rows = {d.story_id: d for d in s.query(Delivery).all()}
    assert rows["s1"].status == "sent" and rows["s1"].sent_at is not None
    assert rows["s2"].status == "sending" and rows["s2"].last_error == "SMTP down"
