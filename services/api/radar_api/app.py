"""Control-plane wiring: the REST API (/v1, OpenAPI at /docs) and the web page, over the service layer (`radar api`)."""

import asyncio
import logging
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from radar_api import browser_policy, service, web
from radar_api.config import ApiSettings
from radar_api.routes import Context, install
from radar_shared.channel_urls import ChannelRules
from radar_shared.settings import ChannelSettings, FeedbackSettings, FeedSettings, SharedSettings

log = logging.getLogger("radar.api")


def create_app(database_url: str | None = None, settings: ApiSettings | None = None) -> FastAPI:
    app = FastAPI(
        title="Radar control plane",
        description="Watches, subscriptions, deliveries and feeds. Authenticate with `Authorization: Bearer <token>` (`radar tokens create USER`).",
        version="0.1.0",
    )
    shared = SharedSettings()
    context = Context(database_url or shared.database_url, settings or ApiSettings(), ChannelRules.from_settings(ChannelSettings()), FeedSettings(),
                      shared.kafka_bootstrap_servers, shared.heartbeat_seconds, FeedbackSettings().checked_secret(shared.environment))
    install(app, context)
    web.install(app)
    browser_policy.install(app)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Consumer lag per group and partition, and dead letters per DLQ topic, read from Kafka at scrape time;
        the services' replicas, read from the heartbeat table."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

        from radar_api.kafka_status import kafka_status

        status = await kafka_status(context.kafka_bootstrap)
        registry = CollectorRegistry()
        up = Gauge("radar_kafka_up", "1 when the control plane could read Kafka's offsets", registry=registry)
        lag = Gauge("radar_consumer_lag", "Messages not yet processed, per consumer group and partition", ["group", "topic", "partition"], registry=registry)
        dead = Gauge("radar_dlq_messages", "Messages in each dead-letter topic", ["topic"], registry=registry)
        up.set(0 if status.error else 1)
        for row in status.lags:
            lag.labels(row.group, row.topic, str(row.partition)).set(row.lag)
        for topic, count in status.dead_letters.items():
            dead.labels(topic).set(count)
        try:
            service.replica_metrics(await asyncio.to_thread(service.replicas, context.db, context.heartbeat_seconds), registry)
        except Exception as error:  # noqa: BLE001 - Kafka's figures are still served; /readyz reports the database
            log.warning("replica metrics not read from the heartbeat table", extra={"error": f"{type(error).__name__}: {error}"[:300]})
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        from sqlalchemy import text

        from radar_shared.db import session_scope

        try:
            with session_scope(context.db) as s:
                s.execute(text("SELECT 1"))
        except Exception as error:  # noqa: BLE001 - readiness reports any database failure
            return JSONResponse({"status": "unavailable", "database": f"{type(error).__name__}: {error}"[:300]}, status_code=503)
        return JSONResponse({"status": "ok"})

    return app
