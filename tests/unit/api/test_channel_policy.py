"""A hostile user's channel URLs, through the API, the web page and the CLI: refused when stored, refused again
when a forged row is sent to, and never a connection to the local listener that stands for the operator's network."""

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from radar_api import auth
from radar_api.app import create_app
from radar_api.cli import main
from radar_api.config import ApiSettings
from radar_shared.db import session_scope
from radar_shared.models import Channel, Subscription
from tests.support.sinks import ConnectionRecorder, free_port

MAIL = "to=a@example.org&from=radar@example.org"
HOSTILE = [  # (URL, what the refusal says) for a non-admin; {port} is the local listener's
    ("json://127.0.0.1:{port}/path?method=DELETE&+Authorization=Bearer%20x", "only admins"),
    ("jsons://192.168.1.1/", "only admins"),
    ("ntfy://169.254.169.254/latest", "host 169.254.169.254 is not a public address"),
    ("mailto://10.0.0.25:25?" + MAIL, "host 10.0.0.25 is not a public address"),
    ("matrix://u:p@127.0.0.1:{port}/!room", "host 127.0.0.1 is not a public address"),
    ("ntfy://2130706433:{port}/topic", "host 2130706433 (127.0.0.1) is not a public address"),
    ("ntfy://0x7f000001:{port}/topic", "host 0x7f000001 (127.0.0.1) is not a public address"),
    ("mailto://localhost:{port}?" + MAIL, "host localhost is not a public address"),
]


@pytest.fixture
def listener() -> Iterator[ConnectionRecorder]:
    recorder = ConnectionRecorder().start()
    yield recorder
    recorder.stop()


@pytest.fixture
def api(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    monkeypatch.delenv("NOTIFIER_ALLOWED_NETWORKS", raising=False)
    with TestClient(create_app(sqlite_url, ApiSettings(rate_limit_per_minute=1000))) as client:
        client.db = sqlite_url  # type: ignore[attr-defined]
        yield client


def bearer(db: str, name: str, role: str = "user") -> dict[str, str]:
    auth.add_user(db, name, role)
    return {"Authorization": f"Bearer {auth.create_token(db, name)[1]}"}


def forge(db: str, url: str, owner_id: int) -> int:
    """A channel row written straight to the database (an old row, a restored backup, a bug): never validated."""
    with session_scope(db) as s:
        channel = Channel(url=url, kind=url.split(":")[0], owner_id=owner_id)
        s.add(channel)
        s.flush()
        sub = Subscription(channel_id=channel.id, topics=["dprk-sanctions"], owner_id=owner_id)  # type: ignore[arg-type]
        s.add(sub)
        s.flush()
        return sub.id  # type: ignore[return-value]


@pytest.mark.parametrize(("template", "reason"), HOSTILE)
def test_a_user_cannot_store_a_channel_inside_the_network(api: TestClient, listener: ConnectionRecorder, template: str, reason: str) -> None:
    user = bearer(api.db, "mallory")  # type: ignore[attr-defined]
    answer = api.post("/v1/subscriptions", json={"channel": template.format(port=listener.port), "topics": ["dprk-sanctions"]}, headers=user)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == "channel" and reason in answer.json()["detail"]
    assert api.get("/v1/subscriptions", headers=user).json() == []
    assert listener.accepted == 0


def test_an_admin_may_shape_requests_but_only_to_public_hosts(api: TestClient, listener: ConnectionRecorder) -> None:
    admin = bearer(api.db, "ops", "admin")  # type: ignore[attr-defined]
    refused = api.post("/v1/subscriptions", json={"channel": f"json://127.0.0.1:{listener.port}/?method=DELETE", "topics": ["dprk-sanctions"]}, headers=admin)
    assert refused.status_code == 400 and refused.json()["detail"] == "channel: host 127.0.0.1 is not a public address"
    ok = api.post("/v1/subscriptions", json={"channel": "jsons://hooks.example.org/radar?method=PUT", "topics": ["dprk-sanctions"]}, headers=admin)
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("template", [t for t, _ in HOSTILE if "{port}" in t])
def test_a_forged_row_is_refused_when_the_test_alert_is_sent(api: TestClient, listener: ConnectionRecorder, outside_connections: list, template: str) -> None:
    user = bearer(api.db, "mallory")  # type: ignore[attr-defined]
    sub_id = forge(api.db, template.format(port=listener.port), 1)  # type: ignore[attr-defined]
    answer = api.post(f"/v1/subscriptions/{sub_id}/test", headers=user).json()
    assert answer["ok"] is False and answer["permanent"] is True
    [error] = answer["errors"]
    assert error.startswith("channel: host ") and error.endswith("(refused by the address policy; nothing was sent)")
    assert listener.accepted == 0 and outside_connections == []


def test_the_web_page_refuses_them_too(api: TestClient, listener: ConnectionRecorder) -> None:
    token = auth.create_token(api.db, auth.add_user(api.db, "mallory").name)[1]  # type: ignore[attr-defined]
    api.post("/signin", data={"token": token}, headers={"Origin": "http://testserver"})
    for template, reason in HOSTILE:
        page = api.post("/subscriptions", data={"channel_kind": "apprise", "channel": template.format(port=listener.port), "topics": ["dprk-sanctions"]},
                        headers={"Origin": "http://testserver"}).text
        assert "channel: " in page and reason in page, template
    assert listener.accepted == 0


def test_the_cli_refuses_them_and_exits_non_zero(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, listener: ConnectionRecorder) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.delenv("NOTIFIER_ALLOWED_NETWORKS", raising=False)
    result = CliRunner().invoke(main, ["subscriptions", "add", "--channel", f"json://2130706433:{listener.port}/?method=DELETE", "--topic", "dprk-sanctions"])
    assert result.exit_code == 2 and result.output.strip() == "radar: channel: host 2130706433 (127.0.0.1) is not a public address"
    monkeypatch.setenv("NOTIFIER_ALLOWED_NETWORKS", '["127.0.0.0/8:1024-65535"]')  # the operator's own relay
    allowed = CliRunner().invoke(main, ["subscriptions", "add", "--channel", f"mailto://127.0.0.1:{listener.port}?{MAIL}", "--topic", "dprk-sanctions"])
    assert allowed.exit_code == 0, allowed.output
    assert listener.accepted == 0
