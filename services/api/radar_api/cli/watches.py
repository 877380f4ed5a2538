"""`radar watches`: users' own keyword queries (add, test against recent articles, list, remove)."""

import json
from typing import Any

import click

from radar_api.cli.context import database_url, service, shared_settings
from radar_api.cli.output import fail


@click.group()
def watches() -> None:
    """Your own keyword queries, e.g. '"Sky Morning" OR "Rich Glory"'."""


@watches.command("add")
@click.argument("query")
@click.option("--name", default="")
def watches_add(query: str, name: str) -> None:
    try:
        watch = service.add_watch(database_url(), query, name)
    except service.ConfigError as error:
        fail(error)
    click.echo(f"watch {watch.id} added: {watch.query}")


@watches.command("test")
@click.argument("query")
@click.option("--file", "source", type=click.File("r", encoding="utf-8"), default=None, help="JSON Lines of articles instead of Kafka.")
@click.option("--recent", type=int, default=2000, show_default=True, help="How many recent articles to read from Kafka.")
def watches_test(query: str, source: Any, recent: int) -> None:
    """Show which recent articles QUERY would have matched, and why, without saving it."""
    import asyncio

    from radar_api.watchtest import articles_from_lines, recent_articles
    from radar_classifier.operator import QuerySyntaxError, match_query, parse_query

    try:
        parse_query(query)
    except QuerySyntaxError as error:
        fail(ValueError(f"query: {error}"))
    try:
        articles = articles_from_lines(source) if source else asyncio.run(recent_articles(shared_settings().kafka_bootstrap_servers, recent))
    except ValueError as error:  # a line of --file that is not an article
        fail(error)
    matches = match_query(query, articles)
    for match in matches:
        click.echo(json.dumps(match, ensure_ascii=False))
    click.echo(f"{len(matches)} of {len(articles)} recent articles match", err=True)


@watches.command("list")
def watches_list() -> None:
    for w in service.list_watches(database_url()):
        click.echo(f"{w.id:>4}  {w.query}  {w.name}")


@watches.command("remove")
@click.argument("watch_id", type=int)
def watches_remove(watch_id: int) -> None:
    try:
        service.remove_watch(database_url(), watch_id)
    except service.NotFoundError as error:
        fail(error)
    click.echo(f"watch {watch_id} removed")
