"""The API and the web page against hostile requests: roles, deep nesting, broken Unicode, floods, framing and
cross-site forms. Each answer is a 4xx that names the field, never a 500."""

from collections.abc import Iterator
from urllib.parse import unquote_plus

import pytest
from fastapi.testclient import TestClient

from radar_api import auth, service
from radar_api.app import create_app
from radar_api.config import ApiSettings
from radar_shared.channel_urls import ChannelRules
from tests.support.sinks import free_port

SITE = {"Origin": "http://testserver"}  # what a browser sends with this site's own forms
DEEP = "(" * 300 + "coal" + ")" * 300


@pytest.fixture
def app(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=1000))) as client:
        client.db = sqlite_url  # type: ignore[attr-defined]
        yield client


def token(db: str, name: str, role: str = "user") -> str:
    auth.add_user(db, name, role)
    return auth.create_token(db, name)[1]


def test_feeds_are_listed_to_admins_only(app: TestClient) -> None:
    user = {"Authorization": f"Bearer {token(app.db, 'alice')}"}  # type: ignore[attr-defined]
    admin = {"Authorization": f"Bearer {token(app.db, 'ops', 'admin')}"}  # type: ignore[attr-defined]
    service.add_feed(app.db, "https://www.nknews.org/feed/")  # type: ignore[attr-defined]
    refused = app.get("/v1/feeds", headers=user)
    assert refused.status_code == 403 and refused.json()["detail"].startswith("role:")
    assert [f["url"] for f in app.get("/v1/feeds", headers=admin).json()] == ["https://www.nknews.org/feed/"]


def test_deeply_nested_queries_are_a_400_with_the_position(app: TestClient) -> None:
    user = token(app.db, "alice")  # type: ignore[attr-defined]
    answer = app.post("/v1/watches", json={"query": DEEP}, headers={"Authorization": f"Bearer {user}"})
    assert answer.status_code == 400 and answer.json()["field"] == "query"
    assert "nested deeper than 32 levels at position 32" in answer.json()["detail"]
    app.post("/signin", data={"token": user}, headers=SITE)
    checked = app.get("/watches/check", params={"query": "-" * 1500 + "coal"}).json()
    assert checked["ok"] is False and "at position 32" in checked["error"]
    page = app.post("/watches", data={"query": DEEP}, headers=SITE)
    assert page.status_code == 200 and "nested deeper than 32 levels" in page.text
    preview = app.get("/watches", params={"preview": DEEP})
    assert preview.status_code == 200 and "nested deeper than 32 levels" in preview.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [("/v1/watches", b'{"query": "\\ud800"}', "query"), ("/v1/watches", b'{"query": "coal", "name": "x\\udfff"}', "name"),
     ("/v1/subscriptions", b'{"channel": "slack://\\ud800", "topics": ["dprk-sanctions"]}', "channel"),
     ("/v1/subscriptions", b'{"channel": "slack://T0/B0/C0", "topics": ["\\ud800"]}', "topics"),
     ("/v1/feeds", b'{"url": "https://x.example/\\ud800"}', "url")],
)
def test_a_lone_surrogate_is_a_422_naming_the_field(app: TestClient, path: str, body: bytes, field: str) -> None:
    admin = {"Authorization": f"Bearer {token(app.db, 'ops', 'admin')}", "content-type": "application/json"}  # type: ignore[attr-defined]
    answer = app.post(path, content=body, headers=admin)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field and answer.json()["detail"].startswith(f"{field}: text must be valid Unicode")
    assert service.list_watches(app.db) == [] and service.list_subscriptions(app.db) == []  # type: ignore[attr-defined]
    ok = app.post("/v1/watches", json={"query": "tanker", "name": "\U0001F6A2 ships"}, headers=admin)  # an astral character is text
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [("/v1/watches", {"query": "coal\x00"}, "query"), ("/v1/watches", {"query": "coal", "name": "x\x00y"}, "name"),
     ("/v1/subscriptions", {"channel": "slack://T0/B0/C0\x00", "topics": ["dprk-sanctions"]}, "channel"),
     ("/v1/feeds", {"url": "https://x.example/\x00"}, "url"), ("/v1/feeds", {"url": "https://x.example/rss", "title": "a\x00"}, "title")],
)
def test_a_nul_is_a_422_naming_the_field_on_both_databases(database_url: str, monkeypatch: pytest.MonkeyPatch, path: str, body: dict[str, object],
                                                           field: str) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    with TestClient(create_app(database_url, ApiSettings(rate_limit_per_minute=1000))) as client:
        answer = client.post(path, json=body, headers={"Authorization": f"Bearer {token(database_url, 'ops', 'admin')}"})
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field and answer.json()["detail"] == f"{field}: text must not contain a NUL character (U+0000)"
    assert service.list_watches(database_url) == [] and service.list_subscriptions(database_url) == [] and service.list_feeds(database_url) == []


def test_a_nul_in_the_web_forms_and_the_cli_s_calls_is_refused_naming_the_field(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    with TestClient(create_app(database_url, ApiSettings(rate_limit_per_minute=1000)), headers=SITE) as client:
        client.post("/signin", data={"token": token(database_url, "ops", "admin")})
        for path, form, field in [("/watches", {"query": "coal\x00"}, "query"), ("/watches", {"query": "coal", "name": "\x00"}, "name"),
                                  ("/feeds", {"url": "https://x.example/\x00"}, "url"), ("/feeds", {"url": "https://x.example/rss", "title": "\x00"}, "title"),
                                  ("/subscriptions", {"channel_kind": "apprise", "channel": "slack://T0/B0/C0\x00", "topics": "dprk-sanctions"}, "channel")]:
            answer = client.post(path, data=form, follow_redirects=False)
            assert answer.status_code == 303 and f"{field}: text must not contain a NUL" in unquote_plus(answer.headers["location"]), (path, answer.text)
    for call, field in [(lambda: service.add_watch(database_url, "coal\x00"), "query"), (lambda: service.add_feed(database_url, "https://x.example/rss", "\x00"), "title"),
                        (lambda: service.add_subscription(database_url, "slack://T0/B0/C0\x00", ["dprk-sanctions"], [], 0.0, ChannelRules.of(["slack"])), "channel")]:
        with pytest.raises(service.ConfigError, match=f"^{field}: text must not contain a NUL"):
            call()
    with pytest.raises(auth.AuthError, match="^name: text must not contain a NUL"):
        auth.create_token(database_url, "ops", "laptop\x00")
    assert service.list_watches(database_url) == [] and service.list_subscriptions(database_url) == [] and service.list_feeds(database_url) == []


def test_web_pages_and_sign_in_are_rate_limited_like_the_api(sqlite_url: str) -> None:
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=3)), headers=SITE) as client:
        assert [client.post("/signin", data={"token": "radar_guess"}).status_code for _ in range(3)] == [200, 200, 200]
        limited = client.post("/signin", data={"token": "radar_guess"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert client.get("/signin").status_code == 429, "the same address, before sign-in"
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=3)), headers=SITE) as client:
        secret = token(sqlite_url, "alice")
        client.cookies.set("radar_token", secret)
        assert [client.get("/alerts").status_code for _ in range(2)] == [200, 200]
        assert client.get("/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200  # one bucket per token
        assert client.get("/watches").status_code == 429


@pytest.mark.parametrize("path", ["/signin", "/alerts", "/v1/me", "/static/radar.css"])
def test_security_headers(app: TestClient, path: str) -> None:
    headers = app.get(path, follow_redirects=False).headers
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp


def test_pages_need_no_inline_script_or_style(app: TestClient) -> None:
    app.post("/signin", data={"token": token(app.db, "ops", "admin")}, headers=SITE)  # type: ignore[attr-defined]
    for path in ("/signin", "/alerts", "/subscriptions", "/watches", "/feeds"):
        page = app.get(path).text
        assert "style=" not in page and "onclick" not in page and "<script>" not in page, path


def test_docs_may_load_swagger_ui(app: TestClient) -> None:
    answer = app.get("/docs")
    assert answer.status_code == 200 and "cdn.jsdelivr.net" in answer.headers["content-security-policy"]


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Origin": "null"}, {"Referer": "https://evil.example/page"}, {}, {"Origin": "http://testserver.evil.example"}],
)
def test_a_cross_site_form_post_is_refused(app: TestClient, headers: dict[str, str]) -> None:
    secret = token(app.db, "alice")  # type: ignore[attr-defined]
    app.cookies.set("radar_token", secret)  # what SameSite=Strict would have kept back; this check holds anyway
    answer = app.post("/watches", data={"query": "tanker"}, headers=headers, follow_redirects=False)
    assert answer.status_code == 403 and answer.json()["field"] == "origin"
    assert service.list_watches(app.db) == []  # type: ignore[attr-defined]
    assert app.post("/signout", headers=headers, follow_redirects=False).status_code == 403
    same_site = app.post("/watches", data={"query": "tanker"}, headers={"Referer": "http://testserver/watches"}, follow_redirects=False)
    assert same_site.status_code == 303 and len(service.list_watches(app.db)) == 1  # type: ignore[attr-defined]
    api = app.post("/v1/watches", json={"query": "coal"}, headers={**headers, "Authorization": f"Bearer {secret}"})
    assert api.status_code == 201, "the API takes bearer tokens, which another site cannot make a browser send"
