"""Each user's alerts as an Atom feed for their reader: their own only, Basic or Bearer auth, everything escaped."""

import base64
from datetime import UTC, datetime
from xml.etree import ElementTree

import feedparser
import pytest
from fastapi.testclient import TestClient

from radar_api import auth, service
from radar_api.app import create_app
from radar_api.atom import ATOM
from radar_api.config import ApiSettings
from radar_shared.db import session_scope
from radar_shared.messages import AlertRecord, Article, Snippet, Span, Tag
from radar_shared.models import Delivery
from tests.support.notifier import local_rules
from tests.support.sinks import free_port


@pytest.fixture
def api(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=1000))) as client:
        client.db = sqlite_url  # type: ignore[attr-defined]
        yield client


def user_with_alert(db: str, name: str, title: str, status: str = "sent", stored_title: str | None = None) -> str:
    """`stored_title`: the delivery row's own title when it differs from the article's (a column holds no lone surrogate)."""
    auth.add_user(db, name)
    token = auth.create_token(db, name)[1]
    actor = auth.authenticate(db, token)
    watch = service.add_watch(db, "coal", actor=actor)
    sub = service.add_subscription(db, f"slack://T0000000{len(name)}/B00000000/{name}secretwebhooktoken0000", [], [watch.id], 0.0, local_rules("slack"), actor=actor)
    article = Article(article_id=f"a-{name}", story_id=f"s-{name}", feed_id=1, feed_url="https://news.example/rss", entry_key=name, title=title,
                      url=f"https://news.example/{name}", source="news.example", published_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    snippet = Snippet(text="Coal <b>ship</b> left Nampo.", highlights=[Span(start=0, end=4)])
    alert = AlertRecord(article=article, tags=[Tag(tag=f"watch:{watch.id}", score=1.0, snippets=[snippet])]).stored()
    with session_scope(db) as s:
        s.add(Delivery(subscription_id=sub.id, story_id=f"s-{name}", article_id=f"a-{name}", status=status, title=title if stored_title is None else stored_title, tags=[f"watch:{watch.id}"],
                       alert=alert, sent_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC)))
    return token


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"reader:{token}".encode()).decode()}


def test_a_reader_gets_its_own_alerts_with_evidence(api: TestClient) -> None:
    alice = user_with_alert(api.db, "alice", "Coal ship <script>alert(1)</script> leaves Nampo")  # type: ignore[attr-defined]
    bob = user_with_alert(api.db, "bob", "Bob's tanker story")  # type: ignore[attr-defined]
    answer = api.get("/v1/me/alerts.atom", headers=basic(alice))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
    assert b"<script>" not in answer.content, "titles are escaped in the XML"
    feed = feedparser.parse(answer.content)
    assert not feed.bozo and feed.version == "atom10" and feed.feed.title == "Radar alerts for alice"
    [entry] = feed.entries
    assert entry.title == "Coal ship <script>alert(1)</script> leaves Nampo" and entry.link == "https://news.example/alice"
    assert "Bob" not in answer.text, "isolation: another user's alerts never appear"
    content = ElementTree.fromstring(answer.content).find(f"{{{ATOM}}}entry/{{{ATOM}}}content").text  # as sent; readers sanitise further
    assert "<mark>Coal</mark> &lt;b&gt;ship&lt;/b&gt; left Nampo." in content and "score 1.00" in content
    assert "&lt;b&gt;ship&lt;/b&gt;" in entry.content[0].value, "the article's markup stays text in a reader"
    assert [e.title for e in feedparser.parse(api.get("/v1/me/alerts.atom", headers={"Authorization": f"Bearer {bob}"}).content).entries] == ["Bob's tanker story"]


def test_the_feed_needs_a_valid_token(api: TestClient) -> None:
    token = user_with_alert(api.db, "alice", "t")  # type: ignore[attr-defined]
    missing = api.get("/v1/me/alerts.atom")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Basic")
    assert api.get("/v1/me/alerts.atom", headers=basic("radar_wrong")).status_code == 401
    auth.revoke_token(api.db, 1)  # type: ignore[attr-defined]
    assert api.get("/v1/me/alerts.atom", headers=basic(token)).status_code == 401


def test_suppressed_deliveries_are_not_alerts(api: TestClient) -> None:
    token = user_with_alert(api.db, "alice", "Withdrawn", status="suppressed")  # type: ignore[attr-defined]
    assert feedparser.parse(api.get("/v1/me/alerts.atom", headers=basic(token)).content).entries == []


HOSTILE = "Coal\ufffe ship\uffff \ud800left\udfff Nampo\x00\x01\x1f"  # every kind of character that XML 1.0 forbids


def test_hostile_characters_in_a_title_leave_the_feed_well_formed(api: TestClient) -> None:
    with_row_title = user_with_alert(api.db, "alice", HOSTILE, stored_title=HOSTILE.replace("\ud800", "").replace("\udfff", ""))  # type: ignore[attr-defined]
    from_the_article = user_with_alert(api.db, "bob", HOSTILE, stored_title="")  # type: ignore[attr-defined]  # the surrogates only in the stored JSON
    for token in (with_row_title, from_the_article):
        answer = api.get("/v1/me/alerts.atom", headers=basic(token))
        assert answer.status_code == 200
        root = ElementTree.fromstring(answer.content)  # raises on any character that XML 1.0 forbids
        assert root.find(f"{{{ATOM}}}entry/{{{ATOM}}}title").text == "Coal ship left Nampo"
