"""`radar feedback`: analysts' votes on alerts (export as a labelled corpus for `radar eval`)."""

import json

import click

from radar_api.cli.context import database_url


@click.group()
def feedback() -> None:
    """Analysts' votes on alerts."""


@feedback.command("export")
def feedback_export() -> None:
    """The voted articles as JSON Lines in the corpus's format (for `radar eval`), on standard output."""
    from radar_api.feedback import export_votes

    for row in export_votes(database_url()):
        click.echo(json.dumps(row, ensure_ascii=False))
