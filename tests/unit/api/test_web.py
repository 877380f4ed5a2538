"""The web page, through FastAPI's test client: sign-in, ownership, escaping, and forms that name the field."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from radar_api import auth, service
from radar_api.app import create_app
from radar_api.config import ApiSettings
from radar_api.web import channel_url
from radar_notifier import store
from radar_shared.messages import AlertRecord
from tests.support.feeds import rss
from tests.support.sinks import FeedServer, free_port

EVIL = '<script>alert(1)</script>'


@pytest.fixture
def web(sqlite_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")  # no broker there: the status says so
    settings = ApiSettings(email_channel_url="mailto://smtp.example.org?from=radar@example.org")  # a public relay: nothing is sent here
    with TestClient(create_app(sqlite_url, settings), headers={"Origin": "http://testserver"}) as client:  # as a browser sends with its forms
        client.db = sqlite_url  # type: ignore[attr-defined]
        yield client


def sign_in(client: TestClient, name: str, role: str = "user") -> None:
    auth.add_user(client.db, name, role)  # type: ignore[attr-defined]
    answer = client.post("/signin", data={"token": auth.create_token(client.db, name)[1]}, follow_redirects=False)  # type: ignore[attr-defined]
    assert answer.status_code == 303 and answer.headers["location"] == "/alerts"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_pages_need_a_sign_in(web: TestClient) -> None:
    for path in ("/alerts", "/subscriptions", "/watches", "/feeds", "/status"):
        answer = web.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/signin", path
    assert "unknown or revoked" in web.post("/signin", data={"token": "radar_wrong"}).text


def test_a_user_sees_only_their_own_and_feed_text_is_escaped(web: TestClient) -> None:
    sign_in(web, "alice")
    web.post("/watches", data={"query": '"Sky Morning" OR "Rich Glory"', "name": EVIL})
    [watch] = service.list_watches(web.db)  # type: ignore[attr-defined]
    answer = web.post("/subscriptions", data={"channel_kind": "slack", "channel": "https://hooks.slack.com/services/T0/B0/secretwebhooktoken000", "watch_ids": [str(watch.id)]})
    assert "subscription 1 added" in answer.text and "secretwebhooktoken000" not in answer.text
    [sub] = service.list_subscriptions(web.db)  # type: ignore[attr-defined]
    alert = AlertRecord.model_validate({
        "article": {"article_id": "a1", "story_id": "story", "feed_id": 1, "feed_url": "https://evil.example/rss", "entry_key": "k",
                    "title": EVIL, "url": "javascript:alert(1)", "source": "evil.example"},
        "tags": [{"tag": f"watch:{watch.id}", "score": 1.0, "snippets": [{"text": f"Tanker {EVIL} seen", "highlights": [{"start": 0, "end": 6}]}]}]})
    store.record(web.db, "story", "a1", EVIL, [(sub.id, [f"watch:{watch.id}"], alert, None)])  # type: ignore[attr-defined]
    edited = web.post(f"/subscriptions/{sub.id}/edit", data={"watch_ids": [str(watch.id)], "mode": "digest", "digest_schedule": "hourly",
                                                            "quiet_start": "22:00", "quiet_end": "07:00", "timezone": "Asia/Seoul"}).text
    assert "subscription 1 saved" in edited and "digest hourly, quiet 22:00–07:00 Asia/Seoul" in edited
    assert 'value="22:00"' in web.get(f"/subscriptions/{sub.id}/edit").text
    assert "timezone:" in web.post(f"/subscriptions/{sub.id}/edit", data={"watch_ids": [str(watch.id)], "timezone": "Nowhere"}).text
    assert "paused" in web.post(f"/subscriptions/{sub.id}/pause").text
    assert "subscription 1 resumed" in web.post(f"/subscriptions/{sub.id}/resume").text
    page = web.get("/alerts").text
    assert EVIL not in page and "&lt;script&gt;" in page and "<mark>Tanker</mark>" in page and 'href="javascript' not in page
    assert EVIL not in web.get("/watches").text

    web.cookies.clear()
    sign_in(web, "bob")
    assert "watch 1" not in web.get("/watches").text and "&lt;script&gt;" not in web.get("/alerts").text
    assert "does not exist" in web.post(f"/subscriptions/{sub.id}/pause").text
    assert "does not exist" in web.get(f"/subscriptions/{sub.id}/edit").text
    assert "does not exist" in web.post(f"/watches/{watch.id}/delete").text
    assert web.get("/status", follow_redirects=False).status_code == 303, "operators only"


def test_forms_report_the_field(web: TestClient) -> None:
    sign_in(web, "alice")
    assert "query:" in web.post("/watches", data={"query": '"Sky Morning" AND ('}).text
    assert web.get("/watches/check", params={"query": "tanker AND ("}).json()["error"].startswith("query:")
    assert web.get("/watches/check", params={"query": "tanker"}).json() == {"ok": True}
    answer = web.post("/subscriptions", data={"channel_kind": "email", "channel": "not an address", "topics": ["dprk-sanctions"]})
    assert "channel: give one email address" in answer.text
    answer = web.post("/subscriptions", data={"channel_kind": "email", "channel": "a@example.org", "topics": ["dprk-sanctions"], "timezone": "Mars/Base"})
    assert "timezone:" in answer.text
    answer = web.post("/subscriptions", data={"channel_kind": "email", "channel": "a@example.org", "topics": ["dprk-sanctions"], "max_per_hour": "many"})
    assert 'role="alert">max_per_hour:' in answer.text  # a malformed form field comes back on the page, not as JSON


def test_email_and_slack_channels_without_apprise_syntax() -> None:
    assert channel_url("email", " analyst@example.org ", "mailtos://u:p@smtp.example.org?from=radar@example.org") == \
        "mailtos://u:p@smtp.example.org?from=radar@example.org&to=analyst@example.org"
    with pytest.raises(service.ConfigError, match="^channel:"):
        channel_url("email", "a@example.org&bcc=x@evil.example", "mailto://localhost")
    with pytest.raises(service.ConfigError, match="hooks.slack.com"):
        channel_url("slack", "https://evil.example/hook", "")


def test_operator_pages(web: TestClient) -> None:
    sign_in(web, "ops", "admin")
    assert "Add feed" in web.get("/feeds").text
    assert "url:" in web.post("/feeds", data={"url": "http://10.0.0.1/feed"}).text
    page = web.get("/status").text  # no Kafka on this port: the page says so instead of failing
    assert "Services" in page and "Kafka:" in page


def test_feed_preview_and_opml_import(web: TestClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sign_in(web, "ops", "admin")
    refused = web.get("/feeds", params={"preview": "http://169.254.169.254/feed"}).text
    assert 'role="alert"' in refused and "not a public address" in refused
    opml = b"""<?xml version="1.0"?><opml version="2.0"><body><outline text="NK News" xmlUrl="https://www.nknews.org/feed/"/>
    <outline text="private" xmlUrl="http://192.168.1.10/feed"/></body></opml>"""
    page = web.post("/feeds/import", files={"opml": ("feeds.opml", opml, "text/xml")}).text
    assert "1 feed(s) added, 0 already there, 1 refused" in page and "192.168.1.10" in page
    laughs = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">]><opml><body><outline xmlUrl="https://x.example/&a;"/></body></opml>'
    assert "opml:" in web.post("/feeds/import", files={"opml": ("evil.opml", laughs, "text/xml")}).text


def test_the_feed_list_exports_as_opml_that_imports_again(web: TestClient) -> None:
    from radar_api.opml import parse_opml

    sign_in(web, "ops", "admin")
    service.add_feed(web.db, "https://www.nknews.org/feed/", "NK News & <friends>")  # type: ignore[attr-defined]
    service.add_feed(web.db, "https://www.38north.org/feed/", "")  # type: ignore[attr-defined]
    answer = web.get("/feeds/export.opml")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/x-opml") and "attachment" in answer.headers["content-disposition"]
    feeds = parse_opml(answer.content)
    assert [(f.url, f.title) for f in feeds] == [("https://www.nknews.org/feed/", "NK News & <friends>"), ("https://www.38north.org/feed/", "https://www.38north.org/feed/")]
    assert 'href="/feeds/export.opml"' in web.get("/feeds").text


def test_only_admins_export_the_feed_list(web: TestClient) -> None:
    sign_in(web, "alice")
    assert web.get("/feeds/export.opml", follow_redirects=False).status_code == 303  # to the sign-in page, as /feeds does


def test_status_shows_feeds_with_capped_entries_failed_entries_and_deadline_errors(web: TestClient) -> None:
    from click.testing import CliRunner

    from radar_api.cli import main
    from radar_shared.db import session_scope
    from radar_shared.models import FeedState

    slow = service.add_feed(web.db, "https://slow.example/feed", "slow")  # type: ignore[attr-defined]
    big = service.add_feed(web.db, "https://big.example/feed", "big")  # type: ignore[attr-defined]
    fine = service.add_feed(web.db, "https://fine.example/feed", "fine")  # type: ignore[attr-defined]
    deadline = "feed https://slow.example/feed: no complete response within the 60 s deadline (FEED_WATCHER_FETCH_DEADLINE_SECONDS)"
    with session_scope(web.db) as s:  # type: ignore[attr-defined]
        s.add(FeedState(feed_id=slow.id, polls=1, error_streak=2, last_error_kind="deadline", last_error=deadline, last_poll_at=datetime.now(UTC)))
        s.add(FeedState(feed_id=big.id, polls=1, entries_truncated=3, entries_failed=1, last_entry_error="entry e1: its event of 1200000 bytes exceeds FEED_WATCHER_MAX_EVENT_BYTES",
                        encoding="windows-1252 (detected)", last_poll_at=datetime.now(UTC)))
        s.add(FeedState(feed_id=fine.id, polls=1, encoding="utf-8", last_poll_at=datetime.now(UTC)))
    sign_in(web, "ops", "admin")
    page = web.get("/status").text
    assert "DEADLINE x2" in page and "no complete response within the 60 s deadline" in page
    assert "3 entries capped" in page and "1 entry not published (too large): entry e1" in page and "read as windows-1252" in page
    assert "fine.example" not in page.split("Feeds that need attention")[1]
    printed = CliRunner().invoke(main, ["status"], env={"DATABASE_URL": web.db, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"}).output  # type: ignore[attr-defined]
    assert "DEADLINE x2" in printed and "3 entries capped" in printed and "1 entry not published" in printed


def test_the_demo_inbox_page_shows_what_the_sinks_received(sqlite_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    inbox = tmp_path / "inbox.jsonl"
    inbox.write_text(
        '{"at": "2026-12-01T10:00:00+00:00", "channel": "email", "to": "a@demo.invalid", "subject": "[Radar] dprk-sanctions: <b>Tanker</b>", "body": "evidence"}\n'
        '{"at": "2026-12-01T10:00:01+00:00", "channel": "slack", "to": "T0", "subject": "second", "body": "Rich Glory"}\n{"torn',
        encoding="utf-8",
    )
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    with TestClient(create_app(sqlite_url, ApiSettings(demo_inbox=str(inbox))), headers={"Origin": "http://testserver"}) as demo:
        demo.db = sqlite_url  # type: ignore[attr-defined]
        sign_in(demo, "demo")
        page = demo.get("/demo").text
        assert page.index("second") < page.index("dprk-sanctions"), "newest first"
        assert "&lt;b&gt;Tanker&lt;/b&gt;" in page and 'href="/demo"' in page
    with TestClient(create_app(sqlite_url, ApiSettings()), headers={"Origin": "http://testserver"}) as plain:
        plain.db = sqlite_url  # type: ignore[attr-defined]
        answer = plain.post("/signin", data={"token": auth.create_token(sqlite_url, "demo")[1]}, follow_redirects=False)
        assert answer.status_code == 303
        assert plain.get("/demo").status_code == 404 and 'href="/demo"' not in plain.get("/alerts").text


def test_my_alerts_shows_an_alert_whose_stored_text_holds_a_lone_surrogate(web: TestClient) -> None:
    sign_in(web, "alice")
    web.post("/watches", data={"query": "coal"})
    [watch] = service.list_watches(web.db)  # type: ignore[attr-defined]
    web.post("/subscriptions", data={"channel_kind": "slack", "channel": "https://hooks.slack.com/services/T0/B0/secretwebhooktoken000", "watch_ids": [str(watch.id)]})
    [sub] = service.list_subscriptions(web.db)  # type: ignore[attr-defined]
    hostile = "Coal\ufffe ship \ud800left\udfff Nampo\x00"
    alert = AlertRecord.model_validate({
        "article": {"article_id": "a1", "story_id": "story", "feed_id": 1, "feed_url": "https://news.example/rss", "entry_key": "k",
                    "title": hostile, "url": "https://news.example/1", "source": f"news{hostile}"},
        "tags": [{"tag": f"watch:{watch.id}", "score": 1.0, "snippets": [{"text": hostile, "highlights": [{"start": 0, "end": 4}]}]}]})
    store.record(web.db, "story", "a1", "", [(sub.id, [f"watch:{watch.id}"], alert, None)])  # type: ignore[attr-defined]
    page = web.get("/alerts")
    assert page.status_code == 200, page.text
    assert "ship left Nampo" in page.text and "\ufffe" not in page.text


def test_the_feed_preview_ends_at_the_watchers_fetch_deadline(web: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEED_WATCHER_ALLOWED_NETWORKS", '["127.0.0.1:1024-65535"]')
    monkeypatch.setenv("FEED_WATCHER_FETCH_DEADLINE_SECONDS", "1")
    server = FeedServer(feeds={"/slow": rss([{"title": "t", "text": "x" * 200, "link": "https://x.example/1"}])}, trickle={"/slow": 1.0}).start()
    try:
        sign_in(web, "ops", "admin")
        page = web.get("/feeds", params={"preview": server.url("/slow")}).text  # a byte a second: 60 s and more without a deadline
    finally:
        server.stop()
    assert 'role="alert"' in page and f"feed {server.url('/slow')}: no complete response within the 1 s deadline" in page
