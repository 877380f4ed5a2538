"""The feed-watcher's domain metrics."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class FeedMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.polls = Counter("radar_feed_polls_total", "Feed polls by result (ok, not_modified, unchanged, error)", ["result"], registry=registry)
        self.errors = Counter("radar_feed_errors_total",
                              "Feed poll errors by kind (http, gone, timeout, deadline, tls, connect, dns, too_large, refused, redirects, parse)",
                              ["kind"], registry=registry)
        self.bytes = Counter("radar_feed_bytes_total", "Feed body bytes received", registry=registry)
        self.entries = Counter("radar_articles_discovered_total", "Articles published to articles.discovered.v1", registry=registry)
        self.parse_seconds = Histogram("radar_feed_parse_seconds", "Time to parse one feed body", registry=registry)
        self.stale = Gauge("radar_feeds_stale", "Feeds quiet for much longer than their usual rhythm", registry=registry)
        self.failing = Gauge("radar_feeds_failing", "Feeds whose last poll failed", registry=registry)
        self.next_poll_lag = Gauge("radar_feed_next_poll_lag_seconds", "How late the most overdue feed is", registry=registry)
