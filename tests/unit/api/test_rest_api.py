"""The REST API: tokens, isolation between users, validation errors that name the field, limits and quotas."""

import pytest
from fastapi.testclient import TestClient

from radar_api import auth
from radar_api.app import create_app
from radar_api.config import ApiSettings
from radar_shared.db import session_scope
from radar_shared.models import ApiToken
from tests.support.sinks import free_port

SLACK_A = "slack://T00000000/B00000000/alicesecretwebhooktoken"
SLACK_B = "slack://T11111111/B11111111/bobsecretwebhooktoken00"


@pytest.fixture
def api(database_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")  # no broker there: the status says so
    settings = ApiSettings(max_watches_per_user=3, rate_limit_per_minute=1000, max_body_bytes=4096)
    with TestClient(create_app(database_url, settings)) as client:
        client.db = database_url  # type: ignore[attr-defined]
        yield client


def token(db: str, name: str, role: str = "user") -> dict[str, str]:
    auth.add_user(db, name, role)
    return {"Authorization": f"Bearer {auth.create_token(db, name)[1]}"}


def test_tokens_are_hashed_and_revocable(api: TestClient) -> None:
    auth.add_user(api.db, "alice")  # type: ignore[attr-defined]
    token_id, secret = auth.create_token(api.db, "alice")  # type: ignore[attr-defined]
    with session_scope(api.db) as s:  # type: ignore[attr-defined]
        stored = s.get(ApiToken, token_id)
        assert stored.token_hash == auth.hash_token(secret) and secret not in stored.token_hash  # type: ignore[union-attr]
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/v1/me", headers=headers).json() == {"id": 1, "name": "alice", "role": "user"}
    assert api.get("/v1/me").status_code == 401
    assert api.get("/v1/me", headers={"Authorization": "Bearer radar_guess"}).status_code == 401
    auth.revoke_token(api.db, token_id)  # type: ignore[attr-defined]
    answer = api.get("/v1/me", headers=headers)
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]


def test_user_a_cannot_read_or_change_user_b(api: TestClient) -> None:
    a, b = token(api.db, "alice"), token(api.db, "bob")  # type: ignore[attr-defined]
    watch = api.post("/v1/watches", json={"query": '"Sky Morning" OR "Rich Glory"'}, headers=a).json()
    sub = api.post("/v1/subscriptions", json={"channel": SLACK_A, "watch_ids": [watch["id"]]}, headers=a)
    assert sub.status_code == 201, sub.text
    assert "alicesecretwebhooktoken" not in sub.text  # channel URLs are write-only
    sub_id = sub.json()["id"]

    assert api.get("/v1/watches", headers=b).json() == []
    assert api.get("/v1/subscriptions", headers=b).json() == []
    assert api.delete(f"/v1/watches/{watch['id']}", headers=b).status_code == 404
    assert api.delete(f"/v1/subscriptions/{sub_id}", headers=b).status_code == 404
    assert api.post(f"/v1/subscriptions/{sub_id}/test", headers=b).status_code == 404
    stolen = api.post("/v1/subscriptions", json={"channel": SLACK_B, "watch_ids": [watch["id"]]}, headers=b)
    assert stolen.status_code == 400 and stolen.json()["field"] == "watch", "B cannot subscribe to A's watch"
    assert api.get("/v1/deliveries", headers=b).json() == []
    assert api.get("/v1/channels", headers=b).json() == []
    [channel] = api.get("/v1/channels", headers=a).json()
    assert channel["subscriptions"] == [sub_id] and "alicesecretwebhooktoken" not in str(channel)
    assert api.get("/v1/status", headers=b).status_code == 403

    assert [w["id"] for w in api.get("/v1/watches", headers=a).json()] == [watch["id"]]
    change = {"topics": ["dprk-sanctions"], "mode": "digest", "digest_schedule": "hourly", "enabled": False}
    assert api.put(f"/v1/subscriptions/{sub_id}", json=change, headers=b).status_code == 404
    changed = api.put(f"/v1/subscriptions/{sub_id}", json=change, headers=a).json()
    assert changed["schedule"] == "digest hourly" and changed["enabled"] is False and changed["topics"] == ["dprk-sanctions"]
    assert api.delete(f"/v1/subscriptions/{sub_id}", headers=a).status_code == 204
    admin = token(api.db, "ops", "admin")  # type: ignore[attr-defined]
    assert [w["id"] for w in api.get("/v1/watches", headers=admin).json()] == [watch["id"]]
    status = api.get("/v1/status", headers=admin).json()
    assert [s["service"] for s in status["services"]] == ["feed-watcher", "classifier", "notifier"] and status["kafka"]["error"]


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        ("/v1/watches", {"query": '"Sky Morning" AND ('}, "query", "position"),
        ("/v1/subscriptions", {"channel": "xml://example.org/hook", "topics": ["dprk-sanctions"]}, "channel", "not allowed"),
        ("/v1/subscriptions", {"channel": SLACK_A, "topics": ["weather"]}, "topic", "unknown topic"),
        ("/v1/subscriptions", {"channel": SLACK_A, "topics": ["dprk-sanctions"], "timezone": "Mars/Base"}, "timezone", "IANA"),
        ("/v1/subscriptions", {"channel": SLACK_A, "topics": ["dprk-sanctions"], "min_score": "high"}, "min_score", "number"),
        ("/v1/feeds", {"url": "http://169.254.169.254/latest/meta-data/"}, "url", "not a public address"),
        ("/v1/feeds", {"title": "no url"}, "url", "required"),
    ],
)
def test_validation_errors_name_the_field(api: TestClient, path: str, body: dict, field: str, words: str) -> None:
    admin = token(api.db, "ops", "admin")  # type: ignore[attr-defined]
    answer = api.post(path, json=body, headers=admin)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["field"] == field and answer.json()["detail"].startswith(f"{field}:")
    assert words.lower() in answer.json()["detail"].lower(), answer.json()


def test_roles_quotas_and_limits(api: TestClient) -> None:
    user = token(api.db, "alice")  # type: ignore[attr-defined]
    refused = api.post("/v1/feeds", json={"url": "https://www.nknews.org/feed/"}, headers=user)
    assert refused.status_code == 403 and refused.json()["detail"].startswith("role:")
    for n in range(3):
        assert api.post("/v1/watches", json={"query": f'"ship {n}"'}, headers=user).status_code == 201
    over = api.post("/v1/watches", json={"query": '"ship 4"'}, headers=user)
    assert over.status_code == 403 and over.json()["field"] == "watches" and "at most 3" in over.json()["detail"]
    huge = api.post("/v1/watches", content=b'{"query": "' + b"x" * 5000 + b'"}', headers={**user, "content-type": "application/json"})
    assert huge.status_code == 413


def test_rate_limit_per_token(database_url: str) -> None:
    with TestClient(create_app(database_url, ApiSettings(rate_limit_per_minute=3))) as client:
        headers = token(database_url, "alice")
        assert [client.get("/v1/me", headers=headers).status_code for _ in range(4)] == [200, 200, 200, 429]
        limited = client.get("/v1/me", headers=headers)
        assert int(limited.headers["retry-after"]) >= 1


def test_openapi_is_served(api: TestClient) -> None:
    assert api.get("/docs").status_code == 200
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/v1/watches", "/v1/subscriptions", "/v1/deliveries", "/v1/feeds"} <= set(paths)
