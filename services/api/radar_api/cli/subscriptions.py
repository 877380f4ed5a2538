"""`radar subscriptions`: channels (Apprise URLs) that receive alerts (add, test send, list, remove)."""

import json
import sys

import click

from radar_api.cli.context import channel_rules, database_url, service
from radar_api.cli.output import fail


@click.group()
def subscriptions() -> None:
    """Channels (Apprise URLs) that receive alerts for topics and watches."""


@subscriptions.command("add")
@click.option("--channel", required=True, help="An Apprise URL: mailto://…, slack://…, https://hooks.slack.com/services/…")
@click.option("--topic", "topics", multiple=True, help="A built-in topic (repeatable).")
@click.option("--watch", "watch_ids", multiple=True, type=int, help="A watch id (repeatable).")
@click.option("--min-score", type=float, default=0.0)
@click.option("--digest", type=click.Choice(["hourly", "daily"]), help="Group alerts into one message per hour or per day instead of sending each at once.")
@click.option("--digest-time", default="08:00", show_default=True, help="Local HH:MM of a daily digest.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA zone of the digest time and quiet hours, e.g. Asia/Seoul.")
@click.option("--quiet", metavar="HH:MM-HH:MM", help="Quiet hours: alerts are held until they end, e.g. 22:00-07:00.")
@click.option("--max-per-hour", type=int, help="Rate limit; alerts beyond it are delivered later, not dropped.")
def subscriptions_add(
    channel: str, topics: tuple[str, ...], watch_ids: tuple[int, ...], min_score: float, digest: str | None, digest_time: str, timezone: str,
    quiet: str | None, max_per_hour: int | None,
) -> None:
    from radar_shared.subscriptions import SubscriptionOptions

    quiet_start, _, quiet_end = (quiet or "").partition("-")
    # not validated here: the service checks the options and names the field
    policy = SubscriptionOptions.model_construct(mode="digest" if digest else "immediate", digest_schedule=digest or "daily", digest_time=digest_time,
                                                 timezone=timezone, quiet_start=quiet_start or None, quiet_end=quiet_end or None, max_per_hour=max_per_hour)
    if quiet and not quiet_end:
        fail("quiet: give quiet hours as HH:MM-HH:MM, e.g. 22:00-07:00")
    try:
        sub = service.add_subscription(database_url(), channel, list(topics), list(watch_ids), min_score, channel_rules(), policy)
    except service.ConfigError as error:
        fail(error)
    click.echo(f"subscription {sub.id} added")


@subscriptions.command("test")
@click.argument("subscription_id", type=int)
def subscriptions_test(subscription_id: int) -> None:
    """Send a sample alert to the subscription's channel and show Apprise's result per service."""
    import asyncio

    try:
        result = asyncio.run(service.send_test_alert(database_url(), subscription_id, channel_rules()))
    except service.NotFoundError as error:
        fail(error)
    click.echo(json.dumps(result.as_dict()))
    if not result.ok:
        sys.exit(1)


@subscriptions.command("list")
def subscriptions_list() -> None:
    for s in service.list_subscriptions(database_url()):
        what = ", ".join([*s.topics, *(f"watch:{w}" for w in s.watch_ids)])
        click.echo(f"{s.id:>4}  {s.channel}  [{what}]  min_score={s.min_score}  {s.schedule}")


@subscriptions.command("remove")
@click.argument("subscription_id", type=int)
def subscriptions_remove(subscription_id: int) -> None:
    try:
        service.remove_subscription(database_url(), subscription_id)
    except service.NotFoundError as error:
        fail(error)
    click.echo(f"subscription {subscription_id} removed")
