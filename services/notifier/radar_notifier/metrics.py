"""The notifier's Prometheus metrics: deliveries by outcome and channel type, and end-to-end latency."""

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram

from radar_shared.messages import utcnow


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sent = Counter("radar_deliveries_sent_total", "Alerts delivered, by channel type", ["channel_type"], registry=registry)
        self.failed = Counter("radar_deliveries_failed_total", "Alerts that failed, by channel type", ["channel_type"], registry=registry)
        self.retries = Counter("radar_delivery_retries_total", "Delivery attempts that failed and were scheduled again, by channel type", ["channel_type"], registry=registry)
        self.held = Counter("radar_deliveries_held_total", "Alerts held back by quiet hours or a rate limit", ["reason"], registry=registry)
        self.queued = Counter("radar_deliveries_queued_total", "Stories queued for a digest", registry=registry)
        self.digests = Counter("radar_digests_sent_total", "Digests sent, by channel type", ["channel_type"], registry=registry)
        self.latency = Histogram(
            "radar_end_to_end_seconds",
            "From discovery of the article to delivery of the alert",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
            registry=registry,
        )

    def delivered(self, kind: str, discovered_at: datetime | None) -> None:
        """One alert delivered through a channel of this type (alone or in a digest)."""
        self.sent.labels(kind).inc()
        if discovered_at is not None:
            self.latency.observe((utcnow() - discovered_at).total_seconds())
