"""Watches (a user's aggregate): saved queries. A query is parsed by the classifier's own parser before it is
stored, so the classifier never meets a query it cannot run."""

from sqlmodel import col, select

from radar_api.auth import Actor
from radar_api.service.errors import ConfigError
from radar_api.service.ownership import check_quota, owned, visible
from radar_api.service.text import check_text
from radar_classifier.operator import parse_query
from radar_shared.db import session_scope
from radar_shared.models import Watch


def check_query(query: str) -> None:
    """ConfigError naming the position when `query` is not a valid watch query."""
    try:
        parse_query(query)
    except ValueError as error:
        raise ConfigError(f"query: {error}") from None


def add_watch(db: str, query: str, name: str = "", actor: Actor | None = None, quota: int | None = None) -> Watch:
    check_text(query=query, name=name)
    check_query(query)
    if len(name) > 200:
        raise ConfigError("name: at most 200 characters")
    with session_scope(db) as s:
        check_quota(s, Watch, actor, quota, "watches")
        watch = Watch(query=query, name=name, owner_id=actor.user_id if actor else None)
        s.add(watch)
        s.flush()
        return watch


def list_watches(db: str, actor: Actor | None = None) -> list[Watch]:
    with session_scope(db) as s:
        return list(s.exec(visible(select(Watch).where(col(Watch.enabled)), Watch, actor).order_by(col(Watch.id))).all())


def remove_watch(db: str, watch_id: int, actor: Actor | None = None) -> None:
    with session_scope(db) as s:
        watch = owned(s, Watch, watch_id, "watch", actor)
        watch.enabled = False
        s.add(watch)
