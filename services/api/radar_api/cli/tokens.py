"""`radar tokens`: API tokens, stored hashed and shown once (create, revoke)."""

import click

from radar_api.cli.context import database_url
from radar_api.cli.output import fail


@click.group()
def tokens() -> None:
    """API tokens (stored hashed; shown once)."""


@tokens.command("create")
@click.argument("user")
@click.option("--name", default="", help="What the token is for.")
def tokens_create(user: str, name: str) -> None:
    """Print a new token for USER. It is not stored and cannot be shown again."""
    from radar_api.auth import AuthError, create_token

    try:
        token_id, token = create_token(database_url(), user, name)
    except AuthError as error:
        fail(error)
    click.echo(f"token {token_id} for {user}: {token}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
def tokens_revoke(token_id: int) -> None:
    from radar_api.auth import AuthError, revoke_token

    try:
        revoke_token(database_url(), token_id)
    except AuthError as error:
        fail(error)
    click.echo(f"token {token_id} revoked")
