"""`radar status`, REST /v1/status, the status page and the control plane's /metrics show every replica of a
service: its instance, health, partitions and last beat; the service is up while one replica is."""

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from sqlalchemy import update

from radar_api import auth
from radar_api.app import create_app
from radar_api.cli import main
from radar_api.config import ApiSettings
from radar_shared.db import session_scope
from radar_shared.heartbeat import ServiceRuntime
from radar_shared.messages import utcnow
from radar_shared.models import ServiceHeartbeat
from radar_shared.settings import SharedSettings
from tests.support.sinks import free_port


@pytest.fixture
def two_notifiers(sqlite_url: str) -> str:
    """notifier-a up with partitions 0 and 3, notifier-b silent for a minute (down, not yet forgotten)."""
    for name, partitions in (("notifier-a", ["articles.classified.v1:0", "articles.classified.v1:3"]), ("notifier-b", ["articles.classified.v1:1"])):
        rt = ServiceRuntime("notifier", SharedSettings(database_url=sqlite_url, service_instance=name), CollectorRegistry())
        rt.state = "running"
        rt.write_heartbeat(partitions)
    with session_scope(sqlite_url) as s:
        s.execute(update(ServiceHeartbeat).where(ServiceHeartbeat.instance == "notifier-b").values(last_seen_at=utcnow() - timedelta(minutes=1)))  # type: ignore[arg-type]
    return sqlite_url


def test_the_cli_shows_each_replica_with_its_partitions(two_notifiers: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    out = CliRunner().invoke(main, ["status"], env={"DATABASE_URL": two_notifiers}).output
    lines = out.splitlines()
    assert "  notifier      up    1 of 2 replicas up" in lines, out
    a = next(line for line in lines if "notifier-a" in line)
    b = next(line for line in lines if "notifier-b" in line)
    assert " up " in a and "partitions articles.classified.v1 0,3" in a
    assert " DOWN " in b and "partitions articles.classified.v1 1" in b
    assert "  classifier    DOWN  no replica has written a heartbeat" in lines
    data = json.loads(CliRunner().invoke(main, ["status", "--json"], env={"DATABASE_URL": two_notifiers}).output.splitlines()[0])
    notifier = next(s for s in data["services"] if s["service"] == "notifier")
    assert (notifier["up"], notifier["live"], notifier["summary"]) == (True, 1, "1 of 2 replicas up")
    assert [(i["instance"], i["health"], i["partitions"]) for i in notifier["instances"]] == [
        ("notifier-a", "up", ["articles.classified.v1:0", "articles.classified.v1:3"]), ("notifier-b", "DOWN", ["articles.classified.v1:1"]),
    ]


def test_the_rest_api_the_status_page_and_the_metrics_show_each_replica(two_notifiers: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")  # no broker: the pages say so and go on
    auth.add_user(two_notifiers, "ops", "admin")
    secret = auth.create_token(two_notifiers, "ops")[1]
    with TestClient(create_app(two_notifiers, ApiSettings(rate_limit_per_minute=1000)), headers={"Origin": "http://testserver"}) as client:
        services = client.get("/v1/status", headers={"Authorization": f"Bearer {secret}"}).json()["services"]
        notifier = next(s for s in services if s["service"] == "notifier")
        assert notifier["up"] and notifier["live"] == 1 and notifier["summary"] == "1 of 2 replicas up"
        assert [(i["instance"], i["health"], i["partitions"]) for i in notifier["instances"]] == [
            ("notifier-a", "up", ["articles.classified.v1:0", "articles.classified.v1:3"]), ("notifier-b", "DOWN", ["articles.classified.v1:1"]),
        ]
        client.post("/signin", data={"token": secret})
        page = client.get("/status").text
        assert "1 of 2 replicas up" in page
        assert "<td>notifier-a</td><td class=\"status-ok\">UP</td><td>articles.classified.v1 0,3</td>" in page
        assert "<td>notifier-b</td><td class=\"status-bad\">DOWN</td><td>articles.classified.v1 1</td>" in page
        metrics = client.get("/metrics").text
    assert 'radar_replicas_live{component="notifier"} 1.0' in metrics
    assert 'radar_replicas_live{component="classifier"} 0.0' in metrics
    assert 'radar_replica_up{component="notifier",replica="notifier-a"} 1.0' in metrics
    assert 'radar_replica_up{component="notifier",replica="notifier-b"} 0.0' in metrics
    assert 'radar_replica_last_seen_timestamp_seconds{component="notifier",replica="notifier-b"}' in metrics
