"""`radar topics`: built-in topics and watches, and the precision analysts' votes give them (stats)."""

import json

import click

from radar_api.cli.context import database_url


@click.group()
def topics() -> None:
    """Built-in topics and watches, and how analysts rate their alerts."""


@topics.command("stats")
@click.option("--json", "as_json", is_flag=True)
def topics_stats(as_json: bool) -> None:
    """Per topic and watch: alerts sent, alerts voted on, and precision from the votes, over 7 and 30 days."""
    from radar_api.feedback import precision_by_tag

    rows = precision_by_tag(database_url())
    if as_json:
        for r in rows:
            click.echo(json.dumps({"tag": r.tag, "days": r.days, "alerts": r.alerts, "voted": r.voted, "relevant": r.relevant, "precision": r.precision}))
        return
    if not rows:
        click.echo("no alerts sent in the last 30 days")
    click.echo(f"{'topic or watch':<28}{'days':>5}{'alerts':>8}{'voted':>7}{'relevant':>9}{'precision':>10}")
    for r in rows:
        precision = f"{r.precision:.2f}" if r.precision is not None else "–"
        click.echo(f"{r.tag:<28}{r.days:>5}{r.alerts:>8}{r.voted:>7}{r.relevant:>9}{precision:>10}")
