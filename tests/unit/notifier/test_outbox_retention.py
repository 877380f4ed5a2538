"""Published alert events leave alert_outbox after NOTIFIER_OUTBOX_RETENTION_DAYS; waiting and failed rows stay."""

from datetime import UTC, datetime, timedelta

from radar_notifier.config import NotifierSettings
from radar_shared.db import session_scope
from radar_shared.models import AlertOutbox
from tests.support.notifier import notifier_for

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


async def test_only_rows_published_before_the_retention_are_deleted(database_url: str) -> None:
    with session_scope(database_url) as s:
        s.add_all([
            AlertOutbox(delivery_id=1, payload=None, published_at=NOW - timedelta(days=8)),  # old enough: goes
            AlertOutbox(delivery_id=2, payload=None, published_at=NOW - timedelta(days=6)),  # published recently: stays
            AlertOutbox(delivery_id=3, payload={"topic": "alerts.delivered.v1", "event": {}}),  # not published yet: stays
            AlertOutbox(delivery_id=4, payload=None, failed_at=NOW - timedelta(days=30), publish_error="too large"),  # failed: stays
        ])
    notifier, _, _ = notifier_for(database_url, lambda: NOW)
    assert NotifierSettings().outbox_retention_days == 7
    assert await notifier.prune_events() == 1
    assert await notifier.prune_events() == 0
    with session_scope(database_url) as s:
        assert sorted(r.delivery_id for r in s.query(AlertOutbox).all()) == [2, 3, 4]
    await notifier.close()
