"""`radar watchlists`: sanctions lists whose names and IMO numbers the classifier tags (import, list)."""

from typing import TYPE_CHECKING

import click

from radar_api.cli.context import database_url, service
from radar_api.cli.output import fail

if TYPE_CHECKING:
    from radar_classifier.operator import ListRead


@click.group()
def watchlists() -> None:
    """Sanctions lists whose names and vessel IMO numbers are tagged as `watchlist:<list>`."""


@watchlists.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--format", "fmt", type=click.Choice(["ofac", "un", "opensanctions"]), default=None, help="Default: from the file (XML means UN, a header OpenSanctions).")
@click.option("--list", "list_name", default=None, help="The list's name (default: from the file name).")
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False), default=None, help="OFAC ALT.CSV with the aliases of SDN.CSV.")
@click.option("--sample", is_flag=True, help="Import the sample list shipped with Radar.")
def watchlists_import(path: str | None, fmt: str | None, list_name: str | None, aliases: str | None, sample: bool) -> None:
    """Import (or replace) a list from OFAC's SDN.CSV (+ ALT.CSV), the UN consolidated XML or OpenSanctions'
    targets.simple.csv, and print what it took. A list that cannot be read is refused whole; the stored one stays."""
    from pathlib import Path

    from radar_classifier.operator import WatchlistError, read_list

    if sample:
        path, fmt, list_name = str(service.SAMPLE_WATCHLIST), "opensanctions", list_name or "sample"
    if not path:
        fail(ValueError("path: give a list file, or --sample"))
    name = list_name or Path(path).stem.lower().replace(" ", "-")
    try:
        read = read_list(Path(path).read_bytes(), name, fmt, Path(aliases).read_bytes() if aliases else None, Path(path).name)
        count = service.import_watchlist(database_url(), read.entities, name)
    except (WatchlistError, service.ConfigError) as error:
        fail(error)
    click.echo(import_report(name, count, read))


def import_report(name: str, stored: int, read: "ListRead") -> str:
    """What an import took, in an analyst's words, and each refused row with its line."""
    r = read.report()
    lines = [
        f"watchlist {name}: {stored} entities ({r['with_imo']} with an IMO number) imported; tags appear as watchlist:{name}",
        f"  names {r['names']}: aliases {r['aliases']} strong, {r['weak_aliases']} weak (never match alone)",
        f"  vessels {r['vessels']}, {r['vessels_with_imo']} with an IMO number; {r['with_mmsi']} entries with an MMSI",
        f"  refused {r['refused']} rows" + (":" if read.refused else ""),
    ]
    lines += [f"    {read.source}: {row.where}: {row.reason}" for row in read.refused[:50]]
    if len(read.refused) > 50:
        lines.append(f"    … and {len(read.refused) - 50} more")
    return "\n".join(lines)


@watchlists.command("list")
def watchlists_list() -> None:
    for name, count in sorted(service.list_watchlists(database_url()).items()):
        click.echo(f"{name:<30} {count} entities")


def _user_id(name: str) -> int:
    from radar_api.auth import list_users

    found = next((u.id for u in list_users(database_url()) if u.name == name), None)
    if found is None:
        fail(ValueError(f"user: no user named {name!r}"))
    return found


@watchlists.command("clear")
@click.argument("list_name", metavar="LIST")
@click.argument("entity_id", metavar="ENTRY_ID")
@click.option("--alias", default="", help="Clear only this name of the entry (default: the whole entry).")
@click.option("--user", "user_name", required=True, help="The analyst for whom the entry is noise.")
def watchlists_clear(list_name: str, entity_id: str, alias: str, user_name: str) -> None:
    """Stop alerting a user on a list entry (or one of its aliases) until the entry changes on the list."""
    try:
        row = service.clear_entry(database_url(), _user_id(user_name), list_name, entity_id, alias)
    except (service.ConfigError, service.NotFoundError) as error:
        fail(error)
    what = f"alias {row.alias!r} of " if row.alias else ""
    click.echo(f"clear {row.id}: {what}{list_name}/{entity_id} ({row.name}) no longer alerts {user_name} until the entry changes")


@watchlists.command("unclear")
@click.argument("clear_id", type=int)
@click.option("--user", "user_name", required=True)
def watchlists_unclear(clear_id: int, user_name: str) -> None:
    """Alert the user on that entry again (CLEAR_ID from `radar watchlists clears`)."""
    try:
        service.remove_clear(database_url(), _user_id(user_name), clear_id)
    except service.NotFoundError as error:
        fail(error)
    click.echo(f"clear {clear_id} removed")


@watchlists.command("clears")
@click.option("--user", "user_name", required=True)
def watchlists_clears(user_name: str) -> None:
    """A user's clears; `lapsed` ones were made on an entry that has changed since, and alert again."""
    for row in service.list_clears(database_url(), _user_id(user_name)):
        alias = f" alias {row.alias!r}" if row.alias else ""
        click.echo(f"{row.id:>5}  {row.list_name}/{row.entity_id}{alias}  {row.name or '(no longer listed)'}  {'active' if row.active else 'lapsed'}")
