"""Classifier reads (IO): the enabled watches."""

from sqlmodel import col, select

from radar_shared.db import session_scope
from radar_shared.models import Watch


def load_watches(database_url: str) -> list[tuple[int, str]]:
    with session_scope(database_url) as s:
        return [(w.id, w.query) for w in s.exec(select(Watch).where(col(Watch.enabled)).order_by(col(Watch.id))).all()]  # type: ignore[misc]
