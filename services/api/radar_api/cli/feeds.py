"""`radar feeds`: the feeds the feed-watcher polls (add, list, preview, import and export as OPML, remove)."""

import json
import sys

import click

from radar_api.cli.context import database_url, service
from radar_api.cli.output import fail, when


@click.group()
def feeds() -> None:
    """Feeds the feed-watcher polls."""


@feeds.command("add")
@click.argument("url")
@click.option("--title", default="")
@click.option("--interval", type=click.IntRange(min=30), default=None, help="Seconds between polls, at least 30 (default: FEED_WATCHER_POLL_INTERVAL_SECONDS).")
@click.option("--full-text-below", "full_text_below", type=int, default=None, metavar="CHARS",
              help="For summary-only feeds: fetch the article page and use its main text when an entry has fewer characters than this.")
@click.option("--allow", "allow", multiple=True, metavar="ADDRESS:PORTS",
              help="An intranet address and ports (10.1.2.3:443, 10.1.2.0/24:80,443) this feed's redirects and article pages may reach; "
                   "each within FEED_WATCHER_ALLOWED_NETWORKS. Repeatable.")
def feeds_add(url: str, title: str, interval: int | None, full_text_below: int | None, allow: tuple[str, ...]) -> None:
    from radar_shared.settings import FeedSettings

    try:
        feed = service.add_feed(database_url(), url, title, interval, FeedSettings().allowed_networks, full_text_below, list(allow))
    except service.ConfigError as error:
        fail(error)
    click.echo(f"feed {feed.id} added: {feed.url}")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True)
def feeds_list(as_json: bool) -> None:
    rows = service.list_feeds(database_url())
    if as_json:
        for f, st in rows:
            click.echo(json.dumps({"id": f.id, "url": f.url, "title": f.title, "enabled": f.enabled, "last_poll_at": when(st.last_poll_at if st else None),
                                   "error_streak": st.error_streak if st else 0, "full_text_below": f.full_text_below_chars,
                                   "allowed_networks": f.allowed_networks, "pages_fetched": st.pages_fetched if st else 0, "pages_failed": st.pages_failed if st else 0,
                                   "last_page_error": st.last_page_error if st else None}))
        return
    for f, st in rows:
        state = "disabled" if not f.enabled else (f"errors x{st.error_streak}" if st and st.error_streak else "ok")
        pages = f"  full text < {f.full_text_below_chars}: {st.pages_fetched if st else 0} pages, {st.pages_failed if st else 0} failed" if f.full_text_below_chars else ""
        click.echo(f"{f.id:>4}  {state:<12} {when(st.last_poll_at if st else None):<19}  {f.url}  {f.title}{pages}")


@feeds.command("preview")
@click.argument("source")
def feeds_preview(source: str) -> None:
    """Show what the watcher would publish from a feed URL or a local file, as JSON lines; exit 1 on an error."""
    import asyncio
    from pathlib import Path

    from radar_feed_watcher.preview import FeedFetchError, FeedParseError, preview_file, preview_url

    try:
        if Path(source).exists():
            entries = asyncio.run(preview_file(Path(source)))
        else:
            entries = asyncio.run(preview_url(source))
    except (FeedFetchError, FeedParseError, OSError) as error:
        click.echo(f"radar: {error}", err=True)
        sys.exit(1)
    for entry in entries:
        click.echo(json.dumps(entry, ensure_ascii=False))


@feeds.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def feeds_import(path: str) -> None:
    """Add the feeds of an OPML file (each checked like `feeds add`)."""
    from pathlib import Path

    from radar_api.opml import OPMLError, parse_opml
    from radar_shared.settings import FeedSettings

    try:
        items = parse_opml(Path(path).read_bytes(), path)
    except OPMLError as error:
        fail(error)
    report = service.import_feeds(database_url(), [(f.url, f.title) for f in items], FeedSettings().allowed_networks)
    click.echo(f"{len(report.added)} added, {len(report.existing)} already present, {len(report.refused)} refused")
    for line in report.refused:
        click.echo(f"  refused {line}", err=True)
    if report.refused:
        sys.exit(1)


@feeds.command("export")
def feeds_export() -> None:
    """Write the enabled feeds as OPML to standard output."""
    from radar_api.opml import OPMLFeed, render_opml

    sys.stdout.buffer.write(render_opml([OPMLFeed(url, title) for url, title in service.export_feeds(database_url())]))


@feeds.command("remove")
@click.argument("feed_id", type=int)
def feeds_remove(feed_id: int) -> None:
    try:
        service.remove_feed(database_url(), feed_id)
    except service.NotFoundError as error:
        fail(error)
    click.echo(f"feed {feed_id} removed")
