"""Rate limits without gaps (issue 21, item 9): buckets keyed by client address before sign-in and by token after it,
failed authentications counted per address, and the counters in the database so that every API process shares them."""

import base64
import secrets

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from radar_api import auth
from radar_api.app import create_app
from radar_api.config import ApiSettings
from radar_api.ratelimit import WINDOW_SECONDS, RateLimiter, bucket_id, retry_after
from radar_shared.db import get_engine
from radar_shared.models import RateLimitWindow
from tests.support.sinks import free_port

SITE = {"Origin": "http://testserver"}


@pytest.fixture(autouse=True)
def _no_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")


def _token(db: str, name: str = "alice") -> str:
    auth.add_user(db, name, "user")
    return auth.create_token(db, name)[1]


def test_a_fresh_random_cookie_per_request_gets_no_fresh_bucket_on_signin_or_feedback(sqlite_url: str) -> None:
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=4, auth_failures_per_minute=1000)), headers=SITE) as client:
        answers = []
        for i in range(5):
            client.cookies.set("radar_token", f"radar_{secrets.token_urlsafe(16)}")
            path = "/signin" if i % 2 else "/feedback/not-a-link"
            answers.append(client.get(path, follow_redirects=False).status_code)
        assert answers[-1] == 429, answers
        assert 429 not in answers[:-1], answers


def test_wrong_tokens_on_the_api_are_counted_and_then_refused_even_with_the_right_token(sqlite_url: str) -> None:
    right = _token(sqlite_url)
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=1000, auth_failures_per_minute=5))) as client:
        wrong = [client.get("/v1/me", headers={"Authorization": f"Bearer radar_guess{i}"}).status_code for i in range(5)]
        assert wrong == [401] * 5
        refused = client.get("/v1/me", headers={"Authorization": f"Bearer {right}"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert "failed attempts per minute" in refused.json()["detail"]


def test_wrong_passwords_of_the_atom_feed_s_basic_auth_are_counted(sqlite_url: str) -> None:
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=1000, auth_failures_per_minute=3))) as client:
        codes = []
        for i in range(4):
            basic = base64.b64encode(f"reader:radar_guess{i}".encode()).decode()
            codes.append(client.get("/v1/me/alerts.atom", headers={"Authorization": f"Basic {basic}"}).status_code)
        assert codes == [401, 401, 401, 429]


def test_wrong_sign_ins_and_bad_cookies_count_as_failures_of_the_address(sqlite_url: str) -> None:
    right = _token(sqlite_url)
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=1000, auth_failures_per_minute=2)), headers=SITE) as client:
        assert client.post("/signin", data={"token": "radar_guess"}).status_code == 200
        client.cookies.set("radar_token", "radar_stale")
        stale = client.get("/alerts", follow_redirects=False)
        assert stale.status_code == 303 and stale.headers["location"] == "/signin"
        assert 'radar_token=""' in stale.headers.get("set-cookie", ""), "a stale cookie is removed, so it is not sent (and counted) again"
        client.cookies.clear()
        assert client.post("/signin", data={"token": right}).status_code == 429


def test_two_api_processes_share_one_token_s_limit(database_url: str) -> None:
    secret = _token(database_url)
    headers = {"Authorization": f"Bearer {secret}"}
    settings = ApiSettings(rate_limit_per_minute=4)
    with TestClient(create_app(database_url, settings)) as first, TestClient(create_app(database_url, settings)) as second:
        codes = [client.get("/v1/me", headers=headers).status_code for client in (first, second, first, second, first)]
    assert codes == [200, 200, 200, 200, 429]


def test_the_table_holds_no_token_or_address_and_past_windows_are_swept(sqlite_url: str) -> None:
    limiter = RateLimiter(sqlite_url)
    now = 1_000_000 * WINDOW_SECONDS + 5.0
    assert [limiter.hit("token:abc", now) for _ in range(3)] == [1, 2, 3]
    assert limiter.count("token:abc", now) == 3 and limiter.count("address:203.0.113.9", now) == 0
    assert limiter.hit("token:abc", now + WINDOW_SECONDS) == 1, "a new window starts at 1"
    with get_engine(sqlite_url).connect() as conn:
        rows = conn.execute(sa.select(RateLimitWindow.__table__)).all()  # type: ignore[attr-defined]
    assert [(row.bucket, row.minute) for row in rows] == [(bucket_id("token:abc"), 1_000_001)], "the past window was deleted"
    assert "abc" not in rows[0].bucket and len(rows[0].bucket) == 64


@pytest.mark.parametrize(("now", "wait"), [(0.0, 60), (59.5, 1), (30.2, 30), (119.99, 1)])
def test_retry_after_is_the_rest_of_the_window(now: float, wait: int) -> None:
    assert retry_after(now) == wait
