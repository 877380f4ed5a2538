"""After a send: sent, retried on the shared back-off (Retry-After a capped floor), or failed for good."""

from datetime import UTC, datetime, timedelta

import pytest

from radar_notifier.channels import SendResult
from radar_notifier.config import NotifierSettings
from radar_notifier.retry_schedule import failure_text, next_step

NOW = datetime(2026, 12, 2, tzinfo=UTC)
SETTINGS = NotifierSettings(send_attempts=5, retry_base_seconds=10, retry_max_seconds=300)


@pytest.mark.parametrize(
    ("result", "attempts", "jitter", "expected"),
    [
        (SendResult(True, "slack"), 1, 1.0, ("sent", None)),
        (SendResult(False, "slack", ["404 no_service"], permanent=True), 1, 1.0, ("failed", None)),
        (SendResult(False, "mailto", ["Connection error"]), 5, 1.0, ("failed", None)),  # the budget is spent
        (SendResult(False, "mailto", ["Connection error"]), 1, 1.0, ("retry", 10)),
        (SendResult(False, "mailto", ["Connection error"]), 3, 1.2, ("retry", 48)),
        (SendResult(False, "mailto", ["Connection error"]), 4, 1.0, ("retry", 80)),
        (SendResult(False, "slack", ["429"], retry_after=120), 1, 1.0, ("retry", 120)),  # the service's wait is a floor
        (SendResult(False, "slack", ["429"], retry_after=86_400), 1, 1.0, ("retry", 300)),  # …capped: no parking for a day
    ],
)
def test_next_step(result: SendResult, attempts: int, jitter: float, expected: tuple[str, float | None]) -> None:
    status, when = next_step(result, attempts, SETTINGS, NOW, jitter)
    assert (status, None if when is None else (when - NOW) / timedelta(seconds=1)) == pytest.approx(expected)


def test_failure_text_names_the_errors_or_says_apprise_failed() -> None:
    assert failure_text(SendResult(True, "slack")) is None
    assert failure_text(SendResult(False, "mailto", ["a", "b"])) == "a; b"
    assert failure_text(SendResult(False, "mailto")) == "Apprise reported a failure"
