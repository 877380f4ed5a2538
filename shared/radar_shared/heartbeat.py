"""A service process's liveness facts (state, partitions, last activity), written to `service_heartbeat` for
`radar status`, the status page and the control plane's metrics.

Each process is one replica and writes its own row, keyed by (service, instance): replicas never write one
another's row. The instance is SERVICE_INSTANCE (the pod name in the Helm chart), else host:pid. With each beat a
replica also deletes the rows of its service that have been silent for HEARTBEAT_FORGET_SECONDS (replicas that
crashed or were replaced); until then they are shown down. A clean shutdown writes the state `stopped`.
"""

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import delete, text
from sqlmodel import col, select

from radar_shared import __version__
from radar_shared.db import dialect_insert, get_engine, session_scope
from radar_shared.logging import BROKER_LINKS
from radar_shared.loops import repeat
from radar_shared.messages import utcnow
from radar_shared.models import ServiceHeartbeat
from radar_shared.settings import SharedSettings

log = logging.getLogger("radar.heartbeat")
MISSED_BEATS_DOWN = 3  # a replica is down once it has missed this many heartbeats


def instance_name(configured: str, hostname: str, pid: int) -> str:
    """SERVICE_INSTANCE when set (the pod name), else host:pid: unique among the processes of one machine."""
    return configured.strip() or f"{hostname}:{pid}"


def assigned_partitions(subscribers: Iterable[Any]) -> list[str] | None:
    """"topic:partition" of every partition the subscribers' consumers hold now, in order; None when there is no
    subscriber (the process consumes nothing). A consumer that has not joined its group yet holds none."""
    subscribers = list(subscribers)
    if not subscribers:
        return None
    held = set()
    for subscriber in subscribers:
        for consumer in getattr(subscriber, "consumer_subgroup", None) or [getattr(subscriber, "consumer", None)]:
            if consumer is not None:
                held |= {(tp.topic, tp.partition) for tp in consumer.assignment()}
    return [f"{topic}:{partition}" for topic, partition in sorted(held)]


class ServiceRuntime:
    """Liveness facts of one service process, written to `service_heartbeat` for `radar status`."""

    def __init__(self, service: str, settings: SharedSettings, registry: CollectorRegistry) -> None:
        self.service = service
        self.settings = settings
        self.registry = registry
        self.instance = instance_name(settings.service_instance, socket.gethostname(), os.getpid())
        self.assignment: Callable[[], list[str] | None] = lambda: None  # the consumer's partitions: set by make_app
        self.heartbeat_at: datetime | None = None  # when this replica's heartbeat was last written
        self.started_at = utcnow()
        self.last_activity_at: datetime | None = None
        self.last_activity: str | None = None
        self.state = "starting"  # → "running" once the broker has started → "stopping" at shutdown
        Gauge("radar_service_info", "Service version", ["service", "version"], registry=registry).labels(service, __version__).set(1)
        self._up = Gauge("radar_service_start_time_seconds", "When the service started", registry=registry)
        self._up.set(self.started_at.timestamp())
        registry.register(BROKER_LINKS)  # radar_broker_unreachable_seconds_total{node}

    def start_background(self, *coros: Any) -> None:
        """Run coroutines as tasks until stop_background()."""
        self._tasks = [asyncio.create_task(c) for c in coros]

    async def stop_background(self) -> None:
        tasks, self._tasks = getattr(self, "_tasks", []), []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def activity(self, what: str) -> None:
        self.last_activity_at = utcnow()
        self.last_activity = what[:500]

    def write_heartbeat(self, partitions: list[str] | None = None, state: str | None = None) -> list[str]:
        """Write this replica's row (one statement: an upsert on (service, instance)) and delete the rows of its
        service silent for HEARTBEAT_FORGET_SECONDS; returns the instances deleted."""
        BROKER_LINKS.settle()  # a broker that came back while aiokafka had nothing more to say
        now = utcnow()
        values = {
            "service": self.service, "instance": self.instance, "state": state or self.state, "partitions": partitions, "version": __version__,
            "started_at": self.started_at, "last_seen_at": now, "last_activity_at": self.last_activity_at, "last_activity": self.last_activity,
        }
        with session_scope(self.settings.database_url) as session:
            insert = dialect_insert(session)(ServiceHeartbeat).values(**values)
            session.execute(insert.on_conflict_do_update(index_elements=["service", "instance"], set_={k: insert.excluded[k] for k in values if k not in ("service", "instance")}))
            silent = col(ServiceHeartbeat.last_seen_at) < now - timedelta(seconds=self.settings.heartbeat_forget_seconds)
            mine = col(ServiceHeartbeat.service) == self.service
            forgotten = list(session.exec(select(ServiceHeartbeat.instance).where(mine, silent)).all())
            if forgotten:
                session.execute(delete(ServiceHeartbeat).where(mine, silent, col(ServiceHeartbeat.instance).in_(forgotten)))
        self.heartbeat_at = now
        for instance in forgotten:
            log.info("replica forgotten: silent for HEARTBEAT_FORGET_SECONDS", extra={"service": self.service, "instance": instance})
        return forgotten

    def heartbeat_ok(self) -> bool:
        """The last heartbeat was written less than MISSED_BEATS_DOWN heartbeats ago: `radar status` sees this replica."""
        at = self.heartbeat_at
        return at is not None and utcnow() - at < timedelta(seconds=MISSED_BEATS_DOWN * self.settings.heartbeat_seconds)

    async def heartbeat_loop(self) -> None:
        await repeat(lambda: asyncio.to_thread(self.write_heartbeat, self.assignment()), self.settings.heartbeat_seconds, "heartbeat write")

    async def write_stopped(self) -> None:
        """The last heartbeat of a clean shutdown: the replica is shown stopped, not down, until it is forgotten."""
        try:
            await asyncio.to_thread(self.write_heartbeat, None, "stopped")
        except Exception as error:  # noqa: BLE001 - the process exits anyway; its row then ages into "down"
            log.warning("last heartbeat (stopped) not written", extra={"service": self.service, "instance": self.instance, "error": f"{type(error).__name__}: {error}"})

    def database_ok(self) -> bool:
        try:
            with get_engine(self.settings.database_url).connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False
