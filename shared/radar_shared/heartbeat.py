"""A service process's liveness facts (state, last activity), written to `service_heartbeat` for `radar status`."""

import asyncio
import os
import socket
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import text

from radar_shared import __version__
from radar_shared.db import get_engine, session_scope
from radar_shared.logging import BROKER_LINKS
from radar_shared.loops import repeat
from radar_shared.messages import utcnow
from radar_shared.models import ServiceHeartbeat
from radar_shared.settings import SharedSettings


class ServiceRuntime:
    """Liveness facts of one service process, written to `service_heartbeat` for `radar status`."""

    def __init__(self, service: str, settings: SharedSettings, registry: CollectorRegistry) -> None:
        self.service = service
        self.settings = settings
        self.registry = registry
        self.instance = f"{socket.gethostname()}:{os.getpid()}"
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

    def write_heartbeat(self) -> None:
        BROKER_LINKS.settle()  # a broker that came back while aiokafka had nothing more to say
        with session_scope(self.settings.database_url) as session:
            row = session.get(ServiceHeartbeat, self.service) or ServiceHeartbeat(service=self.service)
            row.instance = self.instance
            row.version = __version__
            row.started_at = self.started_at
            row.last_seen_at = utcnow()
            row.last_activity_at = self.last_activity_at
            row.last_activity = self.last_activity
            session.add(row)

    async def heartbeat_loop(self) -> None:
        await repeat(lambda: asyncio.to_thread(self.write_heartbeat), self.settings.heartbeat_seconds, "heartbeat write")

    def database_ok(self) -> bool:
        try:
            with get_engine(self.settings.database_url).connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False
