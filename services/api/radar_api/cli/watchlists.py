"""`radar watchlists`: sanctions lists whose names and IMO numbers the classifier tags (import, list)."""

import click

from radar_api.cli.context import database_url, service
from radar_api.cli.output import fail


@click.group()
def watchlists() -> None:
    """Sanctions lists whose names and vessel IMO numbers are tagged as `watchlist:<list>`."""


@watchlists.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--format", "fmt", type=click.Choice(["ofac", "opensanctions"]), default=None, help="Default: from the file (a header means OpenSanctions).")
@click.option("--list", "list_name", default=None, help="The list's name (default: from the file name).")
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False), default=None, help="OFAC ALT.CSV with the aliases of SDN.CSV.")
@click.option("--sample", is_flag=True, help="Import the sample list shipped with Radar.")
def watchlists_import(path: str | None, fmt: str | None, list_name: str | None, aliases: str | None, sample: bool) -> None:
    """Import (or replace) a list from OFAC's SDN CSV or OpenSanctions' targets.simple.csv."""
    from pathlib import Path

    from radar_classifier.operator import WatchlistError, parse_ofac_sdn, parse_opensanctions

    if sample:
        path, fmt, list_name = str(service.SAMPLE_WATCHLIST), "opensanctions", list_name or "sample"
    if not path:
        fail(ValueError("path: give a CSV file, or --sample"))
    data = Path(path).read_text(encoding="utf-8-sig", errors="replace")
    fmt = fmt or ("opensanctions" if data.lstrip().lower().startswith("id,") else "ofac")
    name = list_name or Path(path).stem.lower().replace(" ", "-")
    try:
        if fmt == "ofac":
            alt = Path(aliases).read_text(encoding="utf-8-sig", errors="replace") if aliases else None
            entities = parse_ofac_sdn(data, name, alt, Path(path).name)
        else:
            entities = parse_opensanctions(data, name, Path(path).name)
        count = service.import_watchlist(database_url(), entities, name)
    except (WatchlistError, service.ConfigError) as error:
        fail(error)
    imos = sum(1 for e in entities if e.imo)
    click.echo(f"watchlist {name}: {count} entities ({imos} with an IMO number) imported; tags appear as watchlist:{name}")


@watchlists.command("list")
def watchlists_list() -> None:
    for name, count in sorted(service.list_watchlists(database_url()).items()):
        click.echo(f"{name:<30} {count} entities")
