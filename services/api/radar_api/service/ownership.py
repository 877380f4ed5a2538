"""Who may see and change what: the one place of the isolation rules.

A user (an Actor that is not an admin) sees and changes only the rows they own (`owner_id`); an admin, and the
CLI (no actor), see and change everything. A row of someone else is reported exactly as a missing row, so a
user cannot learn what others own. Quotas count only a user's enabled rows; admins and the CLI have none.
"""

from typing import Any

from sqlmodel import Session, col, func, select

from radar_api.auth import Actor
from radar_api.service.errors import ConfigError, NotFoundError, QuotaError
from radar_shared.models import Watch


def owned(s: Session, model: type, ident: int, what: str, actor: Actor | None = None) -> Any:
    """The row, or NotFoundError, also when it belongs to another user."""
    row = s.get(model, ident)
    if row is None or (actor is not None and not actor.admin and getattr(row, "owner_id", None) != actor.user_id):
        raise NotFoundError(f"{what} {ident} does not exist")
    return row


def visible(query: Any, model: Any, actor: Actor | None) -> Any:
    """`query` narrowed to the rows of `model` the actor may see."""
    return query if actor is None or actor.admin else query.where(model.owner_id == actor.user_id)


def check_quota(s: Session, model: Any, actor: Actor | None, limit: int | None, what: str) -> None:
    """QuotaError when a user already has `limit` enabled rows of `model`."""
    if actor is None or actor.admin or limit is None:
        return
    count = s.exec(select(func.count()).select_from(model).where(model.owner_id == actor.user_id, col(model.enabled))).one()
    if count >= limit:
        raise QuotaError(f"{what}: you have {count} of at most {limit}; remove one first")


def check_watches(s: Session, watch_ids: list[int], actor: Actor | None) -> None:
    """A subscription may name only enabled watches the actor may see (ConfigError naming the watch)."""
    for w in watch_ids:
        watch = s.get(Watch, w)
        if watch is None or not watch.enabled or (actor is not None and not actor.admin and watch.owner_id != actor.user_id):
            raise ConfigError(f"watch: watch {w} does not exist")
