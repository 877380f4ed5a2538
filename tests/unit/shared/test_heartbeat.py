"""Heartbeats are written per replica, keyed by (service, instance): two replicas of one service both write and
both show; a replica that falls silent is shown down, then forgotten by a live replica of its service."""

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from aiokafka import TopicPartition
from alembic import command
from prometheus_client import CollectorRegistry
from pydantic import ValidationError
from sqlalchemy import create_engine, text
from sqlmodel import select

from radar_api import service
from radar_shared.db import alembic_config, get_engine, session_scope, upgrade
from radar_shared.heartbeat import ServiceRuntime, assigned_partitions, instance_name
from radar_shared.messages import utcnow
from radar_shared.models import ServiceHeartbeat
from radar_shared.settings import SharedSettings
from tests.support.services import wait_for


def runtime(db: str, instance: str, service_name: str = "notifier", heartbeat_seconds: float = 5.0, heartbeat_forget_seconds: float = 600.0) -> ServiceRuntime:
    settings = SharedSettings(database_url=db, service_instance=instance, heartbeat_seconds=heartbeat_seconds, heartbeat_forget_seconds=heartbeat_forget_seconds)
    rt = ServiceRuntime(service_name, settings, CollectorRegistry())
    rt.state = "running"
    return rt


def instances(db: str, heartbeat_seconds: float = 5.0) -> dict[str, dict[str, str]]:
    """{service: {instance: health}} as `radar status`, the REST API and the status page read it."""
    return {s.service: {i.instance: i.health for i in s.instances} for s in service.replicas(db, heartbeat_seconds)}


def test_two_replicas_of_one_service_write_at_once_without_error_and_both_show(database_url: str) -> None:
    replicas = [runtime(database_url, "notifier-a"), runtime(database_url, "notifier-b")]
    start, errors = threading.Barrier(2), []

    def beat(rt: ServiceRuntime, partitions: list[str]) -> None:
        start.wait()
        for _ in range(5):  # their first writes meet, as two notifiers starting together
            try:
                rt.write_heartbeat(partitions)
            except Exception as error:  # the old table's key: UniqueViolation on service_heartbeat_pkey
                errors.append(error)

    threads = [threading.Thread(target=beat, args=(rt, [f"articles.classified.v1:{n}"])) for n, rt in enumerate(replicas)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    notifier = next(s for s in service.replicas(database_url, 5.0) if s.service == "notifier")
    assert notifier.up and notifier.live == 2 and notifier.summary == "2 of 2 replicas up"
    assert [(i.instance, i.health, i.partitions) for i in notifier.instances] == [
        ("notifier-a", "up", ["articles.classified.v1:0"]), ("notifier-b", "up", ["articles.classified.v1:1"]),
    ]


def test_a_silent_replica_is_shown_down_then_forgotten_by_a_live_one(database_url: str) -> None:
    live, silent, other = (runtime(database_url, name, service_name, 0.2, 2.0) for name, service_name in (("a", "notifier"), ("b", "notifier"), ("c", "classifier")))
    for rt in (live, silent, other):
        rt.write_heartbeat()
    assert instances(database_url, 0.2)["notifier"] == {"a": "up", "b": "up"}
    seen: list[dict[str, str]] = []

    def beat_and_look(until: dict[str, str]) -> bool:
        live.write_heartbeat()  # `b` and `c` have fallen silent
        seen.append(instances(database_url, 0.2)["notifier"])
        return seen[-1] == until

    wait_for(lambda: beat_and_look({"a": "up", "b": "DOWN"}), 10, "the silent replica to be shown down")
    wait_for(lambda: beat_and_look({"a": "up"}), 10, "the silent replica to be forgotten")
    assert all(view["a"] == "up" for view in seen)
    assert instances(database_url, 0.2)["classifier"] == {"c": "DOWN"}, "a notifier forgets only notifiers: the last classifier stays visible"
    notifier = next(s for s in service.replicas(database_url, 0.2) if s.service == "notifier")
    assert notifier.up and notifier.live == 1


def test_a_replica_that_stopped_cleanly_is_shown_stopped_and_the_service_down(sqlite_url: str) -> None:
    import asyncio

    rt = runtime(sqlite_url, "only")
    rt.write_heartbeat(["articles.classified.v1:0"])
    asyncio.run(rt.write_stopped())
    notifier = next(s for s in service.replicas(sqlite_url, 5.0) if s.service == "notifier")
    assert (notifier.up, notifier.live, [(i.instance, i.health) for i in notifier.instances]) == (False, 0, [("only", "stopped")])


def test_readiness_needs_a_recent_heartbeat(sqlite_url: str) -> None:
    rt = runtime(sqlite_url, "r", heartbeat_seconds=5.0)
    assert not rt.heartbeat_ok(), "not written yet: radar status does not show this replica"
    rt.write_heartbeat()
    assert rt.heartbeat_ok()
    rt.heartbeat_at = utcnow() - timedelta(seconds=16)
    assert not rt.heartbeat_ok()


def test_the_instance_is_the_configured_name_else_host_and_pid() -> None:
    assert instance_name("radar-notifier-7d9f-x2k", "node-1", 1) == "radar-notifier-7d9f-x2k"
    assert instance_name("", "laptop", 4242) == "laptop:4242"
    assert instance_name("  ", "laptop", 4242) == "laptop:4242"


def consumer(*held: tuple[str, int]) -> SimpleNamespace:
    return SimpleNamespace(assignment=lambda: {TopicPartition(t, p) for t, p in held})


def test_assigned_partitions_are_those_the_consumers_hold() -> None:
    assert assigned_partitions([]) is None, "no subscriber: the process consumes nothing"
    assert assigned_partitions([SimpleNamespace(consumer=None)]) == [], "not started or not yet in its group"
    subscriber = SimpleNamespace(consumer=consumer(("articles.classified.v1", 5), ("articles.classified.v1", 0)))
    assert assigned_partitions([subscriber]) == ["articles.classified.v1:0", "articles.classified.v1:5"]
    concurrent = SimpleNamespace(consumer=None, consumer_subgroup=[consumer(("t", 2)), consumer(("t", 1))])
    assert assigned_partitions([concurrent]) == ["t:1", "t:2"]


def test_forgetting_before_down_is_refused_naming_both_settings() -> None:
    with pytest.raises(ValidationError, match=r"HEARTBEAT_FORGET_SECONDS \(15\) must exceed 3 × HEARTBEAT_SECONDS \(15\)"):
        SharedSettings(heartbeat_seconds=5, heartbeat_forget_seconds=15)


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, migrated by the test itself."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'radar.db'}"
        yield url
        get_engine(url).dispose()
        return
    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.rsplit("/", 1)[0] + f"/{name}"
    yield url
    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migration_0015_keeps_the_rows_and_keys_them_by_service_and_instance(blank_database_url: str) -> None:
    db = blank_database_url
    upgrade(db, "0014")
    old = utcnow() - timedelta(seconds=30)
    with get_engine(db).begin() as conn:
        conn.execute(text("INSERT INTO service_heartbeat (service, instance, version, started_at, last_seen_at) VALUES ('notifier', 'host:1', '0.1', :t, :t)"), {"t": old})
    upgrade(db, "0015")
    with session_scope(db) as s:
        rows = s.exec(select(ServiceHeartbeat)).all()
    assert [(r.service, r.instance, r.state, r.partitions) for r in rows] == [("notifier", "host:1", "stopped", None)], "the former version's row, marked stopped"
    runtime(db, "host:2").write_heartbeat(["articles.classified.v1:0"])
    assert instances(db)["notifier"] == {"host:1": "stopped", "host:2": "up"}
    command.downgrade(alembic_config(db), "0014")  # one row per service again: the newest is kept
    with get_engine(db).connect() as conn:
        assert conn.execute(text("SELECT service, instance FROM service_heartbeat")).all() == [("notifier", "host:2")]
    upgrade(db)
    assert instances(db)["notifier"] == {"host:2": "stopped"}, "upgraded again: the kept row is the former version's"


async def readyz(app: object) -> tuple[int, dict[str, object]]:
    """GET /readyz through the service app's own ASGI route."""
    handler = dict(app.routes)["/readyz"]  # type: ignore[attr-defined]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await handler({"type": "http", "method": "GET", "path": "/readyz", "query_string": b"", "headers": []}, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
    return int(sent[0]["status"]), json.loads(body)  # type: ignore[call-overload]


def test_a_replica_is_ready_only_once_its_heartbeat_is_written(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from faststream.kafka import KafkaBroker

    from radar_shared.service_app import make_app

    broker = KafkaBroker("127.0.0.1:1")

    async def ping(timeout: float) -> bool:
        return True  # Kafka answers: only the heartbeat decides

    monkeypatch.setattr(broker, "ping", ping)
    rt = runtime(sqlite_url, "pod-1")
    app = make_app(broker, rt, title="t", description="d")
    status, body = asyncio.run(readyz(app))
    assert (status, body["heartbeat"], body["instance"]) == (503, False, "pod-1")
    rt.write_heartbeat(rt.assignment())
    status, body = asyncio.run(readyz(app))
    assert (status, body["heartbeat"], body["database"], body["partitions"]) == (200, True, True, None), "no subscriber: it consumes nothing"
