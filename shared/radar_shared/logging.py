"""JSON logging with one fixed vocabulary of keys (`feed_id`, `article_id`, `story_id`, `subscription_id`, `channel`, `topic`)."""

import logging
import sys
import time
from collections import Counter
from collections.abc import Callable

from pythonjsonlogger.json import JsonFormatter

LOG_KEYS = ("feed_id", "article_id", "story_id", "subscription_id", "delivery_id", "channel", "topic", "error")


class _ConsoleFormatter(logging.Formatter):
    """Readable one-line logs for `make run`: the same keys, as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        base = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {getattr(record, 'service', record.name):<12} {record.getMessage()}"
        extras = " ".join(f"{k}={getattr(record, k)}" for k in LOG_KEYS if getattr(record, k, None) is not None)
        text = f"{base} {extras}".rstrip()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class _ServiceFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        return True


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Route the root logger to stderr as JSON (or console lines), tagged with the service name."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "console":
        handler.setFormatter(_ConsoleFormatter())
    else:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    handler.addFilter(_ServiceFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "httpx", "httpcore", "apprise", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


class PeriodicSummary:
    """What a service did, logged at INFO once per `interval` seconds (at the first event after it has passed),
    so that INFO stays readable at a thousand messages a second; each message has its own line at DEBUG."""

    def __init__(self, logger: logging.Logger, what: str, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        self.what = what
        self.interval = interval
        self.clock = clock
        self.since = clock()
        self.counts: Counter[str] = Counter()

    def add(self, **counts: int) -> None:
        self.counts.update(counts)
        now = self.clock()
        if now - self.since >= self.interval:
            seconds = now - self.since
            figures = ", ".join(f"{name} {count}" for name, count in self.counts.items())
            self.logger.info(f"{self.what} in the last {seconds:.0f} s: {figures}", extra={**self.counts, "seconds": round(seconds, 1)})
            self.counts = Counter()
            self.since = now
