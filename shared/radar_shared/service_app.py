"""What every service process serves: its ASGI app (health, readiness, metrics, AsyncAPI) and entry point."""

import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

import uvicorn
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.kafka import KafkaBroker
from prometheus_client import make_asgi_app

from radar_shared import __version__
from radar_shared.heartbeat import ServiceRuntime, assigned_partitions


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
    start-up, 503 "stopping" during shutdown. /readyz (readiness) also checks Kafka and the database now, and
    that this replica's heartbeat was written within the last 3 beats: a replica is ready only once `radar
    status` shows it (its instance and partitions are in the answer).
    """
    runtime.assignment = lambda: assigned_partitions(broker.subscribers)

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
        beat_ok = runtime.heartbeat_ok()
        body = json.dumps({"status": runtime.state, "broker": broker_ok, "database": db_ok, "heartbeat": beat_ok, "instance": runtime.instance,
                           "partitions": runtime.assignment()}).encode()
        return AsgiResponse(body, 200 if broker_ok and db_ok and beat_ok else 503, headers={"content-type": "application/json"})

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
    app.after_shutdown(runtime.write_stopped)  # once the service's hooks have stopped its heartbeat loop
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
