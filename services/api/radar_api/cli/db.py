"""`radar db` (the schema) and `radar seed` (the default feeds)."""

import click

from radar_api.cli.context import database_url, service


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (safe to run twice)."""
    from radar_shared.db import upgrade

    upgrade(database_url())
    click.echo("database is up to date")


@click.command()
def seed() -> None:
    """Add the default feeds (the built-in topics need no seeding: they are rule files)."""
    added = service.seed_feeds(database_url())
    click.echo(f"{added} default feed(s) added; topics: {', '.join(service.topic_names())}")
