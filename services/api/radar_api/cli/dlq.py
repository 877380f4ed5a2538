"""`radar dlq`: messages a service could not process, read from the dead-letter topics (list, replay)."""

import click

from radar_api.cli.context import shared_settings
from radar_api.cli.output import fail


@click.group()
def dlq() -> None:
    """Messages a service could not process, with the error."""


@dlq.command("list")
@click.option("--topic", default=None, help="articles.discovered.v1 or articles.classified.v1 (default: both).")
def dlq_list(topic: str | None) -> None:
    import asyncio

    from radar_api.dlq import UnknownTopicError, list_dead_letters

    try:
        letters = asyncio.run(list_dead_letters(shared_settings().kafka_bootstrap_servers, topic))
    except UnknownTopicError as error:
        fail(error)
    for d in letters:
        click.echo(f"{d.topic} [{d.partition}:{d.offset}] from {d.headers.get('x-radar-service', '?')} after {d.headers.get('x-radar-attempts', '?')} attempt(s)")
        click.echo(f"    error: {d.headers.get('x-radar-error', '?')[:300]}")
        click.echo(f"    value: {d.value[:160].decode('utf-8', 'replace')}")
    click.echo(f"{len(letters)} dead letter(s)", err=True)


@dlq.command("replay")
@click.option("--topic", default=None)
@click.option("--dry-run", is_flag=True, help="Show what would be replayed.")
def dlq_replay(topic: str | None, dry_run: bool) -> None:
    """Re-publish dead letters to their source topic, each once (progress is kept in group radar-dlq-replay)."""
    import asyncio

    from radar_api.dlq import UnknownTopicError, replay

    try:
        letters = asyncio.run(replay(shared_settings().kafka_bootstrap_servers, topic, dry_run))
    except UnknownTopicError as error:
        fail(error)
    for d in letters:
        click.echo(f"{'would replay' if dry_run else 'replayed'} {d.topic} [{d.partition}:{d.offset}] → {d.source_topic}")
    click.echo(f"{len(letters)} dead letter(s) {'to replay' if dry_run else 'replayed'}", err=True)
