"""`radar status`: each service up or down with its replicas, each feed's health, deliveries by status, Kafka lag and dead letters."""

import json
from datetime import datetime
from typing import Any

import click

from radar_api.cli.context import service, shared_settings
from radar_api.cli.output import duration, when


@click.command()
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool) -> None:
    """Each service: up or down, each of its replicas with its partitions, last beat and activity. Each feed: last poll, last error."""
    settings = shared_settings()
    st = service.status(settings.database_url, settings.heartbeat_seconds)  # the FEED_WATCHER_STALE_* thresholds: read there, as for the API
    if as_json:
        def enc(o: Any) -> Any:
            return o.isoformat() if isinstance(o, datetime) else str(o)

        from dataclasses import asdict

        data = asdict(st)
        for feed, row in zip(st.feeds, data["feeds"], strict=True):
            row["health"], row["notes"] = feed.health, feed.notes
        for svc, row in zip(st.services, data["services"], strict=True):
            row["summary"] = svc.summary  # as /v1/status
        click.echo(json.dumps(data, default=enc))
        return
    click.echo("SERVICES")
    for s in st.services:
        click.echo(f"  {s.service:<13} {'up' if s.up else 'DOWN':<5} {s.summary}")
        for i in s.instances:
            partitions = f"  partitions {i.partitions_text}" if i.partitions_text else ""
            click.echo(f"    {i.instance:<32} {i.health:<8} seen {when(i.last_seen_at)}  up since {when(i.started_at)}{partitions}")
            if i.last_activity:
                click.echo(f"      last activity {when(i.last_activity_at)} {i.last_activity}")
    click.echo("FEEDS")
    for f in st.feeds:
        every = f"every {duration(f.interval_seconds)}" if f.interval_seconds else ""
        click.echo(f"  {f.id:>4} {f.health:<13} polled {when(f.last_poll_at)}  next {when(f.next_poll_at)}  {every:<14} {f.url}")
        if f.error_streak and f.last_error:
            click.echo(f"       last error: {f.last_error}")
        if f.moved_to:
            click.echo(f"       moved permanently to {f.moved_to} (fetched there; update the feed to make it official)")
        if f.stale:
            click.echo(f"       stale: newest entry {when(f.latest_entry_at)}, much longer ago than its usual rhythm")
        for note in f.notes:
            click.echo(f"       {note}")
    click.echo("DELIVERIES  " + ("  ".join(f"{k}={v}" for k, v in sorted(st.deliveries.items())) or "none yet"))
    import asyncio

    from radar_api.kafka_status import kafka_status

    kafka = asyncio.run(kafka_status(settings.kafka_bootstrap_servers))
    if kafka.error:
        click.echo(f"KAFKA  unreachable: {kafka.error}")
        return
    lag: dict[str, int] = {}
    for row in kafka.lags:
        lag[row.group] = lag.get(row.group, 0) + row.lag
    click.echo("KAFKA  lag " + "  ".join(f"{g}={n}" for g, n in lag.items()) + "  dead letters " + "  ".join(f"{t}={n}" for t, n in kafka.dead_letters.items()))
    click.echo("       last hour " + "  ".join(f"{t}={n}" for t, n in kafka.last_hour.items()))
