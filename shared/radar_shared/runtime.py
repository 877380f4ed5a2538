"""What every service process shares: its ASGI app (health, readiness, metrics, AsyncAPI), heartbeat and entry point."""

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import uvicorn
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry, Gauge, make_asgi_app
from sqlalchemy import text

from radar_shared import __version__
from radar_shared.db import get_engine, session_scope
from radar_shared.messages import utcnow
from radar_shared.models import ServiceHeartbeat
from radar_shared.settings import SharedSettings

log = logging.getLogger("radar.runtime")


async def repeat(step: Callable[[], Awaitable[Any]], interval: float, what: str) -> None:
    """Run `step` every `interval` seconds for ever; a failure is logged and the next round goes on."""
    while True:
        try:
            await step()
        except Exception:
            log.exception("%s failed; trying again", what)
        await asyncio.sleep(interval)


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


def make_app(
    broker: KafkaBroker,
    runtime: ServiceRuntime,
    *,
    lifespan: Callable[..., Any] | None = None,
    title: str,
    description: str,
    extra_routes: Sequence[tuple[str, Any]] = (),
) -> AsgiFastStream:
    """The service's ASGI app: the broker plus /healthz, /readyz, /metrics and /asyncapi.

    /healthz (liveness) is ok only while the app runs: 503 "starting" while the broker waits for Kafka at
    start-up, 503 "stopping" during shutdown. /readyz (readiness) also checks Kafka and the database now.
    """

    @get(include_in_schema=False)
    async def healthz(scope: Any) -> AsgiResponse:
        ok = runtime.state == "running"
        body = b'{"status":"ok"}' if ok else f'{{"status":"{runtime.state}"}}'.encode()
        return AsgiResponse(body, 200 if ok else 503, headers={"content-type": "application/json"})

    @get(include_in_schema=False)
    async def readyz(scope: Any) -> AsgiResponse:
        running = runtime.state == "running"
        broker_ok = running and await broker.ping(timeout=3.0)
        db_ok = await asyncio.to_thread(runtime.database_ok)
        body = f'{{"status":"{runtime.state}","broker":{str(broker_ok).lower()},"database":{str(db_ok).lower()}}}'.encode()
        return AsgiResponse(body, 200 if broker_ok and db_ok else 503, headers={"content-type": "application/json"})

    from faststream.specification import AsyncAPI

    app = AsgiFastStream(
        broker,
        asgi_routes=[("/healthz", healthz), ("/readyz", readyz), ("/metrics", make_asgi_app(runtime.registry)), *extra_routes],
        lifespan=lifespan,
        logger=logging.getLogger(f"radar.{runtime.service}"),
        specification=AsyncAPI(title=title, version=__version__, description=description),
        asyncapi_path="/asyncapi",
    )

    async def running() -> None:
        runtime.state = "running"

    async def stopping() -> None:
        runtime.state = "stopping"

    app.after_startup(running)  # runs once the broker has started, before the service's own after_startup hooks
    app.on_shutdown(stopping)
    commits = getattr(broker, "radar_commits", None)
    if commits is not None:
        app.on_shutdown(commits.flush)  # runs before the broker stops: the last handled offsets are committed
    return app


def serve(app: Any, host: str, port: int) -> None:
    """Run the app in the foreground; SIGTERM and Ctrl-C shut it down cleanly through the lifespan.

    uvicorn re-raises the signal after its graceful shutdown; by then the work is done, so exit 0.
    """
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, lifespan="on", timeout_graceful_shutdown=10)


class ConfigReloader:
    """Re-reads configuration from the database every CONFIG_RELOAD_SECONDS and applies it when it changed."""

    def __init__(self, name: str, load: Callable[[], Any], apply: Callable[[Any], None], interval: float) -> None:
        self.name = name
        self.load = load
        self.apply = apply
        self.interval = interval
        self._last: Any = object()

    def reload(self) -> bool:
        value = self.load()
        if value == self._last:
            return False
        self.apply(value)
        self._last = value
        log.info("configuration loaded", extra={"config": self.name, "count": len(value) if hasattr(value, "__len__") else None})
        return True

    async def run_forever(self) -> None:
        await repeat(lambda: asyncio.to_thread(self.reload), self.interval, f"reloading {self.name}")
