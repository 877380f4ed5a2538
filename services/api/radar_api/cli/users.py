"""`radar users`: people who use the API and the web page (add, list)."""

import click

from radar_api.cli.context import database_url
from radar_api.cli.output import fail


@click.group()
def users() -> None:
    """People who use the API and the web page."""


@users.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="An operator: sees everything, manages feeds.")
def users_add(name: str, admin: bool) -> None:
    from radar_api.auth import AuthError, add_user

    try:
        user = add_user(database_url(), name, "admin" if admin else "user")
    except AuthError as error:
        fail(error)
    click.echo(f"user {user.id} {user.name} ({user.role}) added")


@users.command("list")
def users_list() -> None:
    from radar_api.auth import list_users

    for u in list_users(database_url()):
        click.echo(f"{u.id:>4}  {u.name}  {u.role}")
