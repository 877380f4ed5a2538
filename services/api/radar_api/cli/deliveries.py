"""`radar deliveries`: the delivery log (list, queue failed deliveries to be sent again)."""

import click

from radar_api.cli.context import database_url, service
from radar_api.cli.output import fail, when


@click.group()
def deliveries() -> None:
    """The delivery log: what was sent, what is being retried, what failed."""


@deliveries.command("list")
@click.option("--failed", "failed_only", is_flag=True, help="Only deliveries that failed (budget spent or permanent).")
@click.option("--limit", type=int, default=50, show_default=True)
def deliveries_list(failed_only: bool, limit: int) -> None:
    try:
        rows = service.list_deliveries(database_url(), failed_only=failed_only, limit=limit)
    except service.ConfigError as error:
        fail(error)
    for d in rows:
        retry = f" retry {when(d.next_attempt_at)}" if d.status == "pending" else ""
        click.echo(f"{d.id:>5}  {d.status:<8} sub {d.subscription_id:<4} attempts {d.attempts:<2}{retry}  {d.title[:70]}")
        if d.last_error and d.status != "sent":
            click.echo(f"       last error: {d.last_error[:200]}")


@deliveries.command("resend")
@click.argument("delivery_ids", type=int, nargs=-1)
@click.option("--all-failed", is_flag=True)
def deliveries_resend(delivery_ids: tuple[int, ...], all_failed: bool) -> None:
    """Queue failed deliveries for sending again (the notifier picks them up within a second)."""
    if not delivery_ids and not all_failed:
        fail(ValueError("give delivery ids, or --all-failed"))
    queued = service.resend(database_url(), None if all_failed else list(delivery_ids))
    missing = [] if all_failed else sorted(set(delivery_ids) - set(queued))
    if queued or not missing:
        click.echo(f"{len(queued)} delivery(ies) queued for sending")
    if missing:
        fail(f"delivery_ids: no failed delivery {', '.join(map(str, missing))}")
