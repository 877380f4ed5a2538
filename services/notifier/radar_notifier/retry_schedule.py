"""What happens after a send (pure but for the jitter draw): sent, retried later, or failed for good.

A delivery is retried with the shared exponential back-off (radar_shared.backoff) until NOTIFIER_SEND_ATTEMPTS
are spent; a permanent failure (a revoked webhook, a refused address) is never retried. A service's
Retry-After is a floor under the back-off, itself capped at NOTIFIER_RETRY_MAX_SECONDS, so a channel cannot
park a delivery for ever.
"""

import random
from datetime import datetime, timedelta
from typing import Literal

from radar_notifier.channels import SendResult
from radar_notifier.config import NotifierSettings
from radar_shared.backoff import backoff_delay

Step = Literal["sent", "retry", "failed"]


def next_step(result: SendResult, attempts: int, settings: NotifierSettings, now: datetime, jitter: float) -> tuple[Step, datetime | None]:
    """After an attempt: ('sent', None), ('retry', when) or ('failed', None). A service's Retry-After is a floor
    under the exponential back-off; `jitter` is a factor near 1 that spreads retries out."""
    if result.ok:
        return "sent", None
    if result.permanent or attempts >= settings.send_attempts:
        return "failed", None
    retry_after = None if result.retry_after is None else min(result.retry_after, settings.retry_max_seconds)
    delay = backoff_delay(attempts, settings.retry_base_seconds, settings.retry_max_seconds, jitter=jitter, floor=retry_after)
    return "retry", now + timedelta(seconds=delay)


def retry_jitter() -> float:
    """The factor that spreads the retries of alerts that failed together."""
    return random.uniform(0.8, 1.2)


def failure_text(result: SendResult) -> str | None:
    """What the delivery log and the alerts.failed.v1 event say about a failed send (None when it was sent)."""
    return None if result.ok else ("; ".join(result.errors) or "Apprise reported a failure")[:2000]
