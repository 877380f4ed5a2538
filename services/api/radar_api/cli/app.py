"""The `radar` command group: wiring only. Each command group lives in its own module; this one adds them to the
root group (`radar --help` lists them by name)."""

import click

from radar_api.cli.api import api
from radar_api.cli.classify import classify, eval_command
from radar_api.cli.db import db, seed
from radar_api.cli.deliveries import deliveries
from radar_api.cli.dlq import dlq
from radar_api.cli.errors import RadarCommands
from radar_api.cli.feedback import feedback
from radar_api.cli.feeds import feeds
from radar_api.cli.status import status
from radar_api.cli.subscriptions import subscriptions
from radar_api.cli.tokens import tokens
from radar_api.cli.topics import topics
from radar_api.cli.users import users
from radar_api.cli.watches import watches
from radar_api.cli.watchlists import watchlists


@click.group(cls=RadarCommands)
def main() -> None:
    """Radar: news alerts for DPRK sanctions and Russia–DPRK smuggling."""


for command in (db, seed, feeds, watches, watchlists, subscriptions, deliveries, dlq, status, classify, eval_command, users, tokens, api, topics, feedback):
    main.add_command(command)
